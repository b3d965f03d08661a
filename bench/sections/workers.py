"""Worker models: sync, gthread and gevent, over a unix socket and TCP, with and without upstream keepalive.

All on one host (wm1: Nginx and Gunicorn, as deployed by site.yml) with the
shared data tier on db1, against the hand-made deploy's app server and proxy
site on the same host and database, in the same runs. Two routes: the app's
dynamic page (a PostgreSQL query and a template) and the same page after a
50 ms call to a slow dependency (bench/slow_stub.py on client1), which is where
worker models differ most.
"""

from __future__ import annotations

import ast

import yaml
from lab import DOMAIN, ROOT, inside, log, playbook, put, save
from measure import WRK_CONNECTIONS, WRK_SECONDS, install_wrk, post_notes, start_gunicorn, wrk
from stats import med, ratios, two_xx_rate, verdict, wrk_row

from sections import ceiling

TITLE = "Worker models"

HOST = "wm1"
GEVENT = "gevent==26.9.0"
SLOW_MS = 50
SLOW_PORT = 8090
SLOW_URL = f"http://client1.{DOMAIN}:{SLOW_PORT}/"
LIB = "/usr/local/lib/bench"
ROUTES = {"dynamic": "/", "slow": "/bench/slow"}
# Gunicorn settings of each model; the rest is the deployed config. threads = 1
# where the model has none: Gunicorn runs gthread for sync when threads > 1.
MODELS = {
    "sync": 'worker_class = "sync"\nthreads = 1',
    "gthread": 'worker_class = "gthread"\nthreads = 4',
    # Half the threads: less for the GIL to share out, half the waiting capacity.
    "gthread2": 'worker_class = "gthread"\nthreads = 2',
    "gevent": 'worker_class = "gevent"\nthreads = 1\nworker_connections = 1000',
}
# The hand-made deploy's app server: `gunicorn -w 4`, Gunicorn's defaults otherwise.
HAND = 'workers = 4\nworker_class = "sync"\nthreads = 1\nmax_requests = 0'
TRANSPORTS = ("unix", "tcp")


def instances() -> dict[str, dict]:
    """Each Gunicorn this section starts: its unit, bind, settings and the Nginx variants in front of it."""
    out = {}
    for i, (model, settings) in enumerate(MODELS.items()):
        for transport in TRANSPORTS:
            bind = f"unix:/run/bench-wm-{model}/gunicorn.sock" if transport == "unix" else f"127.0.0.1:{8101 + i}"
            out[f"{model}/{transport}"] = {
                "unit": f"bench-wm-{model}-{transport}",
                "bind": bind,
                "settings": settings,
                "variants": [f"{model}/{transport}/keepalive", f"{model}/{transport}/no keepalive"],
            }
    out["hand"] = {"unit": "bench-wm-hand", "bind": "127.0.0.1:8100", "settings": HAND, "variants": ["hand"]}
    return out


def variants() -> list[str]:
    return [v for inst in instances().values() for v in inst["variants"]]


def port(variant: str) -> int:
    return 9100 + variants().index(variant)


def our_server(site: str, listen_port: int, upstream: str) -> str:
    """The deployed site's HTTPS server block, listening on a loopback port of its own, proxying to `upstream`."""
    start = site.rindex("server {", 0, site.index("listen 443"))
    lines, listened = [], False
    for line in site[start:].splitlines():
        words = line.split()
        if words[:1] == ["listen"]:
            if not listened:
                lines.append(f"    listen 127.0.0.1:{listen_port} ssl default_server;")
                listened = True
            continue
        if words[:1] == ["proxy_pass"]:
            line = f"        proxy_pass http://{upstream};"
        lines.append(line)
    return "\n".join(lines)


def hand_server(listen_port: int, upstream: str, cert_dir: str) -> str:
    """The hand-made deploy's site (bench/playbooks/hand-made.yml): Debian's proxy_params, HTTP/1.0 upstream."""
    return (
        "server {\n"
        f"    listen 127.0.0.1:{listen_port} ssl default_server;\n"
        f"    ssl_certificate {cert_dir}/fullchain.pem;\n    ssl_certificate_key {cert_dir}/privkey.pem;\n"
        f"    location / {{\n        proxy_pass http://{upstream};\n        include proxy_params;\n    }}\n}}"
    )


def nginx_conf(site: str, upstream_conf: str) -> str:
    """Every variant's upstream and loopback server; keepalive as the deployed upstream has it, or none."""
    keepalive = [
        line.strip()
        for line in upstream_conf.splitlines()
        if line.split()[:1] in (["keepalive"], ["keepalive_timeout"])
    ]
    cert_dir = next(
        line.split()[1].rstrip(";").rsplit("/", 1)[0]
        for line in site.splitlines()
        if line.split()[:1] == ["ssl_certificate"]
    )
    parts = ["# Benchmark only (bench/sections/workers.py): each worker-model variant on a loopback port."]
    for inst in instances().values():
        server = inst["bind"]  # Nginx's syntax too: unix:PATH or ADDRESS:PORT
        for variant in inst["variants"]:
            name = "bench_wm_" + str(port(variant))
            ka = "\n    ".join(keepalive) if variant.endswith("/keepalive") else "# no keepalive"
            parts.append(f"upstream {name} {{\n    server {server} max_fails=0;\n    {ka}\n}}")
            parts.append(
                hand_server(port(variant), name, cert_dir)
                if variant == "hand"
                else our_server(site, port(variant), name)
            )
    return "\n".join(parts) + "\n"


def setup() -> str:
    """wm1 converged with gevent in its venv, wrk, the wrapper app, the Nginx variants; the stub on client1.
    Returns the deployed wsgi_app."""
    playbook("workers", "playbooks/site.yml")
    install_wrk(HOST)
    put(HOST, "bench/workers_app.py", f"{LIB}/workers_app.py")
    put("client1", "bench/slow_stub.py", "/usr/local/bin/slow_stub.py")
    inside(
        "client1",
        "systemctl stop bench-slow-stub 2>/dev/null || true; systemctl reset-failed bench-slow-stub 2>/dev/null "
        "|| true; systemd-run --unit bench-slow-stub -p RuntimeMaxSec=7200 "
        f"python3 /usr/local/bin/slow_stub.py {SLOW_PORT} {SLOW_MS} >/dev/null",
    )
    # The dependency answers from wm1, after its delay.
    inside(HOST, f"for i in $(seq 50); do curl -fs -o /dev/null {SLOW_URL} && exit 0; sleep 0.2; done; exit 1")
    site = inside(HOST, "cat /etc/nginx/sites-available/flaskapp.conf").stdout
    upstream = inside(HOST, "cat /etc/nginx/conf.d/flaskapp-upstream.conf").stdout
    inside(
        HOST,
        f"cat > /etc/nginx/conf.d/zz-bench-workers.conf <<'EOF'\n{nginx_conf(site, upstream)}EOF\n"
        "nginx -t -q && systemctl reload nginx",
    )
    post_notes(HOST, f"https://{HOST}.{DOMAIN}", 20)
    line = inside(HOST, "grep '^wsgi_app = ' /srv/flaskapp/current/gunicorn.conf.py").stdout
    return ast.literal_eval(line.split("=", 1)[1].strip())


def measure(runs: int) -> None:
    wsgi_app = setup()
    wrapper = f'wsgi_app = "workers_app:app"\npythonpath = "{LIB}"'
    env = {"BENCH_APP": wsgi_app, "BENCH_SLOW_URL": SLOW_URL}
    samples: dict[str, dict[str, list[dict]]] = {v: {r: [] for r in ROUTES} for v in variants()}
    names = list(instances())
    try:
        for i in range(runs):
            # The instances take turns: each run starts with the next one.
            for name in names[i % len(names) :] + names[: i % len(names)]:
                inst = instances()[name]
                start_gunicorn(HOST, inst["unit"], inst["bind"], f"{inst['settings']}\n{wrapper}", env=env)
                try:
                    for variant in inst["variants"]:
                        for path in ROUTES.values():
                            wrk(HOST, f"https://127.0.0.1:{port(variant)}{path}", 2, f"{HOST}.{DOMAIN}")  # warm-up
                        for route, path in ROUTES.items():
                            result = wrk(
                                HOST, f"https://127.0.0.1:{port(variant)}{path}", WRK_SECONDS, f"{HOST}.{DOMAIN}"
                            )
                            samples[variant][route].append(result)
                            log(
                                f"workers run {i + 1}/{runs} {variant} {route}: {two_xx_rate(result):.0f} 2xx/s, "
                                f"p99 {result['p99_ms']:.1f} ms, {result['non2xx']} non-2xx"
                            )
                finally:
                    inside(HOST, f"systemctl stop {inst['unit']}")
    finally:
        inside(HOST, "rm -f /etc/nginx/conf.d/zz-bench-workers.conf && nginx -t -q && systemctl reload nginx")
        inside("client1", "systemctl stop bench-slow-stub", check=False)
    cores = int(inside(HOST, "nproc").stdout.strip())
    save(
        "workers",
        {
            "runs": runs,
            "seconds": WRK_SECONDS,
            "connections": WRK_CONNECTIONS,
            "cores": cores,
            "slow_ms": SLOW_MS,
            "models": MODELS,
            "hand": HAND,
            "samples": samples,
        },
    )


def layouts() -> dict[str, tuple[dict, dict]]:
    """The inventory this section converges (lab.write_inventories writes it): Nginx and Gunicorn on wm1, the
    shared PostgreSQL and Redis on db1, gevent beside Gunicorn in the venv (the role's requirements, plus it)."""
    defaults = yaml.safe_load((ROOT / "roles/app/defaults/main.yml").read_text())
    groups = {"lb": [HOST], "app": [HOST], "db": ["db1"], "cache": ["db1"]}
    # gunicorn[gevent]: gevent, and the packaging module Gunicorn's gevent worker imports.
    requirements = [r.replace("gunicorn==", "gunicorn[gevent]==") for r in defaults["app_requirements"]]
    return {"workers": (groups, {"app_requirements": [*requirements, GEVENT]})}


def both(s: dict, variant: str) -> tuple[list[float], list[float]]:
    """Per run: this variant's dynamic answers/s over the hand-made's, and its dynamic p99 over the hand-made's."""
    mine, hand = s[variant]["dynamic"], s["hand"]["dynamic"]
    return (
        ratios([two_xx_rate(r) for r in mine], [two_xx_rate(r) for r in hand]),
        ratios([r["p99_ms"] for r in mine], [r["p99_ms"] for r in hand]),
    )


def report(w: dict, out: list[str], every: dict) -> None:
    s = w["samples"]
    ceil = every.get("ceiling")
    out += [
        "",
        f"On one host (wm1: Nginx and Gunicorn as site.yml deploys them, {w['cores']} cores) with the shared "
        f"PostgreSQL and Redis on db1. wrk on wm1, {w['connections']} connections, {w['seconds']} s a run, "
        f"{w['runs']} runs, HTTPS to a loopback listener per variant that is the deployed site's server block "
        "(as the role templates it) with its own upstream. Gunicorn is the deployed config with the model's "
        "settings; each is started for its turn and stopped after it, and the instances take turns in each run. "
        "Dynamic: `GET /`; slow: the same page after a call to a dependency on the lab network that answers "
        f"after {w['slow_ms']} ms (bench/workers_app.py, bench/slow_stub.py). hand: the hand-made deploy's app "
        "server (`gunicorn -w 4`, sync) and proxy site (`include proxy_params`, no upstream keepalive) on the "
        "same host, database and Nginx, so the comparison is of the app server and site alone. The ceiling is "
        "the split layout's (PostgreSQL and Redis on db1).",
        "",
        "| variant | route | 2xx answers/s | of the ceiling | p50 ms | p99 ms | non-2xx answers | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for variant, routes in s.items():
        for route, runs in routes.items():
            if runs:
                # The slow route has no ceiling of its own: the app alone does not wait on the dependency.
                top = ceiling.per_s(ceil, "shared", route) if route == "dynamic" else None
                out.append(wrk_row(variant, route, runs, top))
    out += [
        "",
        "Against the hand-made's app server and site in the same run (the targets: dynamic ≥ 1.3 x its answers/s "
        "and a p99 no higher than its own):",
        "",
        "| variant | dynamic answers/s | ≥ 1.3 x | dynamic p99 | ≤ 1 x | slow answers/s | slow p99 |",
        "|---|---:|---|---:|---|---:|---:|",
    ]
    for variant in s:
        if variant == "hand" or not s[variant]["dynamic"]:
            continue
        rate, p99 = both(s, variant)
        slow_rate = ratios([two_xx_rate(r) for r in s[variant]["slow"]], [two_xx_rate(r) for r in s["hand"]["slow"]])
        slow_p99 = ratios([r["p99_ms"] for r in s[variant]["slow"]], [r["p99_ms"] for r in s["hand"]["slow"]])
        out.append(
            f"| {variant} | {med(rate):.2f} x | {verdict(rate, 1.3)} | {med(p99):.2f} x "
            f"| {verdict(p99, 1.0, at_least=False)} | {med(slow_rate):.2f} x | {med(slow_p99):.2f} x |"
        )
    out.append("")


def chart(ax, w: dict) -> None:
    s = w["samples"]
    shown = [v for v in s if s[v]["dynamic"]]
    xs = range(len(shown))
    ax.bar(list(xs), [med(two_xx_rate(r) for r in s[v]["dynamic"]) for v in shown], 0.6, label="dynamic 2xx/s")
    ax2 = ax.twinx()
    ax2.plot(list(xs), [med(r["p99_ms"] for r in s[v]["dynamic"]) for v in shown], "o-", color="C3", label="p99 ms")
    ax.set_xticks(list(xs), [v.replace("/keepalive", "/ka").replace("/no keepalive", "/-") for v in shown], rotation=60)
    ax.set_title("Worker models, dynamic")
    ax2.set_ylabel("p99 ms")
    ax.legend(loc="upper left", fontsize="small")
