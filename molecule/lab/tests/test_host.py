"""A lab host behaves like a freshly installed Debian server."""

testinfra_hosts = ["all"]


def test_systemd_is_pid_1_and_running(host):
    assert host.process.get(pid=1).comm == "systemd"
    state = host.run("systemctl is-system-running")
    assert state.stdout.strip() == "running", host.run("systemctl --failed --no-legend").stdout


def test_sshd_listens_on_port_22(host):
    assert host.socket("tcp://0.0.0.0:22").is_listening
    assert host.service("ssh").is_running


def test_ansible_logs_in_as_admin_not_root(host):
    assert host.user().name == "admin"


def test_admin_becomes_root_through_sudo(host):
    assert host.run("sudo -n id -u").stdout.strip() == "0"


def test_debian_12(host):
    assert host.system_info.distribution == "debian"
    assert host.system_info.release.startswith("12")
