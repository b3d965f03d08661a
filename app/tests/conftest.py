"""Fixtures: an app built from a test environment, migrated, and its client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flaskapp import create_app

GOOD_KEY = "k" * 32


@pytest.fixture
def release_file(tmp_path: Path) -> Path:
    path = tmp_path / "release.json"
    path.write_text(json.dumps({"release": "20261122T101500Z", "revision": "abc1234"}), encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path, release_file: Path) -> dict[str, str]:
    """The environment a deploy gives the app, in testing mode."""
    return {
        "APP_ENV": "testing",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "RELEASE_FILE": str(release_file),
    }


@pytest.fixture
def app(env: dict[str, str]) -> Iterator[Flask]:
    app = create_app(env)
    with app.app_context():
        upgrade()
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
