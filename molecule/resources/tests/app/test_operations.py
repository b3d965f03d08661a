"""The operators' playbooks on app servers: run.yml runs a one-off command as the
app runs (its release, venv, environment, user and sandbox), logs.yml finds
the app's own lines, status.yml says what runs. All through the project's
playbooks, as an operator runs them (molecule/resources/playbooks/operate/).
"""

import uuid

import pytest
import testinfra.backend.ansible
from labtest import APP, BASE, INVENTORY_DIR, Marker, failure_messages, lab_host, printed, run_playbook

testinfra_hosts = ["app"]

OPERATE = "../resources/playbooks/operate"
# What a process's sandbox is, as the kernel sees it: privileges, system call
# filter, capabilities.
SANDBOX = "grep -E '^(NoNewPrivs|Seccomp|CapBnd|CapEff|CapAmb):' /proc/self/status"
PROBE = "; ".join(
    [
        "echo user=$(id -un)",
        "echo dir=$(pwd -P)",
        "echo python=$(command -v python)",
        "echo instance=$INSTANCE_PATH",
        "echo umask=$(umask)",
        "python -c 'import flaskapp, sys; print(\"module=\" + flaskapp.__file__)'",
        "touch $INSTANCE_PATH/run-probe && rm $INSTANCE_PATH/run-probe && echo shared=writable",
        SANDBOX,
    ]
)


# The app servers in inventory order; run.yml picks the first.
APP_HOSTS = testinfra.backend.ansible.AnsibleBackend.get_hosts("app", ansible_inventory=INVENTORY_DIR)


def name_of(host) -> str:
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def first():
    """The app server run.yml runs on."""
    return lab_host(APP_HOSTS[0])


def under_systemd(host) -> bool:
    return not host.file(f"/etc/supervisor/conf.d/{APP}.conf").exists


@pytest.fixture(scope="module")
def probe():
    """run.yml with a command that reports what it sees, once for the module."""
    return run_playbook(f"{OPERATE}/run.yml", extra={"cmd": PROBE})


def probe_lines(probe) -> list[str]:
    """The command's output lines (the debug task's list; the exit status's assert prints a string)."""
    printed_here = printed(probe.stdout, "msg")[APP_HOSTS[0]]
    return [line for values in printed_here if isinstance(values, list) for line in values]


def test_run_runs_the_command_once_on_the_first_app_server(probe):
    assert probe.rc == 0, probe.tail()
    ran = printed(probe.stdout, "msg")
    outputs = {h for h, values in ran.items() for v in values if isinstance(v, list) and "user=" in " ".join(v)}
    assert outputs == set(APP_HOSTS[:1]), ran


def test_run_uses_the_current_release_its_venv_and_environment(first, probe):
    host = first
    lines = probe_lines(probe)
    release = host.file(f"{BASE}/current").linked_to
    assert f"user={APP}" in lines
    assert f"dir={release}" in lines
    assert f"python={release}/venv/bin/python" in lines
    assert f"instance={BASE}/shared/instance" in lines
    assert "umask=0027" in lines
    # The app's module from this release's venv (its build's, which the release links to).
    venvs = (f"module={release}/venv/", f"module={host.file(f'{release}/venv').linked_to}/")
    assert any(line.startswith(venvs) for line in lines), lines
    assert "shared=writable" in lines


def test_run_has_the_sandbox_of_the_app_server(first, probe):
    host = first
    lines = probe_lines(probe)
    with host.sudo():
        if under_systemd(host):
            pid = host.check_output(f"systemctl show -P MainPID {APP}.service")
        else:
            pid = host.check_output(f"supervisorctl pid {APP}")
        served = host.check_output(SANDBOX.replace("/proc/self/", f"/proc/{pid}/")).splitlines()
    seen = [line for line in lines if line.split(":")[0] in {"NoNewPrivs", "Seccomp", "CapBnd", "CapEff", "CapAmb"}]
    assert [" ".join(line.split()) for line in seen] == [" ".join(line.split()) for line in served]
    if under_systemd(host):
        # The systemd unit's sandbox, really: no new privileges, a system call filter, no capabilities.
        assert {"NoNewPrivs: 1", "Seccomp: 2", "CapBnd: 0000000000000000"} <= {" ".join(s.split()) for s in seen}


def test_run_fails_with_the_commands_exit_status_and_shows_its_output():
    failing = "echo about to fail >&2; exit 3"
    run = run_playbook(f"{OPERATE}/run.yml", extra={"cmd": failing})
    assert run.rc != 0
    messages = failure_messages(run.output)
    assert f"cmd ({failing}) exited with status 3 on {APP_HOSTS[0]}; its output is above." in messages, run.tail()
    assert "about to fail" in run.stdout


def test_run_everywhere_runs_on_every_app_server():
    run = run_playbook(f"{OPERATE}/run.yml", extra={"cmd": "hostname", "everywhere": True})
    assert run.rc == 0, run.tail()
    ran = printed(run.stdout, "msg")
    for name in APP_HOSTS:
        assert any(isinstance(v, list) and v for v in ran.get(name, [])), ran


def test_run_without_cmd_is_refused_before_anything_runs(first):
    with Marker(first) as changed:
        run = run_playbook(f"{OPERATE}/run.yml")
        assert changed() == []
    assert run.rc != 0
    messages = failure_messages(run.output)
    assert messages and messages[0].startswith("cmd (gunicorn_run_command) is empty"), run.tail()


def test_logs_find_a_line_the_app_wrote(host, get):
    token = uuid.uuid4().hex
    assert get(f"/no-such-page-{token}")[0] == 404
    run = run_playbook(f"{OPERATE}/logs.yml", "-l", name_of(host), extra={"grep": token, "since": "10min"})
    assert run.rc == 0, run.tail()
    lines = printed(run.stdout, "msg")[name_of(host)][0]
    assert any(f"/no-such-page-{token}" in line and '"status": 404' in line for line in lines), lines


def test_logs_refuse_a_bad_since():
    run = run_playbook(f"{OPERATE}/logs.yml", extra={"since": "yesterday"})
    assert run.rc != 0
    assert any(m.startswith("since (gunicorn_logs_since: yesterday) must be") for m in failure_messages(run.output))


def test_status_shows_the_release_and_process_and_changes_nothing(host):
    # The health probe is a request, which the app logs: to the journal under systemd
    # (skipped by Marker), to its own log file under supervisor.
    with Marker(host, (f"/var/log/supervisor/{APP}.log",)) as changed:
        run = run_playbook(f"{OPERATE}/status.yml", "-l", name_of(host))
        assert changed() == []
    assert run.rc == 0, run.tail()
    status = printed(run.stdout, "gunicorn_status")[name_of(host)][0]
    with host.sudo():
        if under_systemd(host):
            pid = int(host.check_output(f"systemctl show -P MainPID {APP}.service"))
            assert status["state"] == "active/running"
        else:
            pid = int(host.check_output(f"supervisorctl pid {APP}"))
            assert status["state"] == "RUNNING"
    release = host.file(f"{BASE}/current").linked_to.rsplit("/", 1)[1]
    assert status["release"] == release
    assert status["pid"] == pid
    assert status["workers"] >= 1
    # The table: this host's row, with its release, version and a passing health probe.
    tables = [v for values in printed(run.stdout, "msg").values() for v in values if isinstance(v, list)]
    rows = [row.split() for table in tables if table and table[0].startswith("host ") for row in table[1:]]
    row = next(row for row in rows if row[0] == name_of(host))
    assert row[1:3] == [release, status["version"]] and status["version"], row
    assert row[4] == "ok", row
