"""The apps scenario: three apps that are not the project's, each deployed and
operated through its own inventory file (molecule/apps/inventory/<app>.yml)."""

import pytest
import testinfra
from labtest import SCENARIO, lab_host, run_playbook

APPS = ["notes", "hello", "gallery"]
# Pebble's issuing root, put on the client by the lab's load-client.yml.
PEBBLE_ROOT = "/etc/ssl/pebble-root.pem"
OPERATE = "../resources/playbooks/operate"


def play(playbook: str, app: str, *args: str, extra: dict | None = None):
    """A project playbook (relative to the scenario) with the app's inventory file beside the lab's."""
    return run_playbook(playbook, "-i", str(SCENARIO / "inventory" / f"{app}.yml"), *args, extra=extra)


@pytest.fixture(scope="module")
def web() -> testinfra.host.Host:
    return lab_host("web1")


@pytest.fixture(scope="module")
def client() -> testinfra.host.Host:
    return lab_host("client1")


@pytest.fixture(scope="module")
def curl(client):
    """curl from the outside client, verifying TLS against Pebble's root; returns its output."""

    def run(args: str) -> str:
        return client.run(f"curl -sS --max-time 10 --cacert {PEBBLE_ROOT} {args}").stdout

    return run


def current(web, app: str) -> str:
    """The release the app's current link names on web1."""
    with web.sudo():
        return web.check_output(f"basename $(readlink /srv/{app}/current)")
