"""Every host site.yml provisions (load balancer, app hosts on Debian 12 and 13,
the data tier) is hardened: Lynis, Debian's package of it run on the host,
gives a hardening index of 75 or more. The parts the hardening role sets are
each checked as an operator would: the PAM modules, login.defs, the idle-shell
timeout, no core dumps, the blacklisted modules, the banner and sshd's options.

In the lab Lynis cannot credit what a container cannot have (kernel sysctls are
the host's, no USBGuard, no auditd, no separate /var): on a real server the index
is higher, never lower. Its shortfalls are printed with the verdict.
"""

import pytest
from labtest import lynis_audit

testinfra_hosts = ["lb1", "app1", "app2", "db1"]
LEAST_INDEX = 75


def test_lynis_hardening_index_is_at_least_75(host):
    audit = lynis_audit(host)
    shortfalls = ", ".join(f"{test} -{points}" for test, points in sorted(audit.short_of.items(), key=lambda i: -i[1]))
    print(f"Lynis hardening index {audit.index}; short of: {shortfalls}")
    assert audit.index >= LEAST_INDEX, f"index {audit.index}; short of: {shortfalls}"


@pytest.mark.parametrize("module", ["pam_tmpdir.so", "pam_passwdqc.so"])
def test_pam_sessions_use_the_hardening_modules(host, module):
    assert host.run(f"grep -l {module} /etc/pam.d/common-session /etc/pam.d/common-password").stdout.strip()


@pytest.mark.parametrize(
    ("option", "value"),
    [("UMASK", "027"), ("PASS_MAX_DAYS", "365"), ("PASS_MIN_DAYS", "1"), ("SHA_CRYPT_MIN_ROUNDS", "65536")],
)
def test_login_defs_sets(host, option, value):
    assert f"{option}\t{value}" in host.file("/etc/login.defs").content_string.splitlines()


def test_root_keeps_its_umask_and_logins_get_the_hardened_one(host):
    # Root's commands (Ansible's too) run under 022, from root's account entry,
    # so the files they write for services stay readable; on Debian 13, whose
    # PAM sessions run pam_umask, the admin's SSH login gets login.defs' 027
    # (007: its group has its name). Debian 12's PAM stack has no pam_umask.
    assert host.user("root").gecos == "root,,,,umask=022"
    with host.sudo():
        assert host.check_output("sh -c umask") == "0022"
    login = host.check_output("sh -c umask")
    if host.system_info.release.startswith("13"):
        assert int(login, 8) & 0o007 == 0o007, login
    else:
        assert login == "0022", login


def test_an_idle_login_shell_times_out_and_dumps_no_core(host):
    shell = host.run("bash -lc 'echo $TMOUT; ulimit -c; TMOUT=0' 2>&1")
    lines = shell.stdout.splitlines()
    assert lines[:2] == ["900", "0"], shell.stdout
    assert "readonly variable" in shell.stdout


def test_systemd_keeps_no_core_dumps(host):
    assert host.file("/etc/systemd/coredump.conf.d/flaskops-hardening.conf").contains("^Storage=none$")
    assert host.run("bash -c 'ulimit -Hc'").stdout.strip() == "0"


@pytest.mark.parametrize("module", ["usb-storage", "firewire-core", "dccp", "sctp", "rds", "tipc"])
def test_module_may_not_load(host, module):
    # modprobe shows module names with _ for -.
    name = module.replace("-", "_")
    with host.sudo():
        shown = host.run(f"modprobe --showconfig | grep -E '^(blacklist|install) {name}( |$)'").stdout
    assert f"blacklist {name}" in shown
    assert f"install {name} /bin/false" in shown


@pytest.mark.parametrize("path", ["/etc/issue", "/etc/issue.net"])
def test_login_banner_warns(host, path):
    assert host.file(path).contains("Authorised access only")
