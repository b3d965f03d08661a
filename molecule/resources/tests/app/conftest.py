"""Fixtures for app-server scenarios: ask the app over its unix socket, read the release layout."""

import json
import time

import pytest
from labtest import BASE, SOCKET


@pytest.fixture(scope="module")
def get(host):
    """GET a path from the app through gunicorn's socket: (status, parsed JSON body or text)."""

    def request(path: str, max_time: float = 10) -> tuple[int, object]:
        with host.sudo():
            out = host.run(
                f"curl -sS --max-time {max_time:.1f} -w '\\n%{{http_code}}' --unix-socket {SOCKET} http://localhost{path}"
            )
        body, _, status = out.stdout.rpartition("\n")
        try:
            return int(status), json.loads(body)
        except ValueError:
            return int(status or 0), body

    return request


@pytest.fixture(scope="module")
def current_release(host) -> str:
    return host.file(f"{BASE}/current").linked_to


@pytest.fixture
def wait_until_serving(get):
    """Asks /health until it answers 200; returns the seconds that took, or None past `limit` seconds.

    Measured on the controller's clock; no request may run past the deadline."""

    def wait(limit: float) -> float | None:
        start = time.monotonic()
        deadline = start + limit
        while (left := deadline - time.monotonic()) > 0:
            if get("/health", max_time=max(0.5, min(left, 5)))[0] == 200:
                took = time.monotonic() - start
                return took if took <= limit else None
            time.sleep(min(0.5, max(0, deadline - time.monotonic())))
        return None

    return wait
