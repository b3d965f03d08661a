"""The ceiling: the app's own cost per request, the deployed WSGI app called in-process on one core.

No HTTP, no proxy, no TLS, no worker model: what is left is the app (its
routing, queries, templates and logging) and its data tier. The other sections'
tables give each target's answers/s as a fraction of this ceiling times the
host's cores (what the app alone could answer with every core and nothing else).
"""

from __future__ import annotations

import json
import shlex

from lab import DOMAIN, inside, log, playbook, put, save
from stats import med

TITLE = "The ceiling: the app alone, in-process"

SECONDS = 5
PROBE = "/usr/local/lib/bench/ceiling_probe.py"
RELEASE = "/srv/flaskapp/current"
# Layout: (inventory, host the app runs on, the name its requests carry).
LAYOUTS = {
    "one": ("one", "web1", f"web1.{DOMAIN}"),
    "shared": ("data", "app1", f"lb1.{DOMAIN}"),
}
ROUTES = {"dynamic": "/", "static": "/static/app.css", "cached": "/api/notes"}
LABELS = {
    "one": "one server: SQLite on the app host",
    "shared": "split: PostgreSQL and Redis on db1",
}


def probe(host: str, name: str) -> dict:
    """One run of bench/ceiling_probe.py on `host`, as the app's user, with its environment, on CPU 1."""
    out = "/tmp/bench-ceiling.json"
    paths = " ".join(shlex.quote(p) for p in ROUTES.values())
    inside(
        host,
        f"rm -f {out}; systemctl reset-failed bench-ceiling 2>/dev/null || true; "
        "systemd-run --wait --quiet --unit bench-ceiling -p CPUAffinity=1 "
        f"-p User=flaskapp -p Group=flaskapp -p EnvironmentFile={RELEASE}/app.env -p WorkingDirectory={RELEASE} "
        f"{RELEASE}/venv/bin/python {PROBE} {out} {RELEASE}/gunicorn.conf.py {name} {SECONDS} {paths}",
    )
    figures = json.loads(inside(host, f"cat {out}").stdout)
    for path, f in figures.items():
        bad = {s: n for s, n in f["statuses"].items() if not s.startswith("2")}
        if bad:
            raise SystemExit(f"bench: ceiling on {host}: {path} answered {bad}; a ceiling of errors measures nothing")
    return figures


def measure(runs: int) -> None:
    samples: dict[str, dict[str, list[dict]]] = {k: {r: [] for r in ROUTES} for k in LAYOUTS}
    cores = {}
    for layout, (inv, host, _) in LAYOUTS.items():
        playbook(inv, "playbooks/site.yml")
        put(host, "bench/ceiling_probe.py", PROBE)
        cores[layout] = int(inside(host, "nproc").stdout.strip())
    for i in range(runs):
        for layout, (_, host, name) in LAYOUTS.items():
            figures = probe(host, name)
            for route, path in ROUTES.items():
                samples[layout][route].append(figures[path])
                log(
                    f"ceiling run {i + 1}/{runs} {layout} {route}: {figures[path]['per_s']:.0f} calls/s, "
                    f"p99 {figures[path]['p99_us']:.0f} us"
                )
    save("ceiling", {"runs": runs, "seconds": SECONDS, "cores": cores, "samples": samples})


def per_s(figures: dict | None, layout: str | None, route: str) -> float | None:
    """The ceiling for a route: one core's median calls/s times the host's cores; None when not measured."""
    if not figures:
        return None
    runs = figures["samples"].get(layout, {}).get(route, [])
    return med(r["per_s"] for r in runs) * figures["cores"][layout] if runs else None


def report(figures: dict, out: list[str], every: dict) -> None:
    s = figures["samples"]
    out += [
        "",
        f"The deployed app (its Gunicorn config's `wsgi_app`) called in-process by bench/ceiling_probe.py, "
        f"{figures['seconds']} s a route, {figures['runs']} runs, as the app's user with its environment, pinned "
        "to one core: no HTTP, proxy, TLS or worker model, every body read. What remains is the app's own cost "
        "and its data tier's. The ceiling in the other tables is this rate times the host's cores "
        f"({', '.join(f'{k}: {v}' for k, v in figures['cores'].items())}).",
        "",
        "| layout | route | calls/s on one core | p50 µs | p99 µs | ceiling (x cores) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for layout, label in LABELS.items():
        for route, runs in s.get(layout, {}).items():
            if runs:
                one, p50, p99 = (med(r[k] for r in runs) for k in ("per_s", "p50_us", "p99_us"))
                top = per_s(figures, layout, route)
                out.append(f"| {label} | {route} | {one:,.0f} | {p50:,.0f} | {p99:,.0f} | {top:,.0f} |")
    out.append("")
