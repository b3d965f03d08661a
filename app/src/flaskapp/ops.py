"""Endpoints for machines: liveness, readiness and what is deployed."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from .extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/health")
def health() -> Response:
    """Liveness: the process answers. Touches nothing else."""
    return jsonify(status="ok")


def _known_revisions() -> tuple[set[str], set[str]]:
    """(every revision this code ships, the heads among them)."""
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    return {rev.revision for rev in scripts.walk_revisions()}, set(scripts.get_heads())


@bp.get("/ready")
def ready() -> tuple[Response, int]:
    """Readiness: the database answers and its schema is not older than this code needs."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError as error:
        reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
        current_app.logger.warning("not ready", extra={"reason": reason})
        return jsonify(status="unavailable", reason=f"database: {reason}"), 503
    known, heads = _known_revisions()
    # A revision this code does not know is newer (a later release migrated first): still fine.
    behind = current & (known - heads)
    if not current or behind:
        return jsonify(status="unavailable", reason=f"database schema not migrated (at {sorted(current)})"), 503
    return jsonify(status="ready"), 200


@bp.get("/version")
def version() -> Response:
    return jsonify(current_app.config["RELEASE_INFO"])
