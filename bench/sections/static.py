"""Static files on the split layout: the load balancer's copy of each build's files, against the hand-made deploy."""

from __future__ import annotations

import re

from lab import DOMAIN, inside, log, playbook, save
from measure import WRK_CONNECTIONS, WRK_SECONDS, install_wrk, wrk
from stats import ratio, ratios, two_xx_rate, verdict, wrk_row

from sections import ceiling

TITLE = "Static files on the split layout"

TARGET = 10.0
# (host that runs wrk and serves, URL). The split layout's load balancer (lb1,
# apart from app1) asked for the page's own versioned stylesheet URL, which it
# answers from its copy of the build's files; the same file with no build
# named, which goes through the upstream to the app; the hand-made deploy's
# static file, which its default Nginx site sends to Gunicorn too.
LB = f"https://lb1.{DOMAIN}"
TARGETS = {"versioned": "lb1", "through-app": "lb1", "hand": "hand1"}
# Whose ceiling each target is measured against (above 100 %: what the app alone could not answer).
CEILINGS = {"versioned": "shared", "through-app": "shared", "hand": "one"}
LABELS = {
    "versioned": "(s) ours, split layout: the page's `/static/app.css?v=<build>` from the load balancer's copy",
    "through-app": "(s0) = (s) with no build named: through the upstream to the app, as before",
    "hand": "(b) hand-made: default Nginx site + TLS, `gunicorn -w 4` sync on TCP",
}


def versioned_url() -> str:
    """The stylesheet URL the deployed page names, with its build."""
    page = inside("lb1", f"curl -sS --fail --resolve lb1.{DOMAIN}:443:127.0.0.1 -k {LB}/").stdout
    found = re.search(r'href="(/static/app\.css\?v=[^"]+)"', page)
    if not found:
        raise SystemExit(f"bench static: the page names no versioned stylesheet:\n{page[:2000]}")
    return found[1]


def measure(runs: int) -> None:
    playbook("data", "playbooks/site.yml")
    install_wrk("lb1")
    install_wrk("hand1")
    urls = {
        "versioned": LB + versioned_url(),
        "through-app": f"{LB}/static/app.css",
        "hand": f"https://hand1.{DOMAIN}/static/app.css",
    }
    for target, url in urls.items():
        wrk(TARGETS[target], url, 2)  # warm-up: workers started, files in the page cache
    samples: dict[str, list[dict]] = {t: [] for t in TARGETS}
    for i in range(runs):
        for target, url in urls.items():
            result = wrk(TARGETS[target], url, WRK_SECONDS)
            samples[target].append(result)
            log(f"static run {i + 1}/{runs} {target}: {result['rps']:.0f} r/s p99 {result['p99_ms']:.1f} ms")
    figures = {"runs": runs, "seconds": WRK_SECONDS, "connections": WRK_CONNECTIONS, "urls": urls}
    save("static", figures | {"samples": samples})


def rates(s: dict, target: str) -> list[float]:
    return [two_xx_rate(r) for r in s.get(target, [])]


def report(d: dict, out: list[str], every: dict) -> None:
    s = d["samples"]
    per_run = ratios(rates(s, "versioned"), rates(s, "hand"))
    out += [
        "",
        f"wrk, {d['connections']} connections, 2 threads, {d['seconds']} s a run, {d['runs']} runs, on the host it "
        "asks. The split layout has its load balancer (lb1) apart from its app server (app1); the page names its "
        "static files with its build (`?v=<build>`), and the load balancer answers those from the copy of each "
        "kept build's files that every deploy brings it before any host moves (the app role's `edge-static`). "
        "The ceiling is the app's own for the file (its section above), on the split layout or, for the hand-made "
        "deploy, on one server.",
        "",
        "| target | route | 2xx answers/s | of the ceiling | p50 ms | p99 ms | non-2xx answers | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    # The split layout's app's own ceiling for the file (sections/ceiling.py); hand1 runs the app on SQLite.
    ceilings = {t: ceiling.per_s(every.get("ceiling"), CEILINGS[t], "static") for t in LABELS}
    out += [wrk_row(label, "static", s[t], ceilings[t]) for t, label in LABELS.items() if t in s]
    out += [
        "",
        "| ratio (median of per-run ratios) | figure | target | verdict |",
        "|---|---:|---:|---|",
        f"| (s) / (b), static | {ratio(rates(s, 'versioned'), rates(s, 'hand')):.1f} x | ≥ {TARGET:g} x "
        f"| {verdict(per_run, TARGET)} |",
        f"| (s) / (s0), static | {ratio(rates(s, 'versioned'), rates(s, 'through-app')):.1f} x | | |",
        "",
    ]
