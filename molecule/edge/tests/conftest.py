"""The edge scenario's checks look from client1 at web1, as the outside world would."""

import pytest
import testinfra
from labtest import lab_host

SITE = "web1.lab.test"
# Pebble's issuing root, put on the client by the lab's load-client.yml.
PEBBLE_ROOT = "/etc/ssl/pebble-root.pem"


@pytest.fixture(scope="module")
def web() -> testinfra.host.Host:
    return lab_host("web1")


@pytest.fixture(scope="module")
def pebble_root(host) -> str:
    assert "BEGIN CERTIFICATE" in host.file(PEBBLE_ROOT).content_string
    return PEBBLE_ROOT


@pytest.fixture(scope="module")
def curl(host, pebble_root):
    """curl from the client, verifying TLS against Pebble's root; returns the command's output."""

    def run(args: str) -> str:
        return host.run(f"curl -sS --max-time 10 --cacert {pebble_root} {args}").stdout

    return run
