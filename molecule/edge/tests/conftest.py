"""The edge scenario's checks look from client1 at web1, as the outside world would."""

import pytest
import testinfra

SITE = "web1.lab.test"


def other(request, name: str) -> testinfra.host.Host:
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=request.config.option.ansible_inventory)


@pytest.fixture(scope="module")
def web(request) -> testinfra.host.Host:
    return other(request, "web1")


@pytest.fixture(scope="module")
def pebble_root(request, host) -> str:
    """Pebble's issuing root, read on the ACME host and placed on the client."""
    acme = other(request, "acme1")
    root = acme.run("curl -sS --cacert /etc/pebble/ca.pem https://localhost:15000/roots/0").stdout
    assert "BEGIN CERTIFICATE" in root
    path = host.run("mktemp").stdout.strip()
    host.run_expect([0], f"printf '%s' '{root}' > {path}")
    return path


@pytest.fixture(scope="module")
def curl(host, pebble_root):
    """curl from the client, verifying TLS against Pebble's root; returns the command's output."""

    def run(args: str) -> str:
        return host.run(f"curl -sS --max-time 10 --cacert {pebble_root} {args}").stdout

    return run
