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


def schema(database) -> tuple[list, list]:
    """Everything a migration can change: the schema's SQL and the revision stamped."""
    with sqlite3.connect(database) as db:
        sql = sorted(db.execute("SELECT type, name, sql FROM sqlite_master"))
        revision = db.execute("SELECT version_num FROM alembic_version").fetchall()
    return sql, revision


def test_db_upgrade_twice_is_a_no_op(env, tmp_path):
    runner = create_app(env).test_cli_runner()
    database = tmp_path / "instance" / "flaskapp.db"
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0 and "Running upgrade" in upgrade.output, upgrade.output
    first = schema(database)
    assert first[1], "no revision stamped by the first upgrade"
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert schema(database) == first
    assert "Running upgrade" not in again.output


def test_migrations_match_the_models(env):
    """A model change without its migration would be caught here."""
    app = create_app(env)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
