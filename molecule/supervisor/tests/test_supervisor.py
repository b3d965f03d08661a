"""Gunicorn under supervisor: the same config, and changes to it touch no other program."""

from labtest import APP, BASE, SOCKET

testinfra_hosts = ["app"]


def test_supervisor_is_enabled_and_running(host):
    assert host.service("supervisor").is_enabled
    assert host.service("supervisor").is_running


def test_program_runs_what_current_holds(host):
    with host.sudo():
        status = host.run(f"supervisorctl status {APP}").stdout
        program = host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
    assert "RUNNING" in status
    assert f". {BASE}/current/app.env;" in program
    assert f"exec {BASE}/current/venv/bin/gunicorn --config {BASE}/current/gunicorn.conf.py" in program


def test_no_systemd_units_for_the_app(host):
    assert not host.file(f"/etc/systemd/system/{APP}.service").exists
    assert not host.file(f"/etc/systemd/system/{APP}.socket").exists


def supervised_pid(host, program: str) -> int:
    with host.sudo():
        answer = host.check_output(f"supervisorctl pid {program}")
    assert answer.isdigit() and int(answer) > 0, f"supervisor has no process for {program}: {answer!r}"
    return int(answer)


def test_gunicorn_runs_as_the_app_user(host):
    assert host.process.get(pid=supervised_pid(host, APP)).user == APP


def test_socket_folder_admits_the_app_and_the_web_server_group_only(host):
    with host.sudo():
        assert host.file(SOCKET).is_socket
        folder = host.file(SOCKET.rsplit("/", 1)[0])
        assert (folder.user, folder.group, folder.mode) == (APP, "www-data", 0o750)


def test_other_programs_were_never_restarted(host):
    with host.sudo():
        saved = host.file("/var/tmp/bystander.pid").content_string.strip()
    # The pid saved before the converge is a real pid of a running sleep, still the same one.
    assert saved.isdigit() and int(saved) > 0, f"the saved pid is {saved!r}"
    assert host.process.get(pid=int(saved)).args == "/bin/sleep infinity"
    assert supervised_pid(host, "bystander") == int(saved)


def test_killed_master_is_serving_again_within_10_seconds(host, wait_until_serving):
    before = supervised_pid(host, APP)
    with host.sudo():
        host.run_expect([0], f"kill -9 {before}")
    assert wait_until_serving(10) is not None
    assert supervised_pid(host, APP) != before


def test_gunicorn_runs_the_worker_model_asked_for(host):
    # This scenario asks for gthread (its scenario-vars), whose threads default to 4.
    with host.sudo():
        config = host.file(f"{BASE}/current/gunicorn.conf.py").content_string
        log = host.file(f"/var/log/supervisor/{APP}.log").content_string
    assert 'worker_class = "gthread"' in config and "threads = 4" in config
    started = [line for line in log.splitlines() if "Using worker:" in line]
    assert started and started[-1].endswith("Using worker: gthread"), started[-3:]
