"""The `common` role: what a careful operator checks on a new server."""

import pytest

testinfra_hosts = ["all"]

# Set in the project's group_vars/all, not in the role: proves those are loaded.
APP_USER = "flaskapp"


@pytest.mark.parametrize("name", ["python3-apt", "acl", "ca-certificates", "chrony", "unattended-upgrades"])
def test_base_package_is_installed(host, name):
    assert host.package(name).is_installed


def test_app_user_is_a_system_user_without_shell_or_password(host):
    user = host.user(APP_USER)
    assert user.exists
    assert user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"
    assert user.group == APP_USER
    with host.sudo():
        assert host.run(f"passwd --status {APP_USER}").stdout.split()[1] == "L"


def test_app_user_cannot_get_a_shell(host):
    with host.sudo():
        result = host.run(f"su -s /bin/sh -c id {APP_USER} </dev/null; su -c id {APP_USER} </dev/null")
    assert "This account is currently not available" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("passwordauthentication", "no"),
        ("kbdinteractiveauthentication", "no"),
        ("permitrootlogin", "no"),
        ("pubkeyauthentication", "yes"),
        ("x11forwarding", "no"),
        ("maxauthtries", "3"),
        ("maxsessions", "4"),
        ("allowtcpforwarding", "no"),
        ("allowagentforwarding", "no"),
        ("tcpkeepalive", "no"),
        ("loglevel", "VERBOSE"),
        ("compression", "no"),
    ],
)
def test_sshd_effective_setting(host, option, value):
    with host.sudo():
        effective = host.run("sshd -T").stdout.splitlines()
    assert f"{option} {value}" in effective


def test_chrony_is_enabled(host):
    service = host.service("chrony")
    assert service.is_enabled
    # chrony skips itself where it may not set the clock (a container has no
    # CAP_SYS_TIME); on a real server it runs. Either way, it is not failed.
    state = host.run("systemctl show chrony -p ActiveState -p ConditionResult").stdout
    assert "ActiveState=active" in state or "ConditionResult=no" in state


def test_unattended_upgrades_take_security_updates_only(host):
    config = host.run("apt-config dump").stdout
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    origins = [line for line in config.splitlines() if line.startswith("Unattended-Upgrade::Origins-Pattern:: ")]
    assert origins, config
    assert all("Debian-Security" in line for line in origins), origins


def test_unattended_upgrades_dry_run_succeeds(host):
    with host.sudo():
        result = host.run("unattended-upgrade --dry-run")
    assert result.rc == 0, result.stderr


def test_journal_is_persistent(host):
    machine_id = host.file("/etc/machine-id").content_string.strip()
    assert host.file(f"/var/log/journal/{machine_id}").is_directory
    with host.sudo():
        assert host.run("journalctl --header --file /var/log/journal/*/system.journal").rc == 0


def test_extra_ca_certificates_are_in_the_system_bundle(host):
    installed = host.run("ls /usr/local/share/ca-certificates/").stdout.split()
    assert installed
    bundle = host.file("/etc/ssl/certs/ca-certificates.crt").content_string
    for name in installed:
        pem = host.file(f"/usr/local/share/ca-certificates/{name}").content_string.strip()
        assert pem in bundle, name
