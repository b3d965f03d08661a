"""Redis for the read path and write limits (REDIS_URL); the database stays the truth.

- Reads of notes are cached for CACHE_TTL seconds under a generation number
  that every write bumps, so no read is served from before a write that a
  later read of the cache could see.
- Writes are limited to WRITE_RATE_LIMIT per client address a minute (0: off).
- Redis away (stopped, unreachable, refusing): a cache miss, never an error.
  The app then skips Redis for RETRY_AFTER seconds, so a dead Redis costs one
  short timeout, not one per request. A write whose bump was lost while Redis
  was away can leave a cached read stale for CACHE_TTL seconds at most.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

RETRY_AFTER = 5.0
SOCKET_TIMEOUT = 0.25
GENERATION_KEY = "flaskapp:notes:generation"


class Cache:
    """One app's Redis client (or none) and whether Redis is being skipped after an error."""

    def __init__(self, client: Any = None, ttl: int = 30, errors: tuple[type[BaseException], ...] = ()) -> None:
        self.client = client
        self.ttl = ttl
        self.errors = errors
        self._skip_until = 0.0

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def _call(self, action: Callable[[Any], Any]) -> Any:
        """The action's result, or None when Redis is off or away (logged once a RETRY_AFTER)."""
        if self.client is None or time.monotonic() < self._skip_until:
            return None
        try:
            return action(self.client)
        except self.errors as error:
            self._skip_until = time.monotonic() + RETRY_AFTER
            current_app.logger.warning("cache unavailable", extra={"reason": f"{type(error).__name__}: {error}"})
            return None

    def read(self, name: str, load: Callable[[], Any]) -> Any:
        """`load()`'s result, from the cache when a fresh copy is there."""
        generation = self._call(lambda r: int(r.get(GENERATION_KEY) or 0))
        if generation is None:
            return load()
        key = f"flaskapp:notes:{generation}:{name}"
        cached = self._call(lambda r: r.get(key))
        if cached is not None:
            return json.loads(cached)
        value = load()
        self._call(lambda r: r.setex(key, self.ttl, json.dumps(value)))
        return value

    def invalidate(self) -> None:
        """After a write commits: every cached read is of an older generation."""
        self._call(lambda r: r.incr(GENERATION_KEY))

    def over_limit(self, client_address: str, per_minute: int) -> int:
        """Seconds to wait when this client has made per_minute writes this minute, else 0."""
        if per_minute <= 0:
            return 0
        window = int(time.time() // 60)
        key = f"flaskapp:writes:{client_address}:{window}"

        def count(r: Any) -> int:
            n = int(r.incr(key))
            if n == 1:
                r.expire(key, 120)
            return n

        n = self._call(count)
        return 60 - int(time.time() % 60) if n is not None and n > per_minute else 0


def init_app(app: Flask) -> None:
    """A Cache for `app`, from REDIS_URL (or a client in config REDIS_CLIENT, for tests)."""
    client, errors = app.config.get("REDIS_CLIENT"), (ConnectionError, OSError)
    url = str(app.config.get("REDIS_URL") or "")
    if client is None and url:
        import redis

        client = redis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30
        )
        errors = (redis.RedisError, OSError)
    app.extensions["cache"] = Cache(client, int(app.config["CACHE_TTL"]), errors)


def current() -> Cache:
    """The current app's cache."""
    return current_app.extensions["cache"]
