"""Fixtures for checks that look from one lab host at another."""

import pytest
import testinfra
from labtest import lab_host


@pytest.fixture(scope="module")
def host_b() -> testinfra.host.Host:
    """host-b, reached from the controller like every test host."""
    return lab_host("host-b")


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
