"""Helpers shared by every scenario's checks (on the path through .config/molecule/config.yml).

- `lab_host(name)`: a lab host, reached like every test host (Ansible's inventory, SSH).
- `run_playbook(...)`: a real ansible-playbook run from the controller, with its recap parsed.
- `failure_messages(output)`: the message of each task that reported a failure.
- `printed(output, key)`: what each host's debug task printed under `key` (msg or a var).
- `Marker`: what changed on a host since a moment, by inode change time over every
  path a playbook can write (content, mode, owner and ACL changes alike).
- `Load`, `LoadRecord` and `assert_load_covers(...)`: the load generator run from a
  test, its record, and the one assertion that it really covered a run (spans it,
  nothing lost, no stall); `assert_maintenance_window(...)`: a load through
  maintenance on and off failed no request outside the window.
- `psql(host, sql)`: a query as PostgreSQL's superuser on the database host, rows as lists.
- `unit_exposure(host, unit)`: systemd-analyze security's overall exposure of a unit.
- `compilers(host)`: the compiler packages (and `cc`) a host has; a serving host has none.
- `lynis_audit(host)`: a Lynis audit of a host (hardening index, where points were lost).
- `answering_ports(client, target, ports)`: an nmap scan's ports that answer (open or
  closed), asserting that every other port scanned is filtered.
- `APP`, `BASE`, `SOCKET`: the app's paths on an app host.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time
import uuid

import testinfra

APP = "flaskapp"
BASE = f"/srv/{APP}"
SOCKET = f"/run/{APP}/gunicorn.sock"

PROJECT = pathlib.Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", pathlib.Path(__file__).parents[3]))
SCENARIO = pathlib.Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", "."))
EPHEMERAL = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."))
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
# The scenario's lab: its hosts are the containers <LAB>-<host> (molecule-create.yml).
LAB = f"mol-{os.environ.get('MOLECULE_SCENARIO_NAME', '')}"
# testinfra is given the inventory's folder (with the project's group_vars linked in), as Molecule gives it.
INVENTORY_DIR = os.path.dirname(INVENTORY)
# The ansible-playbook of the toolchain running these tests, activated or not.
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


@functools.cache
def lab_host(name: str) -> testinfra.host.Host:
    """A lab host of this scenario, reached over SSH through Ansible's inventory."""
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY_DIR)


def psql(host: testinfra.host.Host, sql: str, database: str = APP) -> list[list[str]]:
    """Rows of `sql` in `database`, run as postgres over the local socket; fails the test on an error."""
    with host.sudo("postgres"):
        result = host.run(f"psql -d {database} -AtX -F '|' -v ON_ERROR_STOP=1 -c {shlex.quote(sql)}")
    assert result.rc == 0, f"psql failed ({result.rc}): {result.stderr}"
    return [line.split("|") for line in result.stdout.splitlines()]


def unit_exposure(host: testinfra.host.Host, unit: str) -> float:
    """The overall exposure (0 safe to 10 unsafe) that `systemd-analyze security` gives a unit."""
    with host.sudo():
        verdict = host.run(f"systemd-analyze security {unit} --no-pager").stdout.splitlines()[-1]
    match = re.search(r"exposure level for \S+: ([0-9.]+)", verdict)
    assert match, verdict
    return float(match.group(1))


# What compiling a Python C extension takes; a serving host has none of it.
COMPILER_PACKAGES = ("build-essential", "gcc", "python3-dev")


def compilers(host: testinfra.host.Host) -> list[str]:
    """The compiler packages installed on `host`, and `cc`/`gcc` if either is on its PATH."""
    found = [package for package in COMPILER_PACKAGES if host.package(package).is_installed]
    return found + host.run("command -v cc gcc").stdout.split()


@dataclasses.dataclass
class LynisAudit:
    """What a Lynis audit of a host found: its hardening index and the tests that lost points."""

    index: int
    suggestions: list[str]
    short_of: dict[str, int]


def lynis_audit(host: testinfra.host.Host) -> LynisAudit:
    """Audit `host` with the controller's Lynis (Debian's package), copied to a private folder and removed after.

    The copy is root's only (Lynis refuses files others may change); the log and
    report go into it too, so the audit leaves nothing on the host.
    """
    where = f"/root/lynis-audit-{uuid.uuid4().hex[:8]}"
    with host.sudo():
        assert host.run(f"install -d -m 0700 {where}").rc == 0
        # Lynis looks for include/, db/, plugins/ and default.prf beside itself.
        for source in (
            "/usr/sbin/lynis",
            "/usr/share/lynis/include",
            "/usr/share/lynis/db",
            "/etc/lynis/plugins",
            "/etc/lynis/default.prf",
        ):
            copied = host.ansible(
                "ansible.builtin.copy", f"src={source} dest={where}/ mode=preserve", check=False, become=True
            )
            assert not copied.get("failed"), copied
        try:
            run = host.run(
                f"cd {where} && chown -R root:root . && chmod -R go-w . && ./lynis audit system --quick"
                f" --no-colors --logfile {where}/log --report-file {where}/report.dat"
            )
            assert run.rc == 0, run.stdout[-2000:] + run.stderr
            report = host.file(f"{where}/report.dat").content_string
            log = host.file(f"{where}/log").content_string
        finally:
            host.run(f"rm -rf {where}")
    index = re.search(r"^hardening_index=(\d+)$", report, re.M)
    assert index, report[-2000:]
    short_of: dict[str, int] = {}
    test = "?"
    for line in log.splitlines():
        if found := re.search(r"Performing test ID (\S+)", line):
            test = found[1]
        elif found := re.search(r"partial number of hardening points \((\d+) of (\d+)\)", line):
            short_of[test] = short_of.get(test, 0) + int(found[2]) - int(found[1])
    suggestions = re.findall(r"^suggestion\[\]=([^|]+\|[^|]+)", report, re.M)
    return LynisAudit(int(index[1]), suggestions, short_of)


def files_nginx_holds_open(name: str) -> list[str]:
    """The files Nginx's worker processes hold open on lab host `name`, as paths. Read through podman
    with every capability: a worker is another user's process that changed its user without exec,
    so even root in the container may not read its open files (that takes CAP_SYS_PTRACE)."""
    script = "for pid in $(pgrep -f '^nginx: worker process'); do find /proc/$pid/fd -type l -printf '%l\\n'; done"
    return subprocess.run(
        ["podman", "exec", "--privileged", f"{LAB}-{name}", "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()


def answering_ports(client: testinfra.host.Host, target: str, ports: str = "-") -> dict[str, str]:
    """Scan `ports` of `target` from `client`: {port: state} of those that answer.

    Every port not listed must be filtered (dropped): nmap's "Not shown" line
    may name no other state. A closed port (one that answers with a reset) is
    listed, so a test that expects only open ports sees it.
    """
    # The firewall drops, so a fast rate with one retry.
    scan = client.run(f"nmap -Pn -p {ports} --min-rate 3000 --max-retries 1 {target}")
    assert scan.rc == 0, scan.stderr
    hidden = re.findall(r"(\d+) (\w+) tcp ports", next(iter(re.findall(r"^Not shown: (.*)$", scan.stdout, re.M)), ""))
    assert {state for _, state in hidden} <= {"filtered"}, scan.stdout
    listed = dict(re.findall(r"^(\d+)/tcp\s+(\S+)\s", scan.stdout, re.M))
    return {port: state for port, state in listed.items() if state != "filtered"}


@dataclasses.dataclass
class Run:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def recap(self) -> dict[str, dict[str, int]]:
        """PLAY RECAP: {host: {"ok": 3, "changed": 0, "unreachable": 0, "failed": 1, ...}}."""
        rows = re.findall(r"^(\S+)\s*:\s*(ok=\d+.*)$", self.stdout, re.M)
        return {host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)} for host, counts in rows}

    def tail(self, chars: int = 3000) -> str:
        return self.output[-chars:]

    def tasks(self, host: str, status: str = "changed") -> list[str]:
        """The tasks and handlers ("role : name") that reported STATUS (ok, changed,
        skipping, failed) for HOST, in the order they ran; a loop counts once."""
        found = []
        sections = re.split(r"^(?:TASK|RUNNING HANDLER) \[(.*?)\] \**$", self.stdout, flags=re.M)
        for name, body in zip(sections[1::2], sections[2::2], strict=True):
            if re.search(rf"^{status}: \[{re.escape(host)}\]", body, re.M):
                found.append(name)
        return found


def run_playbook(
    playbook: str | os.PathLike,
    *args: str,
    extra: dict | None = None,
    inventory: str | os.PathLike | None = None,
    timeout: int = 600,
) -> Run:
    """ansible-playbook PLAYBOOK (relative to the scenario) with `-e extra` as JSON, colour off."""
    command = [ANSIBLE_PLAYBOOK, "-i", str(inventory or INVENTORY), str(SCENARIO / playbook), *args]
    if extra is not None:
        command += ["-e", json.dumps(extra)]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )
    return Run(result.returncode, result.stdout, result.stderr)


def failure_messages(output: str) -> list[str]:
    """The message of each task that failed, as Ansible reported it: its `[ERROR]: Task failed:`
    block (also for no_log tasks, whose result is censored), and the `msg` of each
    `fatal: [host]: FAILED! => {...}` or `failed: [host] (item=...) => {...}` line.

    One string a message, its line breaks kept: match with re.M and a pattern whose
    `.` stays on one line, so it cannot join the words of two different errors."""
    messages = [
        found[1]
        for found in re.finditer(
            r"^\[ERROR\]: Task failed: (?:(?:Action|Module) failed: )?(.*?)\nOrigin: ", output, re.M | re.S
        )
    ]
    for line in output.splitlines():
        found = re.match(r"^(?:fatal|failed): \[[^\]]+\](?: \(item=.*?\))?(?:: FAILED!)? => (\{.*\})\s*$", line)
        if found and "msg" in (result := json.loads(found[1])):
            messages.append(str(result["msg"]))
    return messages


def printed(output: str, key: str) -> dict[str, list]:
    """{host: [value, ...]}: each `ok: [host] => {"key": value}` that a debug task printed, in order."""
    found: dict[str, list] = {}
    for match in re.finditer(r"^ok: \[([^\]]+)\] => (\{\n.*?\n\})$", output, re.M | re.S):
        result = json.loads(match[2])
        if key in result:
            found.setdefault(match[1], []).append(result[key])
    return found


# What changes under any SSH login with sudo, whatever the playbook does; everything
# else a playbook can write is watched. Measured on a lab host around an `ansible -b`
# run of setup and a no-op apt: login records, pam_motd's /run/motd.dynamic (written
# anew, so /run itself changes), the journal, sudo's and logind's runtime state, the
# admin's Ansible temp folder, and /var/log itself (a copy-up of lastlog by overlayfs).
WATCHED = ["/etc", "/srv", "/usr", "/var", "/opt", "/root", "/home", "/run", "/boot"]
# Skipped with all they hold.
LOGIN_SUBTREES = [
    "/var/log/journal",
    "/run/log/journal",
    "/run/systemd",
    "/run/user",
    "/run/sudo",
    "/run/dbus",
    "/run/sshd",
    "/run/credentials",
    "/home/admin/.ansible",
    # Mitogen's temp folder for tasks that become root (the admin's, above, otherwise).
    "/root/.ansible",
]
# What the data tier's servers write by themselves while they run: PostgreSQL's
# data and WAL (and pgBackRest's archive of it), Redis's snapshots, their logs.
# Their configuration (/etc/postgresql, /etc/redis, /etc/pgbackrest.conf) is watched.
DATA_SERVICES = (
    "/var/lib/postgresql",
    "/var/log/postgresql",
    "/var/lib/pgbackrest",
    "/var/log/pgbackrest",
    "/var/lib/redis",
    "/var/log/redis",
    "/run/postgresql",
)
# Skipped themselves; what is under a folder here is still watched.
LOGIN_ENTRIES = [
    "/var/log",
    "/var/log/wtmp",
    "/var/log/btmp",
    "/var/log/lastlog",
    "/run",
    "/run/utmp",
    "/run/motd.dynamic",
]


class Marker:
    """`with Marker(host) as changed: ...; changed()` lists what changed since it was set.

    Change time (ctime) moves on any write, chmod, chown or ACL change, and cannot
    be set back by the writer. find's exit status is checked: an unreadable folder
    fails the check rather than hiding a change.
    """

    def __init__(self, host: testinfra.host.Host, services: tuple[str, ...] = ()):
        """`services`: folders that running services write on their own (a database's
        data, a cache's snapshots), skipped with all they hold."""
        self.host = host
        self.path = f"/var/tmp/marker-{uuid.uuid4().hex}"
        self.services = list(services)

    def __enter__(self):
        with self.host.sudo():
            self.host.run_expect([0], f"touch {self.path}")
        # ctime has the file system's resolution; a whole second apart from the change.
        self.host.run_expect([0], "sleep 1")
        return self.changed

    def __exit__(self, *exc) -> None:
        with self.host.sudo():
            self.host.run(f"rm -f {self.path}")

    def changed(self) -> list[str]:
        prune = " -o ".join(f"-path {p}" for p in LOGIN_SUBTREES + self.services)
        skip = " ".join(f"! -path {p}" for p in [*LOGIN_ENTRIES, self.path])
        command = (
            f"find {' '.join(WATCHED)} -ignore_readdir_race -xdev \\( {prune} \\) -prune"
            f" -o -cnewer {self.path} {skip} -print"
        )
        with self.host.sudo():
            found = self.host.run(command)
        assert found.rc == 0, f"find failed ({found.rc}): {found.stderr}"
        return found.stdout.split()


@dataclasses.dataclass
class LoadRecord:
    """One run of loadgen: every answer, sorted by when it was due, and its closing summary."""

    answers: list[dict]
    summary: dict

    @classmethod
    def parse(cls, text: str, source: str = "the load record") -> LoadRecord:
        lines = [json.loads(line) for line in text.splitlines()]
        summaries = [line["summary"] for line in lines if "summary" in line]
        assert summaries, f"{source}: no closing summary, the load generator did not finish by itself"
        answers = sorted((line for line in lines if "summary" not in line), key=lambda r: r["t"])
        return cls(answers, summaries[-1])

    @classmethod
    def read(cls, path: str | os.PathLike) -> LoadRecord:
        return cls.parse(pathlib.Path(path).read_text(), str(path))

    @property
    def failed(self) -> list[dict]:
        """Answers other than the one expected (200 for a read, 201 for a write)."""
        return [r for r in self.answers if not r.get("ok", r["status"] == 200)]

    @property
    def acknowledged(self) -> dict[int, str]:
        """With --post: {id: title} of every write the app acknowledged (201)."""
        return {r["id"]: r["title"] for r in self.answers if r.get("title") and r["status"] == 201}

    def releases(self, since: float = 0.0) -> set:
        return {r["release"] for r in self.answers if r["t"] >= since}


class Load:
    """`with Load(client, "renewal", url) as load: ...` runs loadgen on a lab client
    (installed by the lab's load-client.yml) for the block's time, in a transient
    unit; on leaving, it is stopped by its stop file, its exit status checked, and
    its record read into `load.record`, with `load.started`/`load.ended` (epoch
    seconds) around the block for `assert_load_covers`."""

    def __init__(self, client: testinfra.host.Host, name: str, url: str, rate: float = 20, post: str = ""):
        self.client, self.name, self.url, self.rate = client, f"loadgen-{name}", url, rate
        self.post = f" --post {post}" if post else ""
        self.record: LoadRecord | None = None

    def __enter__(self) -> Load:
        with self.client.sudo():
            self.client.run_expect(
                [0],
                f"rm -f /run/{self.name}.stop && systemd-run --unit {self.name} --property RemainAfterExit=yes"
                f" --quiet /usr/local/bin/loadgen {self.url} --rate {self.rate} --duration 300"
                f" --cafile /etc/ssl/pebble-root.pem --out /var/tmp/{self.name}.jsonl"
                f" --stop-file /run/{self.name}.stop{self.post}",
            )
        time.sleep(2)  # the record begins before the block
        self.started = time.time()
        return self

    def __exit__(self, *exc) -> None:
        self.ended = time.time()
        time.sleep(2)  # and ends after it
        with self.client.sudo():
            status = self.client.check_output(
                f"touch /run/{self.name}.stop; "
                f'while [ "$(systemctl show -p SubState --value {self.name})" = running ]; do sleep 0.5; done; '
                f"systemctl show -p ExecMainStatus --value {self.name}; "
                f"systemctl stop {self.name}; systemctl reset-failed {self.name} 2>/dev/null || true"
            )
            text = self.client.file(f"/var/tmp/{self.name}.jsonl").content_string
        if exc[0] is None:
            assert status == "0", f"the load generator exited with {status}"
            self.record = LoadRecord.parse(text, self.name)


def epoch(stamp: str) -> float:
    """A time as Ansible's command results give it ('2026-11-24 12:00:00.123456', local time)."""
    return datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()


def assert_load_covers(load: LoadRecord, started: float, ended: float, max_gap_s: float = 1.0) -> None:
    """The load ran through the whole run and lost nothing.

    - it stopped because it was told to, not at its duration or by an error;
    - every request sent was recorded;
    - a request was due before the run started and another after it ended;
    - no two consecutive requests left more than `max_gap_s` apart: a stalled
      generator would hide an outage from the record, since it catches up at
      once. Any restart, drain or outage the tests must see lasts seconds; a
      gap of 1 s (50 intervals at 50/s) still shows each. Seen on the 2-core
      machine: 4 intervals at most as a rule; 0.27 s once, as the cluster's SSH
      cut ran; 0.56 s once in CI, as the cluster's crash phase built its wheels
      beside the other lanes (before the load clients' CPU weight was raised,
      see lab/create.yml).
    """
    summary = load.summary
    assert summary["stopped"] == "stop-file", f"the load stopped by itself: {summary}"
    assert summary["sent"] == summary["recorded"] == len(load.answers), summary
    assert load.answers, summary
    assert load.answers[0]["t"] < started, f"the load began {load.answers[0]['t'] - started:.1f} s after the run"
    assert load.answers[-1]["t"] > ended, f"the load ended {ended - load.answers[-1]['t']:.1f} s before the run"
    sent = sorted(r["t"] + r["lag_ms"] / 1000 for r in load.answers)
    gaps = [(b - a, a) for a, b in itertools.pairwise(sent)]
    worst, at = max(gaps)
    assert worst <= max_gap_s, (
        f"no request left for {worst:.2f} s from {at - started:+.1f} s after the run's start"
        f" (the generator's largest lag: {summary['max_lag_ms']} ms)"
    )


def assert_maintenance_window(load: Load, on: float, off: float, least: int = 20) -> None:
    """A load through maintenance on (at `on`) and off (at `off`): it covered the whole
    block, every answer was 200 or the maintenance 503, at least `least` 503s came, and
    all of them between on and off: no request failed outside the window."""
    record = load.record
    assert_load_covers(record, load.started, load.ended)
    assert {r["status"] for r in record.answers} <= {200, 503}, {r["status"] for r in record.answers}
    maintenance = [r for r in record.answers if r["status"] == 503]
    assert len(maintenance) >= least, f"{len(maintenance)} maintenance answers, {least} or more expected"
    assert all(on <= r["t"] <= off for r in maintenance)
