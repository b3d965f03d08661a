"""JSON logs, one object a line, each tied to its request by the request id."""

from __future__ import annotations

import json
import logging

import pytest
from flaskapp.logs import JsonFormatter


@pytest.fixture
def records(app):
    captured: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    app.logger.addHandler(Keep())
    return captured


def test_each_request_is_logged_as_json_with_its_fields(app, client, records):
    response = client.get("/health")
    line = JsonFormatter().format(records[-1])
    entry = json.loads(line)
    assert entry["message"] == "request"
    assert entry["status"] == 200
    assert entry["path"] == "/health"
    assert entry["method"] == "GET"
    assert entry["level"] == "info"
    assert isinstance(entry["duration_ms"], float)
    assert response.headers["X-Request-ID"]


def test_request_id_is_made_when_none_is_given(client):
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_request_id_from_the_proxy_is_kept_and_logged(app, records):
    with app.test_client() as client:
        response = client.get("/health", headers={"X-Request-ID": "abc123def"})
        entry = json.loads(JsonFormatter().format(records[-1]))
    assert response.headers["X-Request-ID"] == "abc123def"
    assert entry["request_id"] == "abc123def"


@pytest.mark.parametrize("bad", ["has spaces and <angle>", "x" * 129, '{"json": "injection"}'])
def test_a_malformed_request_id_is_replaced(client, bad):
    response = client.get("/health", headers={"X-Request-ID": bad})
    assert response.headers["X-Request-ID"] != bad
    assert len(response.headers["X-Request-ID"]) == 32


def test_errors_are_logged_with_their_traceback(app, client, records, monkeypatch):
    from flaskapp import api

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    monkeypatch.setattr(api, "_validate", lambda payload: 1 / 0)
    client.post("/api/notes", json={"title": "x"})
    errors = [r for r in records if r.levelno == logging.ERROR]
    assert errors
    assert "ZeroDivisionError" in json.loads(JsonFormatter().format(errors[0]))["exception"]
