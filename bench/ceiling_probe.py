"""The app's own cost per request: the deployed WSGI app called in-process, no HTTP.

Runs on a lab host with the app's venv and environment (the ceiling section
starts it through systemd-run, as the app's user, on one core):

  python ceiling_probe.py OUT GUNICORN_CONFIG HOST SECONDS PATH [PATH ...]

Loads the app the way Gunicorn does (the wsgi_app of its config file), calls
it for each path with a GET environ for HOST, reads every body, and after a
warm-up keeps calling for SECONDS. Writes one JSON object to OUT (its stderr,
where the app logs, stays the unit's, as the app's own unit has it):
{path: {"calls": n, "seconds": s, "per_s": r, "p50_us": x, "p99_us": y, "statuses": {status: count}}}.
Only the standard library and Gunicorn (which the venv has): any WSGI app.
"""

from __future__ import annotations

import io
import json
import runpy
import sys
import time
from collections import Counter

from gunicorn.util import import_app


def environ(path: str, host: str) -> dict:
    # What a proxy in front would send: HTTPS, the site's name, one client.
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app, path: str, host: str) -> str:
    status = []

    def start_response(s, headers, exc_info=None):
        status.append(s.split(" ", 1)[0])
        return lambda data: None

    body = app(environ(path, host), start_response)
    try:
        for _ in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()
    return status[0]


def measure(app, path: str, host: str, seconds: float) -> dict:
    for _ in range(50):  # warm-up: imports, template cache, connection pools
        call(app, path, host)
    took: list[int] = []
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    end = started + seconds
    while True:
        t0 = time.perf_counter_ns()
        statuses[call(app, path, host)] += 1
        took.append(time.perf_counter_ns() - t0)
        if time.perf_counter() >= end:
            break
    wall = time.perf_counter() - started
    took.sort()
    return {
        "calls": len(took),
        "seconds": round(wall, 3),
        "per_s": len(took) / wall,
        "p50_us": took[len(took) // 2] / 1000,
        "p99_us": took[min(len(took) - 1, int(len(took) * 0.99))] / 1000,
        "statuses": dict(statuses),
    }


def main() -> None:
    out, config, host, seconds, *paths = sys.argv[1:]
    app = import_app(runpy.run_path(config)["wsgi_app"])
    figures = {path: measure(app, path, host, float(seconds)) for path in paths}
    with open(out, "w") as f:
        json.dump(figures, f)


if __name__ == "__main__":
    main()
