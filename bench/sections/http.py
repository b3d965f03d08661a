"""HTTP capacity: our stack against the hand-made deploy, the development server and Gunicorn alone."""

from __future__ import annotations

from lab import DOMAIN, inside, log, save
from measure import WRK_CONNECTIONS, WRK_SECONDS, request_log, start_gunicorn_alone, wrk
from stats import med, ratio, ratios, two_xx_rate, verdict, wrk_row

from sections import ceiling

TITLE = "HTTP capacity"


# (label, host that runs wrk and serves, URL base). wrk runs on the serving host
# itself, so every target pays the same for the load generator's CPU.
HTTP_TARGETS = {
    "a": ("web1", f"https://web1.{DOMAIN}"),
    "b": ("hand1", f"https://hand1.{DOMAIN}"),
    "c": ("hand1", "http://127.0.0.1:5000"),
    "d": ("web1", "http://127.0.0.1:8001"),
    # (d) with a default as it was before these benchmarks, measured in the same run.
    "d0": ("web1", "http://127.0.0.1:8002"),
    # (d) with gthread workers, 4 threads: the previous default, and the model for apps that wait.
    "dg": ("web1", "http://127.0.0.1:8003"),
}


# What the page calls each target.
LABELS = {
    "a": "(a) ours: Nginx + TLS + Gunicorn (sync), as deployed",
    "b": "(b) hand-made: default Nginx site + TLS, `gunicorn -w 4` sync on TCP",
    "c": "(c) Flask development server",
    "d": "(d) our Gunicorn alone, no proxy, no TLS",
    "d0": "(d0) = (d) with the previous defaults (access log on, max_requests 2000)",
    "dg": "(dg) = (d) with gthread workers, 4 threads (the previous default)",
}
# What "dg" runs: the other worker model, gthread as the default was before.
GTHREAD = 'worker_class = "gthread"\nthreads = 4'
# The previous defaults that "d0" runs with: gunicorn_access_log was on, and
# gunicorn_max_requests 2000 (jitter 200).
PREVIOUS_DEFAULTS = """max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
access_log_format = json.dumps({"remote_addr": "%(h)s", "request_id": "%({x-request-id}i)s", "method": "%(m)s",
    "path": "%(U)s", "query": "%(q)s", "status": "%(s)s", "bytes": "%(B)s", "duration_us": "%(D)s",
    "user_agent": "%(a)s", "referer": "%(f)s"})"""


ROUTES = {"dynamic": "/", "static": "/static/app.css"}


# The unit each target's app runs in on web1. The app logs a line for every
# request it serves, and its journal must hold them all: each run counts them
# against wrk's answers. (a)'s static files are Nginx's alone, (b) and (c)
# are the hand-made deploy's.
APP_UNITS = {
    "a": "flaskapp.service",
    "d": "bench-gunicorn-8001.service",
    "d0": "bench-gunicorn-8002.service",
    "dg": "bench-gunicorn-8003.service",
}


APP_ROUTES = {("a", "dynamic")} | {(t, r) for t in ("d", "d0", "dg") for r in ROUTES}


def measure(runs: int) -> None:
    start_gunicorn_alone(8001)
    start_gunicorn_alone(8002, PREVIOUS_DEFAULTS)
    start_gunicorn_alone(8003, GTHREAD)
    samples: dict[str, dict[str, list[dict]]] = {t: {r: [] for r in ROUTES} for t in HTTP_TARGETS}
    for host, base in HTTP_TARGETS.values():
        for path in ROUTES.values():
            wrk(host, base + path, 2)  # warm-up: workers started, caches filled
    for i in range(runs):
        for target, (host, base) in HTTP_TARGETS.items():
            for route, path in ROUTES.items():
                since = inside("web1", "date +%s").stdout.strip()
                result = wrk(host, base + path, WRK_SECONDS)
                logged = ""
                if (target, route) in APP_ROUTES:
                    result |= request_log(APP_UNITS[target], path, since)
                    logged = f", {result['journal_lines']} request lines logged"
                samples[target][route].append(result)
                log(
                    f"http run {i + 1}/{runs} {target} {route}: {result['rps']:.0f} r/s p99 {result['p99_ms']:.1f} ms, "
                    f"{result['requests']} answers{logged}"
                )
    inside("web1", "systemctl stop bench-gunicorn-8001 bench-gunicorn-8002 bench-gunicorn-8003")
    save(
        "http",
        {
            "previous_defaults": PREVIOUS_DEFAULTS,
            "alternative": GTHREAD,
            "runs": runs,
            "seconds": WRK_SECONDS,
            "connections": WRK_CONNECTIONS,
            "samples": samples,
        },
    )


def report(h: dict, out: list[str], every: dict) -> None:
    s = h["samples"]
    out += [
        "",
        f"wrk, {h['connections']} connections, 2 threads, {h['seconds']} s a run, {h['runs']} runs, run on the serving "
        "host itself (so every target pays the same for the load generator's CPU). Dynamic: `GET /` "
        "(a database query and a template); static: `GET /static/app.css`. The ceiling is the one-server "
        "app's own (its section above; hand1 runs the same app on SQLite too, on as many cores): above 100 % is "
        "what the app alone could not answer, such as Nginx serving static files without it.",
        "",
        "| target | route | 2xx answers/s | of the ceiling | p50 ms | p99 ms | non-2xx answers | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t, label in LABELS.items():
        if t not in s:
            continue
        for route in ("dynamic", "static"):
            runs = s[t][route]
            out.append(wrk_row(label, route, runs, ceiling.per_s(every.get("ceiling"), "one", route)))

    def rps(t: str, route: str) -> list[float]:
        return [two_xx_rate(r) for r in s.get(t, {}).get(route, [])]

    dyn_ab = ratios(rps("a", "dynamic"), rps("b", "dynamic"))
    p99_ab = ratios([r["p99_ms"] for r in s["a"]["dynamic"]], [r["p99_ms"] for r in s["b"]["dynamic"]])
    sta_ab = ratios(rps("a", "static"), rps("b", "static"))
    dyn_ad = ratios(rps("a", "dynamic"), rps("d", "dynamic"))
    out += [
        "",
        "A verdict is met or missed only when every run is on the same side of the target; otherwise it is "
        "inside the noise, with the range of the runs.",
        "",
        "| ratio (median of per-run ratios) | figure | target | |",
        "|---|---:|---:|---|",
        f"| (a) / (b), dynamic | {med(dyn_ab):.2f} x | ≥ 1.3 x | {verdict(dyn_ab, 1.3)} |",
        f"| (a) / (b), dynamic p99 | {med(p99_ab):.2f} x | ≤ 1 x | {verdict(p99_ab, 1.0, at_least=False)} |",
        f"| (a) / (b), static | {med(sta_ab):.1f} x | ≥ 10 x | {verdict(sta_ab, 10)} |",
        f"| (a) / (d), dynamic | {med(dyn_ad):.2f} x | ≥ 0.85 x | {verdict(dyn_ad, 0.85)} |",
        f"| (d) / (d0), dynamic: the new Gunicorn defaults against the previous | "
        f"{ratio(rps('d', 'dynamic'), rps('d0', 'dynamic')):.2f} x | | |",
        f"| (dg) / (d), dynamic: gthread workers against our sync | "
        f"{ratio(rps('dg', 'dynamic'), rps('d', 'dynamic')):.2f} x | | |",
        f"| (a) / (c), dynamic | {ratio(rps('a', 'dynamic'), rps('c', 'dynamic')):.2f} x | | |",
        "",
    ]
    request_log_table(LABELS, s, out)


def request_log_table(labels: dict, s: dict, out: list[str]) -> None:
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
        "for the units of (d), (d0) and (dg)). wrk does not count the requests "
        "in flight when it stops, which the app still logs, so a run may log a few more lines than it has "
        "answers; missing counts each run's shortfall.",
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


def chart(ax, d: dict) -> None:
    s = d["samples"]
    shown = [t for t in LABELS if t in s]
    xs = range(len(shown))
    for off, route in ((-0.2, "dynamic"), (0.2, "static")):
        heights = [med(two_xx_rate(r) for r in s[t][route]) for t in shown]
        ax.bar([x + off for x in xs], heights, 0.4, label=route)
    ax.set_xticks(list(xs), [f"({t})" for t in shown])
    ax.set_yscale("log")
    ax.set_title("HTTP 2xx answers/s (log)")
    ax.legend()
