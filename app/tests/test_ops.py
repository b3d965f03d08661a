"""/health, /ready and /version: what load balancers and deploys ask."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_migrate import downgrade
from flaskapp import create_app


def test_health_answers_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


@pytest.fixture
def client_without_database(env):
    env["DATABASE_URL"] = "sqlite:////nonexistent-folder/never.db"
    return create_app(env).test_client()


def test_health_does_not_touch_the_database(client_without_database):
    assert client_without_database.get("/health").status_code == 200


def test_ready_when_database_answers_and_is_migrated(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_not_ready_when_database_is_unreachable(client_without_database):
    response = client_without_database.get("/ready")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["reason"].startswith("database:")


def test_not_ready_before_migrations(env):
    response = create_app(env).test_client().get("/ready")
    assert response.status_code == 503
    assert "alembic_version" in response.json["reason"]


def test_not_ready_when_schema_is_older_than_the_code(app: Flask, client):
    with app.app_context():
        downgrade(revision="base")
    response = client.get("/ready")
    assert response.status_code == 503
    assert "not migrated" in response.json["reason"]


def test_ready_when_a_newer_release_migrated_first(app: Flask, client):
    from flaskapp.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    assert client.get("/ready").status_code == 200


def test_version_shows_the_deployed_release_and_revision(client):
    body = client.get("/version").json
    assert body["release"] == "20261122T101500Z"
    assert body["revision"] == "abc1234"
    assert body["version"] == "1.0.0"


def test_version_outside_a_deploy_says_so(env, tmp_path):
    env["RELEASE_FILE"] = str(tmp_path / "missing.json")
    body = create_app(env).test_client().get("/version").json
    assert body["release"] == "development"
    assert body["revision"] == "unknown"
