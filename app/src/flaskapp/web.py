"""The HTML page people see; its CSS and JS are static files (Nginx serves them in production)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from .extensions import db
from .models import Note

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> str:
    notes = db.session.scalars(db.select(Note).order_by(Note.id.desc()).limit(20)).all()
    return render_template("index.html", notes=notes, release=current_app.config["RELEASE_INFO"])


def version_static_urls(app: Flask) -> None:
    """Static URLs name the build they belong to (`/static/app.css?v=<build>`), where the deploy recorded one.

    A page then asks for its own build's files: while a rolling deploy serves
    two builds, a proxy or cache in front can tell their files apart, and a
    browser never keeps an old build's file for a new page. Outside a deploy
    (no build recorded) the URLs stay plain.
    """
    build = app.config["RELEASE_INFO"].get("build", "")
    if not build:
        return

    @app.url_defaults
    def add_build(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            values.setdefault("v", build)
