"""Redis caches reads and counts writes; the database stays the truth, and Redis away is a miss."""

from __future__ import annotations

import pytest
from flaskapp import cache
from flaskapp.extensions import db
from flaskapp.models import Note


class FakeRedis:
    """The few commands the app uses, in memory; `down` makes each raise as a lost connection would."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False
        self.calls = 0

    def _op(self) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionError("Connection refused")

    def get(self, key):
        self._op()
        return self.data.get(key)

    def setex(self, key, ttl, value):
        self._op()
        self.data[key] = value.encode() if isinstance(value, str) else value

    def incr(self, key):
        self._op()
        self.data[key] = str(int(self.data.get(key, b"0")) + 1).encode()
        return int(self.data[key])

    def expire(self, key, seconds):
        self._op()


@pytest.fixture
def redis(app):
    fake = FakeRedis()
    app.config["REDIS_CLIENT"] = fake
    cache.init_app(app)
    return fake


def test_a_read_is_served_from_the_cache_until_a_write(app, client, redis):
    client.post("/api/notes", json={"title": "one"})
    assert [n["title"] for n in client.get("/api/notes").json["notes"]] == ["one"]
    # Changed behind the app's back: the cached answer stands...
    with app.app_context():
        db.session.add(Note(title="behind"))
        db.session.commit()
    assert [n["title"] for n in client.get("/api/notes").json["notes"]] == ["one"]
    # ...until the app writes, which makes every cached read old.
    client.post("/api/notes", json={"title": "two"})
    assert [n["title"] for n in client.get("/api/notes").json["notes"]] == ["two", "behind", "one"]


def test_a_delete_is_seen_at_once(client, redis):
    note_id = client.post("/api/notes", json={"title": "gone soon"}).json["id"]
    assert client.get(f"/api/notes/{note_id}").status_code == 200
    assert client.delete(f"/api/notes/{note_id}").status_code == 204
    assert client.get(f"/api/notes/{note_id}").status_code == 404


def test_redis_away_means_reads_and_writes_from_the_database(client, redis):
    client.post("/api/notes", json={"title": "kept"})
    redis.down = True
    assert client.post("/api/notes", json={"title": "while down"}).status_code == 201
    assert [n["title"] for n in client.get("/api/notes").json["notes"]] == ["while down", "kept"]


def test_redis_away_is_skipped_for_a_while_not_asked_each_request(client, redis):
    redis.down = True
    client.get("/api/notes")
    calls = redis.calls
    for _ in range(5):
        assert client.get("/api/notes").status_code == 200
    assert redis.calls == calls


def test_writes_past_the_limit_get_429_with_retry_after(app, client, redis):
    app.config["WRITE_RATE_LIMIT"] = 2
    assert [client.post("/api/notes", json={"title": str(i)}).status_code for i in range(3)] == [201, 201, 429]
    answer = client.post("/api/notes", json={"title": "again"})
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert answer.json["error"]["name"] == "Too Many Requests"
    # Reads are not counted.
    assert client.get("/api/notes").status_code == 200


def test_no_limit_is_enforced_while_redis_is_away(app, client, redis):
    app.config["WRITE_RATE_LIMIT"] = 1
    redis.down = True
    assert [client.post("/api/notes", json={"title": str(i)}).status_code for i in range(3)] == [201, 201, 201]


def test_without_redis_nothing_is_cached(app, client):
    assert app.extensions["cache"].client is None
    client.post("/api/notes", json={"title": "plain"})
    assert client.get("/api/notes").json["notes"][0]["title"] == "plain"
