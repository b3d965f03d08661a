"""Helpers for app-server scenarios: ask the app over its unix socket, read the release layout."""

import json

import pytest

APP = "flaskapp"
BASE = f"/srv/{APP}"
SOCKET = f"/run/{APP}/gunicorn.sock"


@pytest.fixture(scope="module")
def get(host):
    """GET a path from the app through gunicorn's socket: (status, parsed JSON body or text)."""

    def request(path: str) -> tuple[int, object]:
        with host.sudo():
            out = host.run(
                f"curl -sS --max-time 10 -w '\\n%{{http_code}}' --unix-socket {SOCKET} http://localhost{path}"
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
def wait_until_serving(host, get):
    """Polls /health once a second; returns the seconds it took, or None after `limit`."""

    def wait(limit: int) -> int | None:
        for second in range(limit + 1):
            if get("/health")[0] == 200:
                return second
            host.run("sleep 1")
        return None

    return wait
