"""On the web host: Nginx checks every configuration before loading it; nftables is ours alone."""

import pytest

testinfra_hosts = ["web1"]


def test_nginx_is_enabled_and_running(host):
    assert host.service("nginx").is_enabled
    assert host.service("nginx").is_running


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
