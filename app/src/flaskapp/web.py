"""The HTML page people see; its CSS and JS are static files (Nginx serves them in production)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .extensions import db
from .models import Note

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> str:
    notes = db.session.scalars(db.select(Note).order_by(Note.id.desc()).limit(20)).all()
    return render_template("index.html", notes=notes, release=current_app.config["RELEASE_INFO"])
