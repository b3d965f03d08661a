"""The JSON API: notes are created, listed, read and deleted; mistakes get JSON errors."""

from __future__ import annotations

import pytest


def create(client, **fields):
    return client.post("/api/notes", json=fields)


def test_create_returns_the_note_and_its_location(client):
    response = create(client, title="First", body="hello")
    assert response.status_code == 201
    assert response.json["title"] == "First"
    assert response.headers["Location"] == f"/api/notes/{response.json['id']}"


def test_list_shows_newest_first(client):
    for title in ("a", "b", "c"):
        create(client, title=title)
    titles = [note["title"] for note in client.get("/api/notes").json["notes"]]
    assert titles == ["c", "b", "a"]


def test_list_honours_limit(client):
    for title in ("a", "b", "c"):
        create(client, title=title)
    assert len(client.get("/api/notes?limit=2").json["notes"]) == 2


def test_read_one_note(client):
    note_id = create(client, title="t", body="b").json["id"]
    assert client.get(f"/api/notes/{note_id}").json["body"] == "b"


def test_delete_removes_the_note(client):
    note_id = create(client, title="t").json["id"]
    assert client.delete(f"/api/notes/{note_id}").status_code == 204
    assert client.get(f"/api/notes/{note_id}").status_code == 404


def test_missing_note_is_a_json_404(client):
    response = client.get("/api/notes/999")
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404
    assert response.json["error"]["message"] == "no note with id 999"
    assert response.json["error"]["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({}, "title: required"),
        ({"title": "   "}, "title: required"),
        ({"title": "x" * 201}, "title: at most 200"),
        ({"title": "ok", "body": 5}, "body: must be a string"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_invalid_note_is_a_json_400_naming_the_field(client, payload, problem):
    response = client.post("/api/notes", json=payload)
    assert response.status_code == 400
    assert problem in response.json["error"]["message"]


def test_non_json_body_is_a_json_415(client):
    response = client.post("/api/notes", data="title=x")
    assert response.status_code == 415
    assert response.is_json


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.put("/api/notes")
    assert response.status_code == 405
    assert response.is_json
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_a_json_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.json["error"]["name"] == "Not Found"


def test_unexpected_error_is_a_json_500_without_details(app, client, monkeypatch):
    from flaskapp import api

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    monkeypatch.setattr(api, "_validate", broken)
    response = client.post("/api/notes", json={"title": "x"})
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.json["error"]["name"] == "Internal Server Error"
