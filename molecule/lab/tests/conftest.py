"""Fixtures for checks that look from one lab host at another."""

import pytest
import testinfra


@pytest.fixture(scope="module")
def host_b(request) -> testinfra.host.Host:
    """host-b, reached from the controller like every test host."""
    return testinfra.get_host("ansible://host-b", ansible_inventory=request.config.option.ansible_inventory)


@pytest.fixture(scope="module")
def ssh_from_a(host):
    """Runs ssh on host-a; returns (exit status, output). ssh's own 255 is kept."""

    def run(options: str, target: str) -> tuple[int, str]:
        result = host.run(
            "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
            f" -o ConnectTimeout=5 {options} {target} true 2>&1; echo exit=$?"
        )
        output, _, status = result.stdout.rpartition("exit=")
        return int(status), output

    return run
