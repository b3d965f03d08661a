"""`make bench`: speed side by side with the usual hand-made deploy, on the lab.

Creates its own lab ("bench": containers bench-<host> on the lab-bench network),
runs every section, keeps each section's raw figures in bench/results/ (kept in
the repository, so the page can be written again from them on any clone), and
writes docs/benchmarks.md and docs/benchmarks.png from them.

  python bench/bench.py [--runs 5] [--only http,tls,disruption,converge,scale,data]
                        [--report-only] [--keep-lab]

Every figure is the median of --runs runs (at least 5 for the published page);
every ratio is taken against a baseline measured in the same run. Every load
is bounded (wrk and openssl by duration, the load generator by duration and a
stop file) and goes only to the bench's own lab hosts or their loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".lab" / "bench"
RESULTS = ROOT / "bench" / "results"
LAB = "bench"
DOMAIN = "lab.test"
SECTIONS = ["http", "tls", "disruption", "converge", "scale", "data"]
SCALE_SIZES = [1, 2, 4, 8]
ALL_SIZES = tuple(SCALE_SIZES)
OUR_CFG = ROOT / "ansible.cfg"
# Ansible's defaults: only where to find the project's roles and collections.
DEFAULT_CFG = STATE / "ansible-defaults.cfg"
CONTROL_DIR = STATE / "cp"

# Every host the benchmarks use. web1 is our stack on one server (load
# balancer and app server in one), hand1 the hand-made deploy, lb1 + app1..8
# our stack split (rolling deploys, scale), cold1 the bare host that is made
# anew for each cold converge, client1 sends load, acme1 is the ACME server.
# The lab's podman settings (as the Makefile exports them), also when run by hand.
os.environ.setdefault("CONTAINERS_CONF", str(ROOT / "molecule/resources/image/containers.conf"))

HOSTS = ["acme1", "client1", "web1", "hand1", "cold1", "lb1", "db1"] + [f"app{i}" for i in range(1, 9)]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str] | str, *, check: bool = True, env: dict | None = None, quiet: bool = False, **kw):
    shell = isinstance(cmd, str)
    res = subprocess.run(cmd, shell=shell, text=True, capture_output=True, env=env, **kw)
    if check and res.returncode != 0:
        sys.stderr.write(res.stdout[-4000:] + res.stderr[-4000:])
        raise SystemExit(f"bench: command failed ({res.returncode}): {cmd if shell else shlex.join(cmd)}")
    if not quiet and res.returncode != 0:
        log(f"exit {res.returncode}: {cmd if shell else shlex.join(cmd)}")
    return res


def inside(host: str, script: str, *, check: bool = True) -> subprocess.CompletedProcess:
    """Run a shell script as root on a lab host (podman exec: no SSH in the measurement)."""
    return run(["podman", "exec", f"{LAB}-{host}", "bash", "-euo", "pipefail", "-c", script], check=check)


# ---------------------------------------------------------------- inventories


def write_inventories() -> None:
    """One inventory per layout, all on the same lab; lab settings as inventory/local has them."""
    STATE.mkdir(parents=True, exist_ok=True)
    DEFAULT_CFG.write_text(
        "# Ansible's defaults, but for where this project's roles and collections are.\n"
        "[defaults]\n"
        f"roles_path = {ROOT}/roles\n"
        f"collections_path = {ROOT}/.cache/collections:~/.ansible/collections:/usr/share/ansible/collections\n"
    )
    layouts = {
        "all": {"acme": ["acme1"], "hand": ["hand1"], "clients": ["client1"], "others": HOSTS},
        "one": {"lb": ["web1"], "app": ["web1"]},
        "cold": {"lb": ["cold1"], "app": ["cold1"]},
    }
    for n in ALL_SIZES:
        layouts[f"scale{n}"] = {"lb": ["lb1"], "app": [f"app{i}" for i in range(1, n + 1)]}
    # The data section: the split layout with the shared data tier (PostgreSQL, Redis) on db1.
    layouts["data"] = {"lb": ["lb1"], "app": ["app1"], "db": ["db1"], "cache": ["db1"]}
    lab_vars = {
        "ansible_ssh_common_args": f"-F {STATE}/ssh_config",
        "lab_name": LAB,
        "lab_domain": DOMAIN,
        "lab_capabilities": ["NET_ADMIN", "SYS_ADMIN"],
        "bench_state_dir": str(STATE),
        "common_extra_ca_certificates": "{{ query('ansible.builtin.fileglob', "
        "'/usr/local/share/ca-certificates/*.crt') }}",
        "app_secret_environment": {
            "SECRET_KEY": "{{ lookup('ansible.builtin.password', '"
            + str(STATE / "secret_key")
            + "', length=48, chars=['ascii_letters', 'digits']) }}"
        },
        "lab_acme_ca_file": str(STATE / "acme-ca.pem"),
        "nginx_server_names": ["{{ inventory_hostname }}." + DOMAIN],
        "certbot_email": "ops@" + DOMAIN,
        "certbot_acme_directory": f"https://acme1.{DOMAIN}:14000/dir",
        "certbot_acme_ca_certificate": str(STATE / "acme-ca.pem"),
        # The benchmark's load comes from one client: the per-client rate limit
        # (20 r/s by default) would answer most of it with 429.
        "nginx_rate_limit": "100000r/s",
        # The data tier's passwords (vault in a real inventory), and a share of this machine's memory.
        **{
            f"vault_{name}_password": "{{ lookup('ansible.builtin.password', '"
            + str(STATE / f"{name}_password")
            + "', length=32, chars=['ascii_letters', 'digits']) }}"
            for name in ("postgresql_app", "redis")
        },
        "postgresql_memory_mb": 1024,
    }
    for name, groups in layouts.items():
        inv = STATE / "inventory" / name
        (inv / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
        hosts = {"all": {"children": {g: {"hosts": {h: None for h in hs}} for g, hs in groups.items()}}}
        (inv / "hosts.yml").write_text(json.dumps(hosts, indent=1))
        link = inv / "group_vars" / "all" / "00-project"
        if not link.is_symlink():
            link.symlink_to(ROOT / "group_vars" / "all")
        (inv / "group_vars" / "all" / "lab.yml").write_text(json.dumps(lab_vars, indent=1))
        if name == "all":
            (inv / "group_vars" / "acme.yml").write_text(json.dumps({"firewall_tcp_ports": [80, 443, 14000, 15000]}))


def inventory(name: str) -> str:
    return str(STATE / "inventory" / name)


def playbook(inv: str, *books: str, cfg: Path = OUR_CFG, extra: dict | None = None, check: bool = True):
    """Run ansible-playbook; return (seconds, recap {host: {ok, changed, ...}}, output)."""
    # SSH control sockets of their own: recreate() ends the bench's connections
    # to a removed host without touching anyone else's.
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(cfg),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_SSH_CONTROL_PATH_DIR=str(CONTROL_DIR),
    )
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory(inv)]
    for key, value in (extra or {}).items():
        cmd += ["-e", f"{key}={value}"]
    cmd += [str(ROOT / b) if not b.startswith("/") else b for b in books]
    t0 = time.monotonic()
    res = run(cmd, env=env, check=check)
    seconds = time.monotonic() - t0
    recap = {}
    for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", res.stdout, re.M):
        recap[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return seconds, recap, res.stdout


def changed(recap: dict) -> int:
    return sum(r.get("changed", 0) for r in recap.values())


# ---------------------------------------------------------------- lab


def lab_up() -> None:
    log("lab: hosts, ACME server, tools")
    playbook(
        "all",
        "molecule/resources/playbooks/lab-up.yml",
        "molecule/resources/playbooks/acme-server.yml",
        extra={"lab_name": LAB},
    )
    # lab-up writes the SSH config under .lab/<lab_name>/; the inventories point there.
    run(["podman", "network", "exists", f"lab-{LAB}"])


def recreate(host: str) -> None:
    """A bare host again: its container removed and made anew from the base image.

    The same settings as the lab mechanism (molecule/resources/lab/create.yml)
    gives it, the same address; its new host key replaces the old one in the
    lab's known_hosts. Done here rather than by lab-up.yml, which would go over
    all fourteen hosts each time.
    """
    name = f"{LAB}-{host}"
    # Its address as lab-up gave it (in known_hosts), the image every lab host runs.
    known = STATE / "known_hosts"
    ip = next(line.split()[0].split(",")[1] for line in known.read_text().splitlines() if line.startswith(f"{host},"))
    image = run(["podman", "inspect", f"{LAB}-acme1", "--format", "{{.ImageName}}"]).stdout.strip()
    run(["podman", "rm", "-f", "-t", "0", name])
    # An SSH master still open to the removed container would hang the next
    # connection to its successor (same address) until it times out.
    run(["pkill", "-f", f"{CONTROL_DIR}/"], check=False, quiet=True)
    run(
        [
            "podman",
            "run",
            "-d",
            "--name",
            name,
            "--hostname",
            host,
            "--systemd",
            "always",
            "--network",
            f"lab-{LAB}",
            "--ip",
            ip,
            "--network-alias",
            host,
            "--network-alias",
            f"{host}.{DOMAIN}",
            "--cap-add",
            "NET_ADMIN",
            "--cap-add",
            "SYS_ADMIN",
            "--label",
            f"flask-lab={LAB}",
            image,
        ]
    )
    key = (ROOT / ".lab" / "id_ed25519.pub").read_text().strip()
    run(
        [
            "podman",
            "exec",
            name,
            "sh",
            "-euc",
            'f=/home/admin/.ssh/authorized_keys; printf "%s\\n" "$1" >> "$f"; chown admin:admin "$f"; chmod 0600 "$f"',
            "sh",
            key,
        ]
    )
    for _ in range(60):
        res = run(["podman", "exec", name, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"], check=False, quiet=True)
        if res.returncode == 0:
            break
        time.sleep(0.5)
    lines = [line for line in known.read_text().splitlines() if not line.startswith(f"{host},")]
    lines.append(f"{host},{ip} " + " ".join(res.stdout.split()[:2]))
    tmp = known.with_suffix(".new")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(known)  # atomic: SSH clients of other hosts read it meanwhile
    for _ in range(60):
        ssh = ["ssh", "-F", str(STATE / "ssh_config"), "-o", "ConnectTimeout=3", host, "sudo", "-n", "true"]
        if run(ssh, check=False, quiet=True).returncode == 0:
            return
        time.sleep(0.5)
    raise SystemExit(f"bench: {host} made anew does not answer SSH")


def wheels() -> list[Path]:
    """Two versions of the app as wheels (1.0.1 and 1.0.2), for deploys that alternate between them."""
    out = STATE / "wheels"
    found = sorted(out.glob("flaskapp-1.0.[12]-*.whl"))
    if len(found) == 2:
        return found
    for version in ("1.0.1", "1.0.2"):
        src = STATE / "variants" / version
        run(["rm", "-rf", str(src)])
        src.parent.mkdir(parents=True, exist_ok=True)
        run(["cp", "-a", str(ROOT / "app"), str(src)])
        run(f"rm -rf {src}/build {src}/src/*.egg-info")
        text = (src / "pyproject.toml").read_text()
        (src / "pyproject.toml").write_text(re.sub(r"(?m)^version = .*$", f'version = "{version}"', text))
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(src)])
    return sorted(out.glob("flaskapp-1.0.[12]-*.whl"))


def setup_clients() -> None:
    """Load tools: wrk on web1, the load generator and Pebble's root on client1, an RSA certificate on web1."""
    inside(
        "client1",
        'test -s /etc/ssl/pebble-root.pem || python3 -c "import ssl,urllib.request;'
        "print(urllib.request.urlopen('https://acme1.lab.test:15000/roots/0',"
        'context=ssl._create_unverified_context()).read().decode())" > /etc/ssl/pebble-root.pem',
    )
    run(["podman", "cp", str(ROOT / "molecule/resources/load/loadgen.py"), f"{LAB}-client1:/usr/local/bin/loadgen"])
    inside(
        "web1",
        "command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -qq wrk >/dev/null; }",
    )


# ---------------------------------------------------------------- parsing


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


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def save(section: str, data: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / f"{section}.json").write_text(json.dumps(data, indent=1))
    log(f"{section}: saved {RESULTS / (section + '.json')}")


# ---------------------------------------------------------------- 1. HTTP capacity

WRK_SECONDS = 8
WRK_CONNECTIONS = 32
# (label, host that runs wrk and serves, URL base). wrk runs on the serving host
# itself, so every target pays the same for the load generator's CPU.
HTTP_TARGETS = {
    "a": ("web1", f"https://web1.{DOMAIN}"),
    "b": ("hand1", f"https://hand1.{DOMAIN}"),
    "c": ("hand1", "http://127.0.0.1:5000"),
    "d": ("web1", "http://127.0.0.1:8001"),
    # (d) with a default as it was before these benchmarks, measured in the same run.
    "d0": ("web1", "http://127.0.0.1:8002"),
    # (d) with sync workers instead of gthread: the trade-off our default makes.
    "ds": ("web1", "http://127.0.0.1:8003"),
}
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
    "ds": "bench-gunicorn-8003.service",
}
APP_ROUTES = {("a", "dynamic")} | {(t, r) for t in ("d", "d0", "ds") for r in ROUTES}


def start_gunicorn_alone(port: int, overrides: str = "") -> None:
    """(d): our Gunicorn, same config file and environment, bound to TCP on loopback (wrk speaks no unix sockets).

    overrides: Python lines appended to a copy of the config (a setting's previous default).
    """
    config = "/srv/flaskapp/current/gunicorn.conf.py"
    if overrides:
        # A copy elsewhere: it names the release it serves, since the original finds it by its own folder.
        release = "_release = os.path.realpath('/srv/flaskapp/current')"
        config = f"/etc/bench-gunicorn-{port}.conf.py"
        inside(
            "web1",
            f"{{ sed 's|^_release = .*|{release}|' /srv/flaskapp/current/gunicorn.conf.py; "
            f"printf '%s\\n' {shlex.quote(overrides)}; }} > {config} && chgrp flaskapp {config} && chmod 0640 {config}",
        )
    # journald's rate limit as the app's own unit has it (gunicorn_log_rate_limit_*).
    limits = inside(
        "web1", "systemctl show flaskapp.service -p LogRateLimitIntervalUSec -p LogRateLimitBurst"
    ).stdout.split()
    interval, burst = (
        dict(line.split("=", 1) for line in limits)[k] for k in ("LogRateLimitIntervalUSec", "LogRateLimitBurst")
    )
    inside(
        "web1",
        f"systemctl stop bench-gunicorn-{port} 2>/dev/null || true; systemctl reset-failed bench-gunicorn-{port} "
        f"2>/dev/null || true; systemd-run --unit bench-gunicorn-{port} "
        f"-p LogRateLimitIntervalSec={interval} -p LogRateLimitBurst={burst} "
        "-p User=flaskapp -p Group=flaskapp -p EnvironmentFile=/srv/flaskapp/current/app.env "
        "-p WorkingDirectory=/srv/flaskapp/current "
        f"/srv/flaskapp/current/venv/bin/gunicorn --config {config} --bind 127.0.0.1:{port} >/dev/null; "
        f"for i in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:{port}/health && exit 0; sleep 0.2; done; "
        "exit 1",
    )


def wrk(host: str, url: str, seconds: int) -> dict:
    out = inside(host, f"wrk -t2 -c{WRK_CONNECTIONS} -d{seconds}s --latency {shlex.quote(url)}").stdout
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


def bench_http(runs: int) -> None:
    start_gunicorn_alone(8001)
    start_gunicorn_alone(8002, PREVIOUS_DEFAULTS)
    # threads = 1 too: Gunicorn runs gthread for "sync" when threads > 1.
    start_gunicorn_alone(8003, 'worker_class = "sync"\nthreads = 1')
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
            "sync_threads": 1,
            "runs": runs,
            "seconds": WRK_SECONDS,
            "connections": WRK_CONNECTIONS,
            "samples": samples,
        },
    )


# ---------------------------------------------------------------- 5. TLS handshakes

TLS_SECONDS = 5
TLS_CONF = """
# Benchmark only: s_time sends no SNI, so these listeners are default servers
# on loopback with the site's certificate (ECDSA) and an RSA 2048 one from the
# same ACME server; TLS settings are the http-level ones of our nginx.conf.
server {
    listen 127.0.0.1:8443 ssl default_server;
    ssl_certificate /etc/nginx/tls/flaskapp/fullchain.pem;
    ssl_certificate_key /etc/nginx/tls/flaskapp/privkey.pem;
    access_log off;
    return 204;
}
server {
    listen 127.0.0.1:8444 ssl default_server;
    ssl_certificate /etc/letsencrypt/live/bench-rsa/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/bench-rsa/privkey.pem;
    access_log off;
    return 204;
}
"""


def bench_tls(runs: int) -> None:
    inside(
        "web1",
        "test -e /etc/letsencrypt/live/bench-rsa/fullchain.pem || certbot certonly --non-interactive --agree-tos "
        f"--register-unsafely-without-email --server https://acme1.{DOMAIN}:14000/dir "
        "--webroot -w /var/www/letsencrypt "
        f"--cert-name bench-rsa --key-type rsa --rsa-key-size 2048 -d web1.{DOMAIN} >/dev/null",
    )
    inside(
        "web1",
        f"cat > /etc/nginx/conf.d/zz-bench-tls.conf <<'EOF'\n{TLS_CONF}\nEOF\nnginx -t -q && systemctl reload nginx",
    )
    certs = {"ecdsa": 8443, "rsa2048": 8444}
    samples: dict[str, dict[str, list[float]]] = {c: {"new": [], "resumed": []} for c in certs}
    reused: dict[str, list[str]] = {c: [] for c in certs}
    for i in range(runs):
        for cert, port in certs.items():
            for mode, flag in (("new", "-new"), ("resumed", "-reuse")):
                out = inside(
                    "web1",
                    f"s=$(date +%s.%N); openssl s_time -connect 127.0.0.1:{port} {flag} -time {TLS_SECONDS} -www / "
                    '2>&1; e=$(date +%s.%N); echo "wall $s $e"',
                ).stdout
                count = int(re.search(r"(\d+) connections in [\d.]+s", out).group(1))
                wall = re.search(r"wall ([\d.]+) ([\d.]+)", out)
                rate = count / (float(wall.group(2)) - float(wall.group(1)))
                samples[cert][mode].append(rate)
                if mode == "resumed":
                    reused[cert].append(out)
                log(f"tls run {i + 1}/{runs} {cert} {mode}: {rate:.0f}/s")
    # Does -reuse really resume? Ask once with s_client, which says.
    resumption = {}
    for cert, port in certs.items():
        out = inside(
            "web1",
            f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:{port} -sess_out /tmp/s -quiet "
            f">/dev/null 2>&1; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:{port} "
            "-sess_in /tmp/s 2>/dev/null | grep -E '^(Reused|New),' || true",
        ).stdout.strip()
        resumption[cert] = out
    inside("web1", "rm -f /etc/nginx/conf.d/zz-bench-tls.conf && nginx -t -q && systemctl reload nginx")
    save("tls", {"runs": runs, "seconds": TLS_SECONDS, "samples": samples, "resumption": resumption})


# ---------------------------------------------------------------- 2. deploy disruption

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
    records = [json.loads(line) for line in inside("client1", f"cat {out}").stdout.splitlines() if line.strip()]
    failed = [r for r in records if r["status"] != 200 or r["error"]]
    return {
        "requests": len(records),
        "failed": len(failed),
        "max_ms": max((r["ms"] for r in records), default=0),
        "failures": sorted({f"{r['status']} {r['error']}".strip() for r in failed})[:5],
    }


def bench_disruption(runs: int) -> None:
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


# ---------------------------------------------------------------- 3. converge


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


def bench_converge(runs: int) -> None:
    configs = {"ours": OUR_CFG, "defaults": DEFAULT_CFG}
    cold = {c: [] for c in configs}
    noop = {c: [] for c in configs}
    floor = []
    order = []
    packages: list[str] = []
    for i in range(runs):
        # The settings take turns at going first, so neither always meets a cold cache.
        names = list(configs) if i % 2 == 0 else list(reversed(configs))
        order.append(names)
        for name in names:
            cfg = configs[name]
            recreate("cold1")
            base = set(inside("cold1", "apt-mark showmanual").stdout.split())
            seconds, recap, _ = playbook("cold", "playbooks/site.yml", cfg=cfg)
            if not https_ok("cold1"):
                raise SystemExit("bench: cold1 does not serve HTTPS after the converge")
            # What our roles install: the packages marked manual since the host was bare.
            packages = packages or sorted(set(inside("cold1", "apt-mark showmanual").stdout.split()) - base)
            cold[name].append(round(seconds, 1))
            seconds, recap, _ = playbook("cold", "playbooks/site.yml", cfg=cfg)
            noop[name].append({"seconds": round(seconds, 1), "changed": changed(recap)})
            log(f"converge run {i + 1}/{runs} {name}: cold {cold[name][-1]} s, no-op {noop[name][-1]}")
        recreate("cold1")
        t0 = time.monotonic()
        inside(
            "cold1",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
            + " ".join(packages)
            + " >/dev/null",
        )
        floor.append(round(time.monotonic() - t0, 1))
        log(f"converge run {i + 1}/{runs} package floor: {floor[-1]} s")
    save("converge", {"runs": runs, "order": order, "cold": cold, "noop": noop, "floor": floor, "packages": packages})


# ---------------------------------------------------------------- 4. scale


def bench_scale(runs: int) -> None:
    versions = wheels()
    data = {}
    for n in SCALE_SIZES:
        inv = f"scale{n}"
        log(f"scale: {n} app host(s), first converge")
        playbook(inv, "playbooks/site.yml")
        noops = []
        for i in range(runs):
            seconds, recap, _ = playbook(inv, "playbooks/site.yml")
            noops.append({"seconds": round(seconds, 1), "changed": changed(recap)})
            log(f"scale {n} no-op {i + 1}/{runs}: {noops[-1]}")
        # Both versions installed once, untimed, so each timed deploy is a switch.
        for w in versions:
            playbook(inv, "playbooks/deploy.yml", extra={"app_source_type": "wheel", "app_source_wheel": w})
        deploys = []
        for i in range(runs):
            seconds, recap, _ = playbook(
                inv, "playbooks/deploy.yml", extra={"app_source_type": "wheel", "app_source_wheel": versions[i % 2]}
            )
            deploys.append(round(seconds, 1))
            log(f"scale {n} deploy {i + 1}/{runs}: {deploys[-1]} s")
        data[str(n)] = {"noop": noops, "deploy": deploys}
    save("scale", {"runs": runs, "sizes": SCALE_SIZES, "data": data})


# ---------------------------------------------------------------- 6. the data tier

# (label, host that runs wrk and serves, URL). The one-server layout keeps SQLite
# on web1; the split one has its load balancer (lb1), app server (app1) and
# database and cache (db1) apart. wrk runs on the host it asks.
DATA_TARGETS = {
    "sqlite": ("web1", f"https://web1.{DOMAIN}"),
    "shared": ("lb1", f"https://lb1.{DOMAIN}"),
}
# Dynamic: the page, a query each time; cached: the notes API, which Redis caches.
DATA_ROUTES = {"dynamic": "/", "cached": "/api/notes"}
DATA_NOTES = 20


def bench_data(runs: int) -> None:
    playbook("one", "playbooks/site.yml")
    playbook("data", "playbooks/site.yml")
    # Notes for the pages to show, written through the site (-k: wrk does not verify either).
    for host, base in DATA_TARGETS.values():
        inside(
            host,
            "command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
            "apt-get install -y -qq wrk >/dev/null; }; "
            f"for i in $(seq {DATA_NOTES}); do curl -kfsS -o /dev/null -H 'Content-Type: application/json' "
            f"""-d '{{"title": "bench note '$i'"}}' {base}/api/notes; done""",
        )
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


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--sizes", default=",".join(map(str, SCALE_SIZES)), help="app hosts for the scale section")
    args = parser.parse_args()
    sections = [s for s in args.only.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"bench: --only: unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    SCALE_SIZES[:] = [int(n) for n in args.sizes.split(",") if n]
    if not SCALE_SIZES or min(SCALE_SIZES) < 1 or max(SCALE_SIZES) > 8:
        raise SystemExit("bench: --sizes must be numbers of app hosts from 1 to 8")
    if args.runs < 1:
        raise SystemExit("bench: --runs must be at least 1")
    if not args.report_only:
        started = time.monotonic()
        write_inventories()
        lab_up()
        wheel = wheels()
        if {"http", "tls"} & set(sections):
            log("setup: our stack on web1, the hand-made deploy on hand1")
            playbook("one", "playbooks/site.yml")
            playbook("all", "bench/playbooks/hand-made.yml", extra={"bench_app_wheel": wheel[0]})
        setup_clients()
        for section in sections:
            log(f"=== {section}")
            globals()[f"bench_{section}"](args.runs)
        log(f"done in {(time.monotonic() - started) / 60:.1f} min")
    import report

    report.write(RESULTS, ROOT / "docs")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
