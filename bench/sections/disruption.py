"""Deploy disruption: failed requests during a rolling deploy, against a plain unit restart."""

from __future__ import annotations

import time

from lab import DOMAIN, inside, log, playbook, save, wheels
from measure import LOAD_RATE, load_start, load_stop
from stats import med

TITLE = "Deploy disruption"


def measure(runs: int) -> None:
    playbook("scale2", "playbooks/site.yml")
    if inside("hand1", "systemctl is-active handapp", check=False).stdout.strip() != "active":
        playbook("all", "bench/playbooks/hand-made.yml", extra={"bench_app_wheel": wheels()[0]})
    versions = wheels()
    ours, plain = [], []
    for i in range(runs):
        out = load_start(f"https://lb1.{DOMAIN}/", "ours")
        time.sleep(3)
        seconds, _, _ = playbook(
            "scale2",
            "playbooks/deploy.yml",
            extra={"app_source_type": "wheel", "app_source_wheel": versions[(i + 1) % 2]},
        )
        time.sleep(3)
        ours.append(dict(load_stop(out), deploy_seconds=round(seconds, 1)))
        log(f"disruption run {i + 1}/{runs} ours: {ours[-1]}")

        out = load_start(f"https://hand1.{DOMAIN}/", "plain")
        time.sleep(3)
        t0 = time.monotonic()
        inside("hand1", "systemctl restart handapp")
        seconds = time.monotonic() - t0
        time.sleep(7)
        plain.append(dict(load_stop(out), restart_seconds=round(seconds, 1)))
        log(f"disruption run {i + 1}/{runs} plain restart: {plain[-1]}")
    save("disruption", {"runs": runs, "rate": LOAD_RATE, "ours": ours, "plain": plain})


def report(d: dict, out: list[str], every: dict) -> None:
    out += [
        "",
        f"Open-loop HTTPS load at {d['rate']} requests/s from a client host (a new connection each, certificate "
        f"checked), {d['runs']} runs. Ours: `deploy.yml` of a new version to two app hosts behind lb1. Baseline: "
        "`systemctl restart` of the hand-made Gunicorn unit behind its Nginx.",
        "",
        "| | requests (median) | failed: each run | longest response ms (median) |",
        "|---|---:|---|---:|",
    ]
    for key, label in (("ours", "ours: rolling deploy"), ("plain", "plain unit: systemctl restart")):
        runs = d[key]
        out.append(
            f"| {label} | {med(r['requests'] for r in runs):,.0f} | {', '.join(str(r['failed']) for r in runs)} "
            f"| {med(r['max_ms'] for r in runs):,.0f} |"
        )
    failed = sum(r["failed"] for r in d["ours"])
    seen = sorted({f for r in d["plain"] for f in r["failures"]})
    out += [
        "",
        f"Target 0 failed for ours: {'met' if failed == 0 else '**missed**'} ({failed} in all). "
        f"What the plain restart's failures were: {'; '.join(seen) if seen else 'none'}. "
        f"A deploy took {med(r['deploy_seconds'] for r in d['ours']):.0f} s (median).",
        "",
    ]


def chart(ax, d: dict) -> None:
    labels = ["ours", "plain restart"]
    ax.bar(labels, [med(r["failed"] for r in d[k]) for k in ("ours", "plain")], color=["tab:green", "tab:red"])
    ax.set_title("failed requests per deploy")
