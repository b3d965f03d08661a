"""On the web host: Nginx checks every configuration before loading it; nftables is ours alone."""

import pytest
from labtest import APP, BASE, unit_exposure

testinfra_hosts = ["web1"]


def test_nginx_is_enabled_and_running(host):
    assert host.service("nginx").is_enabled
    assert host.service("nginx").is_running


def test_nginx_runs_in_its_sandbox(host):
    # Debian's unit as shipped: 9.6 (UNSAFE). The role's drop-in brings it to
    # about 2.6; the bound is 3.0.
    assert unit_exposure(host, "nginx.service") <= 3.0
    master = host.check_output("systemctl show -p MainPID --value nginx.service")
    with host.sudo():
        status = host.file(f"/proc/{master}/status").content_string
        mounts = host.file(f"/proc/{master}/mountinfo").content_string.splitlines()
    # Six capabilities: CHOWN, DAC_OVERRIDE, KILL, SETGID, SETUID, NET_BIND_SERVICE.
    bounding = int(next(line.split()[1] for line in status.splitlines() if line.startswith("CapBnd:")), 16)
    assert bounding == sum(1 << bit for bit in (0, 1, 5, 6, 7, 10)), hex(bounding)
    root = next(line.split() for line in mounts if line.split()[4] == "/")
    assert "ro" in root[5].split(","), root
    # Seen from inside its mount namespace: its logs are writable, its
    # configuration is not; and a reload still works under the sandbox.
    inside = f"nsenter --target {master} --mount --"
    with host.sudo():
        assert host.run(f"{inside} test -w /var/log/nginx/access.log").rc == 0
        assert host.run(f"{inside} test -w /etc/nginx/nginx.conf").rc != 0
        assert host.run("systemctl reload nginx.service").rc == 0
    assert host.check_output("systemctl show -p MainPID --value nginx.service") == master


def test_configuration_uses_no_deprecated_directive(host):
    # Each Debian release's Nginx gets its own form of a directive (vars/debian-N.yml).
    with host.sudo():
        result = host.run("nginx -t")
    assert result.rc == 0, result.stderr
    assert "deprecated" not in result.stderr, result.stderr


def test_validator_refuses_a_broken_site(host):
    with host.sudo():
        host.run_expect([0], "echo 'server { listen 80; bogus_directive on; }' > /tmp/broken.conf")
        result = host.run("/usr/local/sbin/nginx-validate /tmp/broken.conf sites-available/flaskapp.conf")
    assert result.rc != 0
    assert "bogus_directive" in result.stderr


def test_site_certificate_links_to_certbots_lineage(host):
    with host.sudo():
        link = host.run("readlink /etc/nginx/tls/flaskapp/fullchain.pem").stdout.strip()
    assert link == "/etc/letsencrypt/live/flaskapp/fullchain.pem"


@pytest.mark.parametrize("unit", ["nftables.service"])
def test_firewall_loads_at_boot(host, unit):
    assert host.service(unit).is_enabled


def test_firewall_table_drops_by_default_and_other_tables_survive(host):
    with host.sudo():
        host.run_expect([0], "nft add table inet bystander")
        host.run_expect([0], "nft -f /etc/nftables.conf")
        tables = host.run("nft list tables").stdout
        chain = host.run("nft list chain inet flaskops input").stdout
        host.run_expect([0], "nft delete table inet bystander")
    assert "table inet bystander" in tables
    assert "policy drop" in chain


def test_gunicorn_on_tcp_runs_gthread_workers_by_default(host):
    # This scenario binds Gunicorn on TCP, where the default worker class is
    # gthread (sync on a unix socket): Gunicorn names the class when it starts.
    with host.sudo():
        started = host.check_output(f"journalctl -u {APP}.service -b -o cat --grep 'Using worker:' | tail -n 1")
        config = host.file(f"{BASE}/current/gunicorn.conf.py").content_string
    assert started.endswith("Using worker: gthread"), started
    assert 'worker_class = "gthread"' in config and "threads = 4" in config
