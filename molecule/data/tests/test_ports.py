"""What the world reaches of the data tier: PostgreSQL and Redis answer the app
hosts only; from the client and from the load balancer they are filtered."""

import re

import pytest
from labtest import lab_host

testinfra_hosts = ["client1"]

PORTS = {"postgresql": 5432, "redis": 6379}


def scan(host, target: str, ports: str) -> dict[str, str]:
    # The firewall drops: a fast rate with one retry.
    found = host.run(f"nmap -Pn -p {ports} --min-rate 3000 --max-retries 1 {target}").stdout
    return dict(re.findall(r"^(\d+)/tcp\s+(\S+)\s", found, re.MULTILINE))


def test_a_full_port_scan_of_the_database_host_finds_only_ssh(host):
    assert {port for port, state in scan(host, "db1", "-").items() if state == "open"} == {"22"}


def test_the_data_ports_are_filtered_not_closed_from_outside(host):
    assert scan(host, "db1", "5432,6379") == {"5432": "filtered", "6379": "filtered"}


@pytest.mark.parametrize("port", PORTS.values(), ids=PORTS.keys())
def test_the_load_balancer_cannot_reach_the_data_ports(port):
    # A dropped SYN times out (124); a refused one would fail at once.
    reach = lab_host("lb1").run(f"timeout 3 bash -c '</dev/tcp/db1/{port}'")
    assert reach.rc == 124, (reach.rc, reach.stderr)


@pytest.mark.parametrize("app", ["app1", "app2"])
@pytest.mark.parametrize("port", PORTS.values(), ids=PORTS.keys())
def test_each_app_host_reaches_the_data_ports(app, port):
    reach = lab_host(app).run(f"timeout 3 bash -c '</dev/tcp/db1/{port}'")
    assert reach.rc == 0, (reach.rc, reach.stderr)
