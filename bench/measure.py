"""How the bench measures: wrk and its parsing, the app's request log, Gunicorn alone, open-loop load."""

from __future__ import annotations

import json
import re
import shlex
import time

from lab import DOMAIN, LAB, ROOT, inside, run

WRK_SECONDS = 8
WRK_CONNECTIONS = 32


def wrk_parse(text: str) -> dict:
    def ms(value: str) -> float:
        num, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()
        return float(num) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": total,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def wrk(host: str, url: str, seconds: int, host_header: str = "") -> dict:
    header = f"-H {shlex.quote('Host: ' + host_header)} " if host_header else ""
    out = inside(host, f"wrk -t2 -c{WRK_CONNECTIONS} -d{seconds}s --latency {header}{shlex.quote(url)}").stdout
    return wrk_parse(out)


def request_log(unit: str, path: str, since: str) -> dict:
    """The app's request lines for `path` in `unit`'s journal on web1 since `since` (epoch seconds), once
    journald has written them all (the count stops growing), and the lines journald said it dropped."""
    mark = shlex.quote('"message": "request"')
    where = shlex.quote(f'"path": "{path}",')
    lines, before = -1, -2
    for _ in range(30):
        if lines == before:
            break
        before = lines
        time.sleep(1)
        found = inside(
            "web1", f"journalctl -u {unit} --since @{since} -o cat | grep -F {mark} | grep -c -F {where}", check=False
        )
        lines = int(found.stdout.strip() or 0)
    said = inside("web1", f"journalctl -t systemd-journald --since @{since} -o cat", check=False).stdout
    dropped = sum(int(n) for n in re.findall(rf"Suppressed (\d+) messages from {re.escape(unit)}", said))
    return {"journal_lines": lines, "journal_suppressed": dropped}


def start_gunicorn(host: str, unit: str, bind: str, overrides: str = "", *, env: dict | None = None) -> None:
    """Our Gunicorn as deployed on `host` (config file, environment, user, journald limits), started by
    systemd-run as `unit` on `bind` ("ADDRESS:PORT" or "unix:PATH", whose folder the unit makes).

    overrides: Python lines appended to a copy of the config (a setting's previous default, another worker
    model); env: more environment variables for the unit."""
    config = "/srv/flaskapp/current/gunicorn.conf.py"
    if overrides:
        # A copy elsewhere: it names the release it serves, since the original finds it by its own folder.
        release = '_release = os.path.realpath("/srv/flaskapp/current")'
        config = f"/etc/{unit}.conf.py"
        inside(
            host,
            f"{{ sed 's|^_release = .*|{release}|' /srv/flaskapp/current/gunicorn.conf.py; "
            f"printf '%s\\n' {shlex.quote(overrides)}; }} > {config} && chgrp flaskapp {config} && chmod 0640 {config}",
        )
    # journald's rate limit as the app's own unit has it (gunicorn_log_rate_limit_*).
    limits = inside(
        host, "systemctl show flaskapp.service -p LogRateLimitIntervalUSec -p LogRateLimitBurst"
    ).stdout.split()
    interval, burst = (
        dict(line.split("=", 1) for line in limits)[k] for k in ("LogRateLimitIntervalUSec", "LogRateLimitBurst")
    )
    props = [f"-p Environment={shlex.quote(f'{k}={v}')}" for k, v in (env or {}).items()]
    if bind.startswith("unix:"):
        # The socket's folder, which Nginx (www-data) may enter; the socket itself is 0777 (umask 0 in the config).
        props.append(
            f"-p RuntimeDirectory={bind.removeprefix('unix:/run/').rsplit('/', 1)[0]} -p RuntimeDirectoryMode=0755"
        )
        probe = f"--unix-socket {bind.removeprefix('unix:')} http://localhost/health"
    else:
        probe = f"http://{bind}/health"
    inside(
        host,
        f"systemctl stop {unit} 2>/dev/null || true; systemctl reset-failed {unit} 2>/dev/null || true; "
        f"systemd-run --unit {unit} -p LogRateLimitIntervalSec={interval} -p LogRateLimitBurst={burst} "
        "-p User=flaskapp -p Group=flaskapp -p EnvironmentFile=/srv/flaskapp/current/app.env "
        f"-p WorkingDirectory=/srv/flaskapp/current {' '.join(props)} "
        f"/srv/flaskapp/current/venv/bin/gunicorn --config {config} --bind {bind} >/dev/null; "
        f"for i in $(seq 50); do curl -fs -o /dev/null {probe} && exit 0; sleep 0.2; done; exit 1",
    )


def start_gunicorn_alone(port: int, overrides: str = "") -> None:
    """(d): our Gunicorn on web1, bound to TCP on loopback (wrk speaks no unix sockets)."""
    start_gunicorn("web1", f"bench-gunicorn-{port}", f"127.0.0.1:{port}", overrides)


LOAD_RATE = 50


def load_start(url: str, name: str) -> str:
    """Open-loop HTTPS load from client1 (new connection per request, certificate checked)."""
    out = f"/tmp/{name}.jsonl"
    inside("client1", f"rm -f /tmp/stop {out}")
    run(
        [
            "podman",
            "exec",
            "-d",
            f"{LAB}-client1",
            "python3",
            "/usr/local/bin/loadgen",
            url,
            "--rate",
            str(LOAD_RATE),
            "--duration",
            "600",
            "--out",
            out,
            "--cafile",
            "/etc/ssl/pebble-root.pem",
            "--stop-file",
            "/tmp/stop",
        ]
    )
    return out


def load_stop(out: str) -> dict:
    inside(
        "client1",
        "touch /tmp/stop; for i in $(seq 60); do pgrep -f '^python3 /usr/local/bin/loadgen' >/dev/null "
        "|| exit 0; sleep 0.5; done; exit 1",
    )
    lines = [json.loads(line) for line in inside("client1", f"cat {out}").stdout.splitlines() if line.strip()]
    # One line a request; the load generator ends with a line {"summary": ...}.
    records = [r for r in lines if "summary" not in r]
    if len(records) == len(lines):
        raise SystemExit(f"bench: the load generator's output {out} has no summary line: it did not end cleanly")
    failed = [r for r in records if r["status"] != 200 or r["error"]]
    return {
        "requests": len(records),
        "failed": len(failed),
        "max_ms": max((r["ms"] for r in records), default=0),
        "failures": sorted({f"{r['status']} {r['error']}".strip() for r in failed})[:5],
    }


def https_ok(host: str) -> bool:
    res = inside(
        "client1",
        'python3 -c "import urllib.request,ssl,sys;'
        f"r=urllib.request.urlopen('https://{host}.{DOMAIN}/health',"
        "context=ssl.create_default_context(cafile='/etc/ssl/pebble-root.pem'),timeout=10);"
        'sys.exit(r.status!=200)"',
        check=False,
    )
    return res.returncode == 0


def setup_clients() -> None:
    """Load tools: wrk on web1, the load generator and Pebble's root on client1, an RSA certificate on web1."""
    inside(
        "client1",
        'test -s /etc/ssl/pebble-root.pem || python3 -c "import ssl,urllib.request;'
        "print(urllib.request.urlopen('https://acme1.lab.test:15000/roots/0',"
        'context=ssl._create_unverified_context()).read().decode())" > /etc/ssl/pebble-root.pem',
    )
    run(["podman", "cp", str(ROOT / "molecule/resources/load/loadgen.py"), f"{LAB}-client1:/usr/local/bin/loadgen"])
    install_wrk("web1")


def install_wrk(host: str) -> None:
    """wrk on a lab host that asks its own site (Debian's package, once)."""
    inside(
        host,
        "command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -qq wrk >/dev/null; }",
    )


def post_notes(host: str, base: str, count: int) -> None:
    """Notes for the pages to show, written through the site by `host` (-k: wrk does not verify either)."""
    inside(
        host,
        f"for i in $(seq {count}); do curl -kfsS -o /dev/null -H 'Content-Type: application/json' "
        f"""-d '{{"title": "bench note '$i'"}}' {base}/api/notes; done""",
    )
