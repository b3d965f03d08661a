"""The bench's lab: its hosts and inventories, Ansible runs on them, and where figures are kept.

The hosts are made by the lab mechanism the Molecule scenarios use
(molecule/resources/playbooks/lab-up.yml); a host made anew for a cold converge
gets the same settings."""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".lab" / "bench"
RESULTS = ROOT / "bench" / "results"
LAB = "bench"
DOMAIN = "lab.test"
SCALE_SIZES = [1, 2, 4, 8]
ALL_SIZES = tuple(SCALE_SIZES)
OUR_CFG = ROOT / "ansible.cfg"
# Ansible's defaults: only where to find the project's roles and collections.
DEFAULT_CFG = STATE / "ansible-defaults.cfg"
CONTROL_DIR = STATE / "cp"
# Every host the benchmarks use. web1 is our stack on one server (load
# balancer and app server in one), hand1 the hand-made deploy, lb1 + app1..8
# our stack split (rolling deploys, scale), cold1 the bare host that is made
# anew for each cold converge, client1 sends load, acme1 is the ACME server,
# db1 the shared PostgreSQL and Redis, wm1 the worker models' host.
# A host's address follows its place in this list: a new host goes last.
HOSTS = ["acme1", "client1", "web1", "hand1", "cold1", "lb1", "db1"] + [f"app{i}" for i in range(1, 9)] + ["wm1"]
# The lab's podman settings (as the Makefile exports them), also when run by hand.
os.environ.setdefault("CONTAINERS_CONF", str(ROOT / "molecule/resources/image/containers.conf"))


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


def put(host: str, source: str, dest: str) -> None:
    """A file of the repository onto a lab host, readable by all (the app's user runs some of them)."""
    inside(host, f"mkdir -p {shlex.quote(dest.rsplit('/', 1)[0])}")
    run(["podman", "cp", str(ROOT / source), f"{LAB}-{host}:{dest}"])
    inside(host, f"chmod 0644 {shlex.quote(dest)}")


def write_inventories() -> None:
    """One inventory per layout, all on the same lab; lab settings as inventory/local has them."""
    STATE.mkdir(parents=True, exist_ok=True)
    DEFAULT_CFG.write_text(
        "# Ansible's defaults, but for where this project's roles, their action and collections are.\n"
        "[defaults]\n"
        f"roles_path = {ROOT}/roles\n"
        f"action_plugins = {ROOT}/plugins/action\n"
        f"library = {ROOT}/plugins/modules\n"
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
    # A section's own layouts, with their group variables (for the app group).
    import sections

    app_vars = {}
    for section in sections.BY_NAME.values():
        for name, (groups, group_vars) in getattr(section, "layouts", dict)().items():
            layouts[name], app_vars[name] = groups, group_vars
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
        if name in app_vars:
            (inv / "group_vars" / "app.yml").write_text(json.dumps(app_vars[name], indent=1))
        if name == "all":
            (inv / "group_vars" / "acme.yml").write_text(json.dumps({"firewall_tcp_ports": [80, 443, 14000, 15000]}))


def inventory(name: str) -> str:
    return str(STATE / "inventory" / name)


def playbook(
    inv: str, *books: str, cfg: Path = OUR_CFG, extra: dict | None = None, check: bool = True, env: dict | None = None
):
    """Run ansible-playbook (env: more environment, such as ANSIBLE_STRATEGY); return (seconds, recap {host:
    {ok, changed, ...}}, output)."""
    # SSH control sockets of their own: recreate() ends the bench's connections
    # to a removed host without touching anyone else's.
    env = dict(
        os.environ,
        **(env or {}),
        ANSIBLE_CONFIG=str(cfg),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_SSH_CONTROL_PATH_DIR=str(CONTROL_DIR),
    )
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory(inv)]
    if extra:
        # One JSON document: lists and paths arrive as they are, not as strings.
        cmd += ["-e", json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in extra.items()})]
    cmd += [str(ROOT / b) if not b.startswith("/") else b for b in books]
    t0 = time.monotonic()
    res = run(cmd, env=env, check=check)
    seconds = time.monotonic() - t0
    recap = {}
    for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", res.stdout, re.M):
        recap[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return seconds, recap, res.stdout


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by the controller (this process's finished children:
    ansible-playbook, its workers, Mitogen and the SSH clients it waited for; an
    SSH master left running by ControlPersist is not counted) and by the lab's
    hosts (the containers' cgroup, v1 or v2), so a run's share of each is a difference."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    v1 = Path("/sys/fs/cgroup/cpuacct/libpod_parent/cpuacct.usage")
    v2 = Path("/sys/fs/cgroup/libpod_parent/cpu.stat")
    if v1.exists():
        hosts = int(v1.read_text()) / 1e9
    elif v2.exists():
        hosts = int(re.search(r"^usage_usec (\d+)", v2.read_text(), re.M).group(1)) / 1e6
    else:
        raise SystemExit("bench: no CPU accounting for the lab's containers (cgroup libpod_parent)")
    return {"controller": children.ru_utime + children.ru_stime, "hosts": hosts}


def changed(recap: dict) -> int:
    return sum(r.get("changed", 0) for r in recap.values())


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
    """A bare host again: the lab mechanism (molecule/resources/lab/create.yml,
    lab_recreate) removes its container and starts it anew from the base image,
    with the same name and address, and writes its new host key to known_hosts."""
    # An SSH master still open to the removed container would hang the next
    # connection to its successor (same address) until it times out.
    run(["pkill", "-f", f"{CONTROL_DIR}/"], check=False, quiet=True)
    playbook("all", "molecule/resources/playbooks/lab-up.yml", extra={"lab_name": LAB, "lab_recreate": [host]})


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


# The project's code that the figures are about: what the roles deploy and how
# Ansible drives it. The bench's own code, the lab and the documentation
# (Markdown files) are not part of it.
CODE_PATHS = ("ansible.cfg", "app", "group_vars", "playbooks", "plugins", "roles")


def code_id(commit: str | None = None) -> str:
    """Names the content of CODE_PATHS: the first 12 hex digits of a SHA-256 over each
    file's blob hash and path, sorted by path, Markdown files left out. Of the working
    tree (its files as they are: tracked ones, committed or not, and new ones git does
    not ignore) or, with commit, of that commit, which gives the same id for the same
    content: a section saved on a clean tree can be traced to every commit with its
    code."""
    git = ["git", "-C", str(ROOT)]
    if commit:
        # "<mode> blob <hash>\t<path>" for each file, NUL-terminated.
        listing = run([*git, "ls-tree", "-rz", commit, "--", *CODE_PATHS]).stdout.split("\0")
        pairs = [(e.split("\t", 1)[1], e.split()[2]) for e in listing if e]
    else:
        # Tracked files and new ones not ignored, as they are on disk (a link as
        # its target's path, the way git stores it).
        listed = run([*git, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *CODE_PATHS])
        paths = sorted({p for p in listed.stdout.split("\0") if p and os.path.lexists(ROOT / p)})
        links = {p: os.readlink(ROOT / p) for p in paths if (ROOT / p).is_symlink()}
        files = [p for p in paths if p not in links]
        blobs = run([*git, "hash-object", "--stdin-paths"], input="\n".join(files)).stdout.split()
        for path, target in links.items():
            files.append(path)
            blobs.append(run([*git, "hash-object", "--stdin"], input=target).stdout.strip())
        pairs = list(zip(files, blobs, strict=True))
    text = "".join(f"{blob} {path}\n" for path, blob in sorted(pairs) if not path.endswith(".md"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


RUN_RECORD = RESULTS / "last-run.json"


def stamp(seconds: float) -> str:
    """A time as the figures give it: to the minute, UTC."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def save_run(started: float, finished: float, measured: list[str], runs: int) -> None:
    """The record of one run of bench.py: when it started and finished, what it
    measured, how many runs each and the code it measured (lab.code_id at the end),
    so the page can tell whether its sections come from that one run."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "started": stamp(started),
        "finished": stamp(finished),
        "minutes": round((finished - started) / 60, 1),
        "sections": measured,
        "runs": runs,
        "code": code_id(),
    }
    RUN_RECORD.write_text(json.dumps(record, indent=1))
    log(f"run: saved {RUN_RECORD}")


def save(section: str, data: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data["when"] = stamp(time.time())
    data["code"] = code_id()
    (RESULTS / f"{section}.json").write_text(json.dumps(data, indent=1))
    log(f"{section}: saved {RESULTS / (section + '.json')}")
