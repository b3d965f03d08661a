"""JSON logs, one object a line, each tied to its request by the request id.

The checks read what the app's own log handler wrote (its stream swapped for a
buffer), so the handler, its formatter and the line format are all under test.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest


@pytest.fixture
def logged(app) -> Callable[[], list[dict]]:
    """The lines the app's handler has written so far, each parsed as JSON."""
    (handler,) = app.logger.handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    return lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_each_request_is_logged_as_json_with_its_fields(client, logged):
    response = client.get("/health")
    (entry,) = logged()
    assert entry["message"] == "request"
    assert entry["status"] == 200
    assert entry["path"] == "/health"
    assert entry["method"] == "GET"
    assert entry["level"] == "info"
    assert isinstance(entry["duration_ms"], float)
    assert entry["request_id"] == response.headers["X-Request-ID"]


def test_request_id_is_made_when_none_is_given(client):
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_request_id_from_the_proxy_is_kept_and_logged(client, logged):
    response = client.get("/health", headers={"X-Request-ID": "abc123def"})
    (entry,) = logged()
    assert response.headers["X-Request-ID"] == "abc123def"
    assert entry["request_id"] == "abc123def"


@pytest.mark.parametrize("bad", ["has spaces and <angle>", "x" * 129, '{"json": "injection"}'])
def test_a_malformed_request_id_is_replaced(client, bad):
    response = client.get("/health", headers={"X-Request-ID": bad})
    assert response.headers["X-Request-ID"] != bad
    assert len(response.headers["X-Request-ID"]) == 32


def test_errors_are_logged_with_their_traceback(app, client, logged, monkeypatch):
    from flaskapp import api

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    monkeypatch.setattr(api, "_validate", lambda payload: 1 / 0)
    client.post("/api/notes", json={"title": "x"})
    errors = [entry for entry in logged() if entry["level"] == "error"]
    assert errors
    assert "ZeroDivisionError" in errors[0]["exception"]
    assert errors[0]["request_id"]
