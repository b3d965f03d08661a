"""The data tier: SQLite on one server against the shared PostgreSQL and Redis, and Redis against none."""

from __future__ import annotations

from lab import DOMAIN, inside, log, playbook, save
from measure import WRK_CONNECTIONS, WRK_SECONDS, install_wrk, post_notes, wrk
from stats import ratio, two_xx_rate, wrk_row

from sections import ceiling

TITLE = "The data tier"


# (label, host that runs wrk and serves, URL). The one-server layout keeps SQLite
# on web1; the split one has its load balancer (lb1), app server (app1) and
# database and cache (db1) apart. wrk runs on the host it asks.
DATA_TARGETS = {
    "sqlite": ("web1", f"https://web1.{DOMAIN}"),
    "shared": ("lb1", f"https://lb1.{DOMAIN}"),
}


# Dynamic: the page, a query each time; cached: the notes API, which Redis caches.
DATA_ROUTES = {"dynamic": "/", "cached": "/api/notes"}


# Whose ceiling (sections/ceiling.py) each target is measured against; Redis
# stopped has none (the ceiling is measured with Redis serving).
CEILINGS = {"sqlite": "one", "shared": "shared"}


DATA_NOTES = 20
# What the page calls each target.
LABELS = {
    "sqlite": "one server: Nginx, Gunicorn and SQLite on one host",
    "shared": "split: load balancer, app server, PostgreSQL and Redis on three hosts",
    "shared-nocache": "split, with Redis stopped (every read from PostgreSQL)",
}


def measure(runs: int) -> None:
    playbook("one", "playbooks/site.yml")
    playbook("data", "playbooks/site.yml")
    for host, base in DATA_TARGETS.values():
        install_wrk(host)
        post_notes(host, base, DATA_NOTES)
    samples: dict[str, dict[str, list[dict]]] = {t: {r: [] for r in DATA_ROUTES} for t in DATA_TARGETS}
    samples["shared-nocache"] = {"cached": []}
    for host, base in DATA_TARGETS.values():
        for path in DATA_ROUTES.values():
            wrk(host, base + path, 2)  # warm-up: workers, connection pools, the cache
    for i in range(runs):
        for target, (host, base) in DATA_TARGETS.items():
            for route, path in DATA_ROUTES.items():
                result = wrk(host, base + path, WRK_SECONDS)
                samples[target][route].append(result)
                log(f"data run {i + 1}/{runs} {target} {route}: {result['rps']:.0f} r/s p99 {result['p99_ms']:.1f} ms")
        # The cached route with Redis stopped: every read from PostgreSQL (the app's fallback).
        host, base = DATA_TARGETS["shared"]
        inside("db1", "systemctl stop redis-server")
        try:
            wrk(host, base + DATA_ROUTES["cached"], 2)
            result = wrk(host, base + DATA_ROUTES["cached"], WRK_SECONDS)
        finally:
            inside("db1", "systemctl start redis-server")
        samples["shared-nocache"]["cached"].append(result)
        log(f"data run {i + 1}/{runs} shared, Redis stopped: {result['rps']:.0f} r/s p99 {result['p99_ms']:.1f} ms")
    save("data", {"runs": runs, "seconds": WRK_SECONDS, "connections": WRK_CONNECTIONS, "samples": samples})


def report(d: dict, out: list[str], every: dict) -> None:
    s = d["samples"]
    out += [
        "",
        f"wrk, {d['connections']} connections, 2 threads, {d['seconds']} s a run, {d['runs']} runs, on the host it "
        "asks (the one server, or the split layout's load balancer). Dynamic: `GET /` (a query of the 20 newest "
        "notes and a template, never cached); cached: `GET /api/notes` (the same query as JSON, which the app "
        "caches in Redis until the next write). The layouts differ in more than the database (the split one "
        "crosses two more hosts), so the first ratio is the price of the whole shared tier, not of PostgreSQL alone.",
        "",
        "| target | route | 2xx answers/s | of the ceiling | p50 ms | p99 ms | non-2xx answers | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t, label in LABELS.items():
        for route, runs in s.get(t, {}).items():
            out.append(wrk_row(label, route, runs, ceiling.per_s(every.get("ceiling"), CEILINGS.get(t), route)))

    def rps(t: str, route: str) -> list[float]:
        return [two_xx_rate(r) for r in s.get(t, {}).get(route, [])]

    def p99(t: str, route: str) -> list[float]:
        return [r["p99_ms"] for r in s.get(t, {}).get(route, [])]

    out += [
        "",
        "| ratio (median of per-run ratios) | answers/s | p99 |",
        "|---|---:|---:|",
        f"| shared / one server, dynamic | {ratio(rps('shared', 'dynamic'), rps('sqlite', 'dynamic')):.2f} x "
        f"| {ratio(p99('shared', 'dynamic'), p99('sqlite', 'dynamic')):.2f} x |",
        f"| Redis / none, cached route (split layout) | "
        f"{ratio(rps('shared', 'cached'), rps('shared-nocache', 'cached')):.2f} x "
        f"| {ratio(p99('shared', 'cached'), p99('shared-nocache', 'cached')):.2f} x |",
        "",
    ]
