"""What the world sees of the cluster, from client1: only the load balancer's
SSH, HTTP and HTTPS; the app hosts' Gunicorn port only from the load balancer;
the database host's PostgreSQL and Redis only from the app hosts. Every other
port of every host is filtered, not closed: a full scan that finds a closed
port fails."""

import re

import pytest
from labtest import answering_ports, lab_host

testinfra_hosts = ["client1"]


def test_a_full_port_scan_of_the_load_balancer_finds_only_ssh_http_https(host):
    assert answering_ports(host, "lb1") == {"22": "open", "80": "open", "443": "open"}


@pytest.mark.parametrize("app", ["app1", "app2"])
def test_a_full_port_scan_of_an_app_host_finds_only_ssh(host, app):
    # Gunicorn listens on every interface: only the firewall keeps it to lb1.
    assert lab_host(app).socket("tcp://0.0.0.0:8000").is_listening
    assert answering_ports(host, app) == {"22": "open"}


def test_a_full_port_scan_of_the_database_host_finds_only_ssh(host):
    assert answering_ports(host, "db1") == {"22": "open"}


DATA_PORTS = {"postgresql": 5432, "redis": 6379}


def test_the_data_ports_are_filtered_not_closed_from_outside(host):
    scan = host.run("nmap -Pn -p 5432,6379 --max-retries 1 db1").stdout
    assert dict(re.findall(r"^(\d+)/tcp\s+(\S+)\s", scan, re.MULTILINE)) == {"5432": "filtered", "6379": "filtered"}, (
        scan
    )


@pytest.mark.parametrize("port", DATA_PORTS.values(), ids=DATA_PORTS.keys())
def test_the_load_balancer_cannot_reach_the_data_ports(port):
    # A dropped SYN times out (124); a refused one would fail at once.
    reach = lab_host("lb1").run(f"timeout 3 bash -c '</dev/tcp/db1/{port}'")
    assert reach.rc == 124, (reach.rc, reach.stderr)


@pytest.mark.parametrize("app", ["app1", "app2"])
@pytest.mark.parametrize("port", DATA_PORTS.values(), ids=DATA_PORTS.keys())
def test_each_app_host_reaches_the_data_ports(app, port):
    reach = lab_host(app).run(f"timeout 3 bash -c '</dev/tcp/db1/{port}'")
    assert reach.rc == 0, (reach.rc, reach.stderr)


@pytest.mark.parametrize("app", ["app1", "app2"])
def test_the_load_balancer_reaches_gunicorn_on_each_app_host(app):
    answer = lab_host("lb1").run(f"curl -sS --max-time 5 http://{app}:8000/health")
    assert answer.rc == 0 and '"ok"' in answer.stdout, answer.stderr


def test_the_site_is_served_through_the_load_balancer_with_a_verified_certificate(host):
    answer = host.run("curl -sS --max-time 10 --cacert /etc/ssl/pebble-root.pem https://lb1.lab.test/health")
    assert answer.rc == 0, answer.stderr


# A fleet mid-upgrade (molecule.yml): the load balancer and app1 still on
# Debian 12, app2 on 13, each on its release's own Nginx, Python and wheels.
@pytest.mark.parametrize(("name", "release"), [("lb1", "12"), ("app1", "12"), ("app2", "13"), ("db1", "12")])
def test_the_fleet_runs_both_debian_releases(name, release):
    assert lab_host(name).system_info.release.split(".")[0] == release


def test_the_load_balancers_nginx_gets_its_releases_form_of_each_directive():
    with lab_host("lb1").sudo():
        result = lab_host("lb1").run("nginx -t")
    assert result.rc == 0, result.stderr
    assert "deprecated" not in result.stderr, result.stderr


@pytest.mark.parametrize("app", ["app1", "app2"])
def test_each_app_host_runs_wheels_built_for_its_own_python(app):
    # One artifact per platform, built on a host of it: MarkupSafe's compiled
    # wheel is tagged with the Python it was built for.
    host = lab_host(app)
    python = host.check_output("python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    build = host.check_output("readlink -f /srv/flaskapp/current/venv")
    wheel = host.check_output(f"cat {build}/lib/python{python}/site-packages/markupsafe-*.dist-info/WHEEL")
    tags = re.findall(r"^Tag: (\S+)$", wheel, re.M)
    assert tags and all(tag.startswith(f"cp{python.replace('.', '')}-") for tag in tags), wheel
