#!/usr/bin/python3
"""Steady, bounded HTTPS load that records every response.

loadgen.py URL --rate 50 --duration 300 --out record.jsonl [--cafile root.pem]
           [--resolve HOST:ADDRESS] [--stop-file PATH]

Sends GET URL at a fixed rate (open loop: request i leaves at start + i/rate,
whether or not earlier ones have answered), each on a new connection, until
--duration seconds have passed or --stop-file exists. Writes one JSON line per
request: start time, latency, status (0 when no answer), the JSON key
"release" of the answer if any, and the error. A request counts as failed when
its status is not 200. Lab use only: it targets the host it is given.
"""

import argparse
import contextlib
import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

MAX_DURATION = 900


def one(url: urllib.parse.SplitResult, context: ssl.SSLContext, address: str, timeout: float) -> dict:
    started = time.time()
    t0 = time.monotonic()
    record = {"t": round(started, 3), "status": 0, "release": None, "error": ""}
    conn = http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=timeout, context=context)
    if address:
        # Connect to the given address, verify the certificate for the URL's host name.
        conn._create_connection = lambda *_a, **_k: socket.create_connection((address, url.port or 443), timeout)
    try:
        conn.request("GET", url.path or "/", headers={"User-Agent": "flaskops-loadgen", "Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        record["status"] = response.status
        with contextlib.suppress(ValueError, AttributeError):
            record["release"] = json.loads(body).get("release")
    except (OSError, http.client.HTTPException) as exc:
        record["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    record["ms"] = round((time.monotonic() - t0) * 1000, 1)
    return record


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--out", required=True)
    parser.add_argument("--cafile")
    parser.add_argument("--resolve", default="", help="HOST:ADDRESS")
    parser.add_argument("--stop-file", default="")
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    duration = min(args.duration, MAX_DURATION)
    url = urllib.parse.urlsplit(args.url)
    context = ssl.create_default_context(cafile=args.cafile)
    address = args.resolve.split(":", 1)[1] if args.resolve else ""

    lock = threading.Lock()
    with open(args.out, "w") as out, ThreadPoolExecutor(max_workers=int(args.rate * 2) + 8) as pool:

        def done(future) -> None:
            with lock:
                out.write(json.dumps(future.result()) + "\n")

        start = time.monotonic()
        i = 0
        while True:
            due = start + i / args.rate
            if due - start > duration or (args.stop_file and os.path.exists(args.stop_file)):
                break
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(one, url, context, address, args.timeout).add_done_callback(done)
            i += 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
