"""Lab hosts have their own addresses and reach each other by name."""

import pytest

testinfra_hosts = ["host-a"]


def test_host_b_name_resolves_to_another_address(host):
    own = host.interface.default().addresses
    other = host.addr("host-b")
    assert other.is_resolvable
    assert not set(other.ipv4_addresses) & set(own)


def test_host_a_reaches_host_b_ssh_by_name(host):
    assert host.addr("host-b").port(22).is_reachable


def test_host_b_refuses_password_logins(ssh_from_a):
    # The server lists the methods it still accepts when it refuses a login.
    status, output = ssh_from_a(
        "-o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive", "admin@host-b"
    )
    assert status == 255
    assert "Permission denied (publickey)" in output


@pytest.fixture
def throwaway_key(host, host_b):
    """A key of host-a's, authorized for both admin and root on host-b, then removed."""
    host.run_expect([0], "rm -f /tmp/probe-key /tmp/probe-key.pub && ssh-keygen -q -t ed25519 -N '' -f /tmp/probe-key")
    public = host.file("/tmp/probe-key.pub").content_string.strip()
    files = ["/home/admin/.ssh/authorized_keys", "/root/.ssh/authorized_keys"]
    with host_b.sudo():
        host_b.run_expect([0], "install -d -m 0700 /root/.ssh")
        for path in files:
            host_b.run_expect([0], f"echo '{public}' >> {path}")
    yield "/tmp/probe-key"
    with host_b.sudo():
        for path in files:
            host_b.run_expect([0], f"sed -i '\\|{public.split()[1]}|d' {path}")
    host.run("rm -f /tmp/probe-key /tmp/probe-key.pub")


def test_host_b_refuses_root_even_with_an_authorized_key(ssh_from_a, throwaway_key):
    status, output = ssh_from_a(f"-i {throwaway_key}", "admin@host-b")
    assert status == 0, output  # the key itself is good ...
    status, output = ssh_from_a(f"-i {throwaway_key}", "root@host-b")
    assert status == 255  # ... but not for root
    assert "Permission denied" in output
