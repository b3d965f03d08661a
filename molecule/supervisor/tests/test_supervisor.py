"""Gunicorn under supervisor: the same config, and changes to it touch no other program."""

from conftest import APP, SOCKET

testinfra_hosts = ["app"]


def test_supervisor_is_enabled_and_running(host):
    assert host.service("supervisor").is_enabled
    assert host.service("supervisor").is_running


def test_program_runs_the_same_gunicorn_config(host):
    with host.sudo():
        status = host.run(f"supervisorctl status {APP}").stdout
        program = host.file(f"/etc/supervisor/conf.d/{APP}.conf").content_string
    assert "RUNNING" in status
    assert f"--config /etc/{APP}/gunicorn.conf.py" in program


def test_no_systemd_units_for_the_app(host):
    assert not host.file(f"/etc/systemd/system/{APP}.service").exists
    assert not host.file(f"/etc/systemd/system/{APP}.socket").exists


def test_gunicorn_runs_as_the_app_user(host):
    with host.sudo():
        master = int(host.run(f"supervisorctl pid {APP}").stdout)
    assert host.process.get(pid=master).user == APP


def test_socket_folder_admits_the_app_and_the_web_server_group_only(host):
    with host.sudo():
        assert host.file(SOCKET).is_socket
        folder = host.file(SOCKET.rsplit("/", 1)[0])
        assert (folder.user, folder.group, folder.mode) == (APP, "www-data", 0o750)


def test_other_programs_were_never_restarted(host):
    with host.sudo():
        before = host.file("/var/tmp/bystander.pid").content_string.strip()
        now = host.run("supervisorctl pid bystander").stdout.strip()
    assert now == before


def test_killed_master_is_serving_again_within_10_seconds(host, wait_until_serving):
    with host.sudo():
        before = host.run(f"supervisorctl pid {APP}").stdout.strip()
        host.run_expect([0], f"kill -9 {before}")
    assert wait_until_serving(10) is not None
    with host.sudo():
        assert host.run(f"supervisorctl pid {APP}").stdout.strip() not in ("0", before)
