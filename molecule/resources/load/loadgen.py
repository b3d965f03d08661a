#!/usr/bin/python3
"""Steady, bounded HTTPS load that records every response.

loadgen.py URL --rate 50 --duration 300 --out record.jsonl [--cafile root.pem]
           [--resolve HOST:ADDRESS] [--stop-file PATH] [--post TAG | --assets]

The URL's host name is resolved once, at start (or given by --resolve): the
record measures the service, not the lab's DNS, which restarts whenever another
lab's network comes or goes on this machine.

Open loop: request i is due at start + i/rate and leaves on a thread of its own
at that moment, whether or not earlier ones have answered, each on a new
connection, until --duration seconds have passed or --stop-file exists.

One JSON line per request: when it was due ("t", epoch seconds), how late it
left ("lag_ms": the generator's own delay), its latency counted from when it was
due ("ms", so a stalled generator cannot hide slow answers), the status (0 when
no answer), the JSON key "release" of the answer if any, and the error. Any
exception is recorded as that request's error, never dropped.

With --post TAG, request i is a write instead: POST {"title": "TAG-i"} as JSON,
acknowledged by 201; its record also has "title" and the "id" the answer gave,
so a test can find every acknowledged write afterwards.

With --assets, request i is a page: GET the URL, then each file its HTML names
(<link href>, <script src> on the same site), each on a new connection, as a
browser would; its record also has "assets", one {"url", "status", "sha256"}
(of the body) a file, so a test can tell which build's file each page got.

Each record says whether it got the answer expected ("ok": 200 for a GET and
for each of a page's files, 201 for a write).

Last, one line {"summary": {...}}: requests sent, recorded and failed (status not
200), the largest lag, and why it stopped ("stop-file" or "duration"). The exit
status is 0 only when every request sent was recorded. Lab use only: it
targets the host it is given.
"""

import argparse
import contextlib
import functools
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse

MAX_DURATION = 900
# The files a page names on its own site: stylesheets and scripts.
ASSET = re.compile(r'<(?:link[^>]*\shref|script[^>]*\ssrc)="(/[^/"][^"]*)"')


def fetch(
    url: urllib.parse.SplitResult,
    context: ssl.SSLContext,
    address: str,
    timeout: float,
    method: str,
    path: str,
    body: str | None,
    headers: dict,
) -> tuple[int, bytes]:
    """One request on a new connection to the resolved address, the certificate verified for the URL's host name."""
    conn = http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=timeout, context=context)
    conn._create_connection = lambda *_a, **_k: socket.create_connection((address, url.port or 443), timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def one(
    url: urllib.parse.SplitResult,
    context: ssl.SSLContext,
    address: str,
    timeout: float,
    due: float,
    title: str,
    assets: bool = False,
) -> dict:
    started = time.time()
    record = {"t": round(due, 3), "lag_ms": round((started - due) * 1000, 1), "status": 0, "release": None}
    record["error"] = ""
    headers = {"User-Agent": "flaskops-loadgen", "Connection": "close"}
    body = None
    if title:
        record["title"], record["id"] = title, None
        headers["Content-Type"] = "application/json"
        body = json.dumps({"title": title})
    if assets:
        record["assets"] = []
    site = functools.partial(fetch, url, context, address, timeout)
    try:
        status, answer = site("POST" if title else "GET", url.path or "/", body, headers)
        record["status"] = status
        if assets and status == 200:
            for path in ASSET.findall(answer.decode("utf-8", "replace")):
                asset = {"url": path.replace("&amp;", "&"), "status": 0, "sha256": None}
                record["assets"].append(asset)
                asset["status"], content = site("GET", asset["url"], None, headers)
                asset["sha256"] = hashlib.sha256(content).hexdigest()
        with contextlib.suppress(ValueError, AttributeError):
            record["release"] = json.loads(answer).get("release")
            if title:
                record["id"] = json.loads(answer).get("id")
    except Exception as exc:  # every failure is this request's outcome, recorded
        record["error"] = f"{type(exc).__name__}: {exc}"
    record["ms"] = round((time.time() - due) * 1000, 1)
    expected = 201 if title else 200
    record["ok"] = record["status"] == expected and all(a["status"] == 200 for a in record.get("assets", []))
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
    parser.add_argument("--post", default="", help="write TAG-i notes instead of reading")
    parser.add_argument("--assets", action="store_true", help="also fetch the files each page names")
    args = parser.parse_args()
    duration = min(args.duration, MAX_DURATION)
    url = urllib.parse.urlsplit(args.url)
    context = ssl.create_default_context(cafile=args.cafile)
    if args.resolve:
        address = args.resolve.split(":", 1)[1]
    else:
        address = socket.getaddrinfo(url.hostname, url.port or 443, type=socket.SOCK_STREAM)[0][4][0]
    threading.stack_size(512 * 1024)

    lock = threading.Lock()
    counts = {"recorded": 0, "failed": 0, "max_lag_ms": 0.0}
    with open(args.out, "w") as out:

        def request(due: float, title: str) -> None:
            record = one(url, context, address, args.timeout, due, title, args.assets)
            with lock:
                out.write(json.dumps(record) + "\n")
                counts["recorded"] += 1
                counts["failed"] += not record["ok"]
                counts["max_lag_ms"] = max(counts["max_lag_ms"], record["lag_ms"])

        start = time.time()
        threads: list[threading.Thread] = []
        while True:
            due = start + len(threads) / args.rate
            if due - start > duration:
                stopped = "duration"
                break
            if args.stop_file and os.path.exists(args.stop_file):
                stopped = "stop-file"
                break
            time.sleep(max(0.0, due - time.time()))
            title = f"{args.post}-{len(threads)}" if args.post else ""
            thread = threading.Thread(target=request, args=(due, title))
            thread.start()
            threads.append(thread)
        for thread in threads:
            # Each request is bounded by its socket timeouts (connect, handshake, read).
            thread.join(timeout=4 * args.timeout)
        with lock:
            summary = {
                "rate": args.rate,
                "sent": len(threads),
                **counts,
                "stopped": stopped,
                "started": start,
                "ended": time.time(),
            }
            out.write(json.dumps({"summary": summary}) + "\n")
    return 0 if summary["sent"] == summary["recorded"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
