#!/usr/bin/python3
"""Health gate of a rolling deploy: asks an app server, not the load balancer,
until its ready path answers 200 and its version path names the expected
release N times in a row, or the time is up.

health-gate.py BASE --ready /ready [--version-path /version --key release
               --expect ID] [--successes 3] [--interval 1] [--timeout 60]
BASE is http://HOST:PORT or unix:/path/to/socket. Prints one line of JSON:
{"ok": true|false, "check": <what failed last>, "detail": ..., "passes": N}.
Exits 0 when the gate passed, 1 when not.
"""

import argparse
import http.client
import json
import socket
import sys
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def get(base: str, path: str, timeout: float) -> tuple[int, bytes]:
    if base.startswith("unix:"):
        conn: http.client.HTTPConnection = UnixConnection(base[5:], timeout)
    else:
        conn = http.client.HTTPConnection(base.split("://", 1)[-1], timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "flaskops-health-gate", "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def probe(args: argparse.Namespace) -> tuple[str, str]:
    """One round: ("", "") when healthy, else (check, detail)."""
    check = f"GET {args.ready} == 200"
    try:
        status, body = get(args.base, args.ready, args.interval + 4)
    except OSError as exc:
        return check, f"no answer: {exc}"
    if status != 200:
        return check, f"answered {status}: {body[:200].decode(errors='replace')}"
    if not args.version_path:
        return "", ""
    check = f"GET {args.version_path} .{args.key} == {args.expect}"
    try:
        status, body = get(args.base, args.version_path, args.interval + 4)
        seen = json.loads(body).get(args.key) if status == 200 else None
    except (OSError, ValueError, AttributeError) as exc:
        return check, f"no JSON answer: {exc}"
    if status != 200:
        return check, f"answered {status}"
    if seen != args.expect:
        return check, f"serves {args.key} {seen!r}"
    return "", ""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--ready", default="/ready")
    parser.add_argument("--version-path", default="")
    parser.add_argument("--key", default="release")
    parser.add_argument("--expect", default="")
    parser.add_argument("--successes", type=int, default=3)
    parser.add_argument("--interval", type=float, default=1)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout
    passes, check, detail = 0, "", ""
    while True:
        failed, why = probe(args)
        if failed:
            passes, check, detail = 0, failed, why
        else:
            passes += 1
            if passes >= args.successes:
                print(json.dumps({"ok": True, "check": "", "detail": "", "passes": passes}))
                return 0
        if time.monotonic() + args.interval > deadline:
            break
        time.sleep(args.interval)
    print(json.dumps({"ok": False, "check": check or "passes in a row", "detail": detail, "passes": passes}))
    return 1


if __name__ == "__main__":
    sys.exit(main())
