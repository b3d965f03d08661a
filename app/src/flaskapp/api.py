"""A small JSON API over notes: list, create, read, delete."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from werkzeug.wrappers import Response

from . import cache
from .errors import error_response
from .extensions import db
from .models import BODY_MAX, TITLE_MAX, Note

bp = Blueprint("api", __name__, url_prefix="/api")

PAGE_MAX = 100


def _validate(payload: object) -> tuple[dict[str, str], list[str]]:
    if not isinstance(payload, dict):
        return {}, ["the body must be a JSON object"]
    problems = []
    title, body = payload.get("title"), payload.get("body", "")
    if not isinstance(title, str) or not title.strip():
        problems.append("title: required, a non-empty string")
    elif len(title) > TITLE_MAX:
        problems.append(f"title: at most {TITLE_MAX} characters")
    if not isinstance(body, str):
        problems.append("body: must be a string")
    elif len(body) > BODY_MAX:
        problems.append(f"body: at most {BODY_MAX} characters")
    return {"title": str(title).strip(), "body": body if isinstance(body, str) else ""}, problems


@bp.before_request
def limit_writes() -> tuple[Response, int] | None:
    """WRITE_RATE_LIMIT writes a minute per client address (counted in Redis, when there is one)."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return None
    wait = cache.current().over_limit(request.remote_addr or "-", int(current_app.config["WRITE_RATE_LIMIT"]))
    if not wait:
        return None
    response, status = error_response(
        429, "Too Many Requests", f"at most {current_app.config['WRITE_RATE_LIMIT']} writes a minute"
    )
    response.headers["Retry-After"] = str(wait)
    return response, status


@bp.get("/notes")
def list_notes() -> Response:
    limit = request.args.get("limit", default=20, type=int)
    limit = max(1, min(limit, PAGE_MAX))

    def load() -> list[dict[str, object]]:
        notes = db.session.scalars(db.select(Note).order_by(Note.id.desc()).limit(limit))
        return [note.to_dict() for note in notes]

    return jsonify(notes=cache.current().read(f"list:{limit}", load))


@bp.post("/notes")
def create_note() -> tuple[Response, int, dict[str, str]] | tuple[Response, int]:
    if not request.is_json:
        return error_response(415, "Unsupported Media Type", "send JSON with Content-Type: application/json")
    fields, problems = _validate(request.get_json(silent=True))
    if problems:
        return error_response(400, "Bad Request", "; ".join(problems))
    note = Note(**fields)
    db.session.add(note)
    db.session.commit()
    cache.current().invalidate()
    return jsonify(note.to_dict()), 201, {"Location": url_for("api.get_note", note_id=note.id)}


@bp.get("/notes/<int:note_id>")
def get_note(note_id: int) -> Response:
    def load() -> dict[str, object] | None:
        note = db.session.get(Note, note_id)
        return note.to_dict() if note else None

    found = cache.current().read(f"note:{note_id}", load)
    if found is None:
        abort(404, description=f"no note with id {note_id}")
    return jsonify(found)


@bp.delete("/notes/<int:note_id>")
def delete_note(note_id: int) -> tuple[str, int]:
    note = db.session.get(Note, note_id) or abort(404, description=f"no note with id {note_id}")
    db.session.delete(note)
    db.session.commit()
    cache.current().invalidate()
    return "", 204
