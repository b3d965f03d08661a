"""A small JSON API over notes: list, create, read, delete."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for
from werkzeug.wrappers import Response

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


@bp.get("/notes")
def list_notes() -> Response:
    limit = request.args.get("limit", default=20, type=int)
    limit = max(1, min(limit, PAGE_MAX))
    notes = db.session.scalars(db.select(Note).order_by(Note.id.desc()).limit(limit))
    return jsonify(notes=[note.to_dict() for note in notes])


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
    return jsonify(note.to_dict()), 201, {"Location": url_for("api.get_note", note_id=note.id)}


@bp.get("/notes/<int:note_id>")
def get_note(note_id: int) -> Response:
    note = db.session.get(Note, note_id) or abort(404, description=f"no note with id {note_id}")
    return jsonify(note.to_dict())


@bp.delete("/notes/<int:note_id>")
def delete_note(note_id: int) -> tuple[str, int]:
    note = db.session.get(Note, note_id) or abort(404, description=f"no note with id {note_id}")
    db.session.delete(note)
    db.session.commit()
    return "", 204
