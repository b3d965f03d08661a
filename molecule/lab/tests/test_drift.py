"""A converge on a host that drifted from it: --check says what it would put back and
changes nothing; the real run puts back exactly that; a changed sshd setting is
proven over a new SSH login, and a run that changes nothing opens no second one."""

import dataclasses
import time

import pytest
from labtest import Run, run_playbook

testinfra_hosts = ["host-a"]

# A base package (common_packages) that nothing else on the host needs.
PACKAGE = "less"
PACKAGES = "common : Packages | Install the base packages"
DROP_IN = "common : SSH | Write the hardening drop-in (checked by sshd -t first)"
RELOAD = "common : Reload sshd"
PROVE = "common : SSH | Prove that Ansible can still log in"


@dataclasses.dataclass
class Converge:
    run: Run
    # sshd's logins on the host during the run.
    logins: int
    # Each login of the journal read (its time, epoch seconds, and line), for the messages.
    journal: list[str]


def converge(host, *args: str, extra: dict | None = None) -> Converge:
    """The run, and the logins sshd logged from just before it to its end. Not later:
    the read of the journal goes over this test's own SSH connection, which has to
    log in again when a slow run kept it idle longer than ControlPersist (the likely
    cause of one login too many in each of three checks on a slow night). The lab's
    hosts are containers on this machine's kernel: the journal's times and the
    controller's are one clock."""
    cursor = host.check_output("journalctl --show-cursor -n 0 -q | sed -n 's/^-- cursor: //p'")
    run = run_playbook("converge.yml", "-l", "host-a", *args, extra=extra)
    ended = time.time()
    with host.sudo():
        journal = host.check_output(f"journalctl -u ssh.service --after-cursor '{cursor}' -o short-unix")
    accepted = [line for line in journal.splitlines() if "Accepted publickey" in line]
    during = [line for line in accepted if float(line.split(" ", 1)[0]) <= ended]
    return Converge(run, len(during), [*accepted, f"{ended:.6f} the run ended"])


@pytest.fixture(scope="module")
def drifted(host):
    """A base package removed by hand, and python3-apt, without which the apt module
    cannot run (dpkg --force-depends: unattended-upgrades needs it); the next run asks
    for a stricter sshd setting."""
    with host.sudo():
        host.run_expect([0], f"DEBIAN_FRONTEND=noninteractive apt-get remove -y -q {PACKAGE}")
        host.run_expect([0], "dpkg --remove --force-depends python3-apt")
    checked = converge(host, "--check", "--diff", extra={"common_ssh_max_auth_tries": 2})
    still_missing = [name for name in (PACKAGE, "python3-apt") if not host.package(name).is_installed]
    applied = converge(host, extra={"common_ssh_max_auth_tries": 2})
    with host.sudo():
        effective = host.check_output("sshd -T | grep '^maxauthtries '")
    return checked, still_missing, applied, effective


@pytest.fixture(scope="module")
def restored(host, drifted):
    """The package removed again (python3-apt stays); --check, then the inventory's
    setting again, then a run with nothing to do."""
    with host.sudo():
        host.run_expect([0], f"DEBIAN_FRONTEND=noninteractive apt-get remove -y -q {PACKAGE}")
    checked = converge(host, "--check", "--diff")
    back = converge(host)
    with host.sudo():
        effective = host.check_output("sshd -T | grep '^maxauthtries '")
    return checked, back, effective, converge(host)


def test_check_without_the_apt_module_says_what_it_would_install_and_changes_nothing(drifted):
    checked, still_missing, _, _ = drifted
    assert checked.run.rc == 0, checked.run.tail()
    # The reload a real run would do is reported too; nothing is reloaded.
    assert checked.run.tasks("host-a") == [PACKAGES, DROP_IN, RELOAD], checked.run.tail()
    assert f"Would install: python3-apt, {PACKAGE}\n" in checked.run.stdout, checked.run.tail()
    assert "-MaxAuthTries 3\n+MaxAuthTries 2\n" in checked.run.stdout, checked.run.tail()
    assert still_missing == [PACKAGE, "python3-apt"]


def test_the_next_converge_installs_the_apt_module_and_the_removed_package_again(host, drifted):
    _, _, applied, _ = drifted
    assert applied.run.rc == 0, applied.run.tail()
    assert host.package("python3-apt").is_installed
    assert host.package(PACKAGE).is_installed
    with host.sudo():
        assert host.run("apt-get check").rc == 0


def test_the_next_converge_changes_only_what_drifted(drifted):
    _, _, applied, _ = drifted
    assert applied.run.tasks("host-a") == [PACKAGES, DROP_IN, RELOAD], applied.run.tail()


def test_a_changed_sshd_setting_is_live_and_proven_over_a_new_login(drifted):
    _, _, applied, effective = drifted
    assert effective == "maxauthtries 2"
    assert PROVE in applied.run.tasks("host-a", "ok"), applied.run.tail()
    assert applied.logins == 2, applied.journal


def test_check_with_the_apt_module_prints_apts_own_account(restored):
    checked, _, _, _ = restored
    assert checked.run.rc == 0, checked.run.tail()
    assert checked.run.tasks("host-a") == [PACKAGES, DROP_IN, RELOAD], checked.run.tail()
    assert f"The following NEW packages will be installed:\n  {PACKAGE}\n" in checked.run.stdout


def test_setting_it_back_is_proven_too(restored):
    _, back, effective, _ = restored
    assert back.run.rc == 0, back.run.tail()
    assert effective == "maxauthtries 3"
    assert back.run.tasks("host-a") == [PACKAGES, DROP_IN, RELOAD], back.run.tail()
    assert PROVE in back.run.tasks("host-a", "ok")
    assert back.logins == 2, back.journal


def test_a_run_with_nothing_to_do_logs_in_once_and_proves_nothing(restored):
    _, _, _, again = restored
    assert again.run.rc == 0, again.run.tail()
    assert again.run.tasks("host-a") == [], again.run.tail()
    assert PROVE not in again.run.tasks("host-a", "ok")
    assert again.logins == 1, again.journal
