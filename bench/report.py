"""Writes docs/benchmarks.md and docs/benchmarks.png from the figures bench.py saved."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

TARGETS = {
    "a": "(a) ours: Nginx + TLS + Gunicorn (gthread), as deployed",
    "b": "(b) hand-made: default Nginx site + TLS, `gunicorn -w 4` sync on TCP",
    "c": "(c) Flask development server",
    "d": "(d) our Gunicorn alone, no proxy, no TLS",
    "d0": "(d0) = (d) with the previous defaults (access log on, max_requests 2000)",
    "ds": "(ds) = (d) with sync workers instead of gthread",
}


def med(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def ratios(num: list[float], den: list[float]) -> list[float]:
    """Each run's figure against the baseline measured in that same run."""
    return [n / d for n, d in zip(num, den, strict=False) if d]


def ratio(num: list[float], den: list[float]) -> float:
    """Median of the per-run ratios."""
    return med(ratios(num, den))


def verdict(per_run: list[float], target: float, at_least: bool = True, noise: float = 1.0) -> str:
    """met or missed only when every run is on the same side of the target, by more than `noise`.

    The runs' spread is the noise the page itself measured; `noise` (a factor >= 1)
    widens it where the page measured more, such as the same target measured twice
    in one run. Otherwise the verdict is "inside noise", with the range."""
    if not per_run:
        return "not measured"
    low, high = min(per_run) / noise, max(per_run) * noise
    if (low >= target) if at_least else (high <= target):
        return "met"
    if (high < target) if at_least else (low > target):
        return "**missed**"
    return f"inside noise ({low:.2f} to {high:.2f} x)"


def two_xx_rate(run: dict) -> float:
    """Requests per second that got a 2xx answer: wrk counts every answer, errors included."""
    return run["rps"] * (run["requests"] - run["non2xx"]) / run["requests"] if run["requests"] else 0.0


def wrk_row(label: str, route: str, runs: list[dict]) -> str:
    """A table row of wrk runs: medians of 2xx answers/s, p50 and p99; totals of the errors."""
    return (
        f"| {label} | {route} | {med(two_xx_rate(r) for r in runs):,.0f} "
        f"| {med(r['p50_ms'] for r in runs):.2f} | {med(r['p99_ms'] for r in runs):.2f} "
        f"| {sum(r['non2xx'] for r in runs)} | {sum(r['socket_errors'] for r in runs)} |"
    )


def load(results: Path) -> dict:
    return {p.stem: json.loads(p.read_text()) for p in sorted(results.glob("*.json"))}


def http_section(h: dict, out: list[str]) -> None:
    s = h["samples"]
    labels = dict(TARGETS)
    if "ds" in s and "sync_threads" not in h:
        # Figures from before the fix: Gunicorn runs gthread for "sync" when threads > 1.
        labels["ds"] = "(ds) = (d) asked for sync workers but kept 4 threads, so Gunicorn ran gthread: (d) again"
    out += [
        "## 1. HTTP capacity",
        "",
        f"wrk, {h['connections']} connections, 2 threads, {h['seconds']} s a run, {h['runs']} runs, run on the serving "
        "host itself (so every target pays the same for the load generator's CPU). Dynamic: `GET /` "
        "(a database query and a template); static: `GET /static/app.css`.",
        "",
        "| target | route | 2xx answers/s | p50 ms | p99 ms | non-2xx answers | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for t, label in labels.items():
        if t not in s:
            continue
        for route in ("dynamic", "static"):
            runs = s[t][route]
            out.append(wrk_row(label, route, runs))

    def rps(t: str, route: str) -> list[float]:
        return [two_xx_rate(r) for r in s.get(t, {}).get(route, [])]

    twin = "sync_threads" not in h and "ds" in s
    ds_what = "the same config twice" if twin else "sync workers against our gthread"
    # Where the page measured (d) twice with one config, their spread is (d)'s noise too.
    d_noise = max(ratio(rps("ds", "dynamic"), rps("d", "dynamic")), 1.0) if twin else 1.0
    dyn_ab = ratios(rps("a", "dynamic"), rps("b", "dynamic"))
    sta_ab = ratios(rps("a", "static"), rps("b", "static"))
    dyn_ad = ratios(rps("a", "dynamic"), rps("d", "dynamic"))
    noise_note = f", with (d)'s own noise of {d_noise:.2f} x" if d_noise > 1 else ""
    out += [
        "",
        "A verdict is met or missed only when every run is on the same side of the target; otherwise it is "
        "inside the noise, with the range of the runs.",
        "",
        "| ratio (median of per-run ratios) | figure | target | |",
        "|---|---:|---:|---|",
        f"| (a) / (b), dynamic | {med(dyn_ab):.2f} x | ≥ 1.3 x | {verdict(dyn_ab, 1.3)} |",
        f"| (a) / (b), static | {med(sta_ab):.1f} x | ≥ 10 x | {verdict(sta_ab, 10)} |",
        f"| (a) / (d), dynamic{noise_note} | {med(dyn_ad):.2f} x | ≥ 0.85 x | {verdict(dyn_ad, 0.85, noise=d_noise)} |",
        f"| (d) / (d0), dynamic: the new Gunicorn defaults against the previous | "
        f"{ratio(rps('d', 'dynamic'), rps('d0', 'dynamic')):.2f} x | | |",
        f"| (ds) / (d), dynamic: {ds_what} | {ratio(rps('ds', 'dynamic'), rps('d', 'dynamic')):.2f} x | | |",
        f"| (a) / (c), dynamic | {ratio(rps('a', 'dynamic'), rps('c', 'dynamic')):.2f} x | | |",
        "",
    ]
    request_log_section(labels, s, out)


def request_log_section(labels: dict, s: dict, out: list[str]) -> None:
    """Per target and route the app served: wrk's answers against the app's request lines in its unit's journal."""
    logged = [(t, route) for t in labels for route in s.get(t, {}) if any("journal_lines" in r for r in s[t][route])]
    if not logged:
        out += ["The app's request log was not counted in this run.", ""]
        return
    out += [
        "### The app's request log",
        "",
        "The app logs a line for every request it serves; after each run the journal of its unit is counted "
        "against wrk's answers. journald's rate limit is the unit's own (`gunicorn_log_rate_limit_*`, the same "
        "for the units of (d), (d0) and (ds)). wrk does not count the requests in flight when it stops, which "
        "the app still logs, so a run may log a few more lines than it has answers; missing counts each run's "
        "shortfall.",
        "",
        "| target | route | highest rate (answers/s) | answers | request lines | missing | dropped (journald said) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for t, route in logged:
        runs = [r for r in s[t][route] if "journal_lines" in r]
        missing = sum(max(0, r["requests"] - r["journal_lines"]) for r in runs)
        out.append(
            f"| {labels[t].split(' ', 1)[0]} | {route} | {max(r['rps'] for r in runs):,.0f} "
            f"| {sum(r['requests'] for r in runs):,} | {sum(r['journal_lines'] for r in runs):,} | {missing:,} "
            f"| {sum(r['journal_suppressed'] for r in runs):,} |"
        )
    out.append("")


DATA_TARGETS = {
    "sqlite": "one server: Nginx, Gunicorn and SQLite on one host",
    "shared": "split: load balancer, app server, PostgreSQL and Redis on three hosts",
    "shared-nocache": "split, with Redis stopped (every read from PostgreSQL)",
}


def data_section(d: dict, out: list[str]) -> None:
    s = d["samples"]
    out += [
        "## 6. The data tier",
        "",
        f"wrk, {d['connections']} connections, 2 threads, {d['seconds']} s a run, {d['runs']} runs, on the host it "
        "asks (the one server, or the split layout's load balancer). Dynamic: `GET /` (a query of the 20 newest "
        "notes and a template, never cached); cached: `GET /api/notes` (the same query as JSON, which the app "
        "caches in Redis until the next write). The layouts differ in more than the database (the split one "
        "crosses two more hosts), so the first ratio is the price of the whole shared tier, not of PostgreSQL alone.",
        "",
        "| target | route | 2xx answers/s | p50 ms | p99 ms | non-2xx answers | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for t, label in DATA_TARGETS.items():
        for route, runs in s.get(t, {}).items():
            out.append(wrk_row(label, route, runs))

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


def tls_section(t: dict, out: list[str]) -> None:
    s = t["samples"]
    out += [
        "## 5. TLS handshakes",
        "",
        f"`openssl s_time -www /` on the load balancer's loopback, {t['seconds']} s a run, {t['runs']} runs, against "
        "two listeners with our nginx.conf's TLS settings: the site's ECDSA P-256 certificate, and an RSA 2048 one "
        "from the same ACME server. Handshakes per second of wall time (client and server share the CPU).",
        "",
        "| certificate | new sessions/s | resumed sessions/s |",
        "|---|---:|---:|",
    ]
    for cert in ("ecdsa", "rsa2048"):
        out.append(f"| {cert} | {med(s[cert]['new']):,.0f} | {med(s[cert]['resumed']):,.0f} |")
    out += [
        "",
        f"ECDSA / RSA 2048, new sessions: {ratio(s['ecdsa']['new'], s['rsa2048']['new']):.2f} x; "
        f"resumed: {ratio(s['ecdsa']['resumed'], s['rsa2048']['resumed']):.2f} x. "
        "Resumption checked with `openssl s_client -sess_in`: "
        + "; ".join(f"{k}: {v}" for k, v in t["resumption"].items())
        + ".",
        "",
    ]


def disruption_section(d: dict, out: list[str]) -> None:
    out += [
        "## 2. Deploy disruption",
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


def order_text(c: dict) -> str:
    """Which setting ran first in each run, as the figures recorded it."""
    orders = c.get("order")
    if not orders:
        return "ours first in every run (the figures predate alternating the order)"
    firsts = [order[0] for order in orders]
    return "the first of each run: " + ", ".join(firsts)


def converge_section(c: dict, out: list[str]) -> None:
    cold, noop = c["cold"], c["noop"]
    out += [
        "## 3. Converge",
        "",
        f"`site.yml` on one host that is load balancer and app server, {c['runs']} runs each, "
        f"{order_text(c)}. Cold: a bare lab host made anew from the base image, until it answers HTTPS with a "
        "certificate from the ACME server. No-op: `site.yml` again right after. Ansible's defaults: an "
        "ansible.cfg with only the roles' and collections' paths. Floor: `apt-get update && apt-get install` of the "
        f"{len(c['packages'])} packages our roles install, on a bare host.",
        "",
        "| | cold s | no-op s | no-op changed |",
        "|---|---:|---:|---:|",
    ]
    for name, label in (("ours", "our ansible.cfg"), ("defaults", "Ansible's defaults")):
        out.append(
            f"| {label} | {med(cold[name]):.0f} | {med(r['seconds'] for r in noop[name]):.1f} "
            f"| {max(r['changed'] for r in noop[name])} |"
        )
    out.append(f"| packages alone (the floor) | {med(c['floor']):.0f} | | |")
    r_noop = ratios([r["seconds"] for r in noop["ours"]], [r["seconds"] for r in noop["defaults"]])
    out += [
        "",
        f"No-op, ours / defaults: {med(r_noop):.2f} x (target ≤ 0.5 x: {verdict(r_noop, 0.5, at_least=False)}). "
        "Cold, ours / defaults: "
        f"{ratio(cold['ours'], cold['defaults']):.2f} x; ours / floor: {ratio(cold['ours'], c['floor']):.1f} x.",
        "",
        f"Packages: {', '.join(c['packages'])}.",
        "",
    ]


def slope(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 2:
        return float("nan")
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def scale_section(sc: dict, out: list[str]) -> None:
    sizes = sc["sizes"]
    data = sc["data"]
    noop = [med(r["seconds"] for r in data[str(n)]["noop"]) for n in sizes]
    deploy = [med(data[str(n)]["deploy"]) for n in sizes]
    out += [
        "## 4. Scale",
        "",
        f"One load balancer and {', '.join(map(str, sizes))} app hosts; {sc['runs']} runs each. "
        "No-op: `site.yml` on a converged lab. Rolling deploy: `deploy.yml` switching between two "
        "installed versions (prepare finds them installed), one host at a time: drain, switch, restart, "
        "health gate, back.",
        "",
        "| app hosts | no-op s | changed | rolling deploy s |",
        "|---:|---:|---:|---:|",
    ]
    for n, a, b in zip(sizes, noop, deploy, strict=True):
        ch = max(r["changed"] for r in data[str(n)]["noop"])
        out.append(f"| {n} | {a:.1f} | {ch} | {b:.1f} |")
    out += [
        "",
        f"Per added app host (least-squares slope): no-op {slope(sizes, noop):.1f} s, rolling deploy "
        f"{slope(sizes, deploy):.1f} s.",
        "",
    ]


def chart(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [k for k in ("http", "disruption", "converge", "scale", "tls") if k in data]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8))
    axes = [axes] if len(panels) == 1 else list(axes)
    for ax, key in zip(axes, panels, strict=True):
        d = data[key]
        if key == "http":
            s = d["samples"]
            shown = [t for t in TARGETS if t in s]
            xs = range(len(shown))
            for off, route in ((-0.2, "dynamic"), (0.2, "static")):
                heights = [med(two_xx_rate(r) for r in s[t][route]) for t in shown]
                ax.bar([x + off for x in xs], heights, 0.4, label=route)
            ax.set_xticks(list(xs), [f"({t})" for t in shown])
            ax.set_yscale("log")
            ax.set_title("HTTP 2xx answers/s (log)")
            ax.legend()
        elif key == "disruption":
            labels = ["ours", "plain restart"]
            ax.bar(labels, [med(r["failed"] for r in d[k]) for k in ("ours", "plain")], color=["tab:green", "tab:red"])
            ax.set_title("failed requests per deploy")
        elif key == "converge":
            labels = ["ours", "defaults"]
            ax.bar([x - 0.2 for x in range(2)], [med(d["cold"][k]) for k in labels], 0.4, label="cold")
            ax.bar(
                [x + 0.2 for x in range(2)],
                [med(r["seconds"] for r in d["noop"][k]) for k in labels],
                0.4,
                label="no-op",
            )
            ax.axhline(med(d["floor"]), color="grey", linestyle="--", label="packages alone")
            ax.set_xticks(range(2), labels)
            ax.set_title("converge, seconds")
            ax.margins(y=0.35)
            ax.legend(loc="upper left", fontsize=8, ncol=3)
        elif key == "scale":
            sizes = d["sizes"]
            ax.plot(sizes, [med(r["seconds"] for r in d["data"][str(n)]["noop"]) for n in sizes], "o-", label="no-op")
            ax.plot(sizes, [med(d["data"][str(n)]["deploy"]) for n in sizes], "o-", label="rolling deploy")
            ax.set_xticks(sizes)
            ax.set_xlabel("app hosts")
            ax.set_title("seconds by app hosts")
            ax.legend()
        elif key == "tls":
            s = d["samples"]
            for off, mode in ((-0.2, "new"), (0.2, "resumed")):
                ax.bar([x + off for x in range(2)], [med(s[c][mode]) for c in ("ecdsa", "rsa2048")], 0.4, label=mode)
            ax.set_xticks(range(2), ["ECDSA P-256", "RSA 2048"])
            ax.set_title("TLS handshakes/s")
            ax.margins(y=0.25)
            ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def findings(data: dict) -> list[str]:
    """bench/findings.md, whose first line names the run it was written about: `Run: <section when>, ...`."""
    text = Path(__file__).with_name("findings.md").read_text().rstrip()
    first, _, body = text.partition("\n")
    written_about = dict(re.findall(r"(\w+) \(([^)]+)\)", first))
    measured = {k: v["when"] for k, v in data.items()}
    runs = ", ".join(sorted(set(written_about.values())))
    head = [f"## What the figures said (written by hand about the runs of {runs})", ""]
    if written_about != measured:
        head += [
            "**These findings are about earlier runs than the tables above** "
            f"(written about {first.removeprefix('Run: ')}); where they quote a figure, the tables are right.",
            "",
        ]
    return [*head, body.strip(), ""]


def write(results: Path, docs: Path) -> None:
    data = load(results)
    if not data:
        raise SystemExit(f"bench: no figures in {results}; run `make bench` first")
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/bench.py) from its last run of each section; do not edit by hand. "
        "Every figure is the median of the runs given, and every ratio the median of ratios taken in the same run "
        "against its baseline. All hosts are containers of the lab on one machine (2 cores, shared by the load "
        "generator, the servers and Ansible), so absolute figures are this machine's; the ratios are the point.",
        "",
        "![benchmarks](benchmarks.png)",
        "",
        "Sections measured: " + ", ".join(f"{k} ({v['when']})" for k, v in data.items()) + ".",
        "",
    ]
    for key, fn in (
        ("http", http_section),
        ("disruption", disruption_section),
        ("converge", converge_section),
        ("scale", scale_section),
        ("tls", tls_section),
        ("data", data_section),
    ):
        if key in data:
            fn(data[key], out)
    # What the figures mean (written by hand after reading one run: dated, and
    # marked stale when the figures above are from another run), then the method.
    out += findings(data)
    out += [Path(__file__).with_name("method.md").read_text().rstrip(), ""]
    docs.mkdir(exist_ok=True)
    (docs / "benchmarks.md").write_text("\n".join(out).rstrip() + "\n")
    chart(data, docs / "benchmarks.png")
    print(f"bench: wrote {docs / 'benchmarks.md'} and {docs / 'benchmarks.png'}")
