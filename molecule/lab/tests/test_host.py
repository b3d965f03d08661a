"""A lab host behaves like a freshly installed Debian server."""

import re

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


# molecule.yml names each host's release.
RELEASES = {"host-a": "13", "host-b": "12"}
CODENAMES = {"12": "bookworm", "13": "trixie"}


def test_debian_release_is_the_one_the_scenario_asked_for(host):
    release = RELEASES[host.backend.get_hostname()]
    assert host.system_info.distribution == "debian"
    assert host.system_info.release.split(".")[0] == release
    assert host.system_info.codename == CODENAMES[release]
    # Its apt sources name its own release only, as a fresh install's do.
    sources = host.check_output("cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true")
    named = set(re.findall(r"\b(bookworm|trixie)\b", sources))
    assert named == {CODENAMES[release]}, sources
