"""Migrations run as a deploy step: `flask --app 'flaskapp:create_app()' db upgrade`."""

from __future__ import annotations

import sqlite3

from flaskapp import create_app


def test_db_upgrade_command_creates_the_schema(env, tmp_path):
    app = create_app(env)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    database = tmp_path / "instance" / "flaskapp.db"
    tables = {row[0] for row in sqlite3.connect(database).execute("SELECT name FROM sqlite_master")}
    assert {"notes", "alembic_version"} <= tables


def test_db_upgrade_twice_is_a_no_op(env):
    runner = create_app(env).test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def test_migrations_match_the_models(env):
    """A model change without its migration would be caught here."""
    app = create_app(env)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
