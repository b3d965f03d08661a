"""A lab host installs Debian packages and pip-installs into a venv, as a server would."""

import pytest

testinfra_hosts = ["host-a"]


@pytest.fixture(scope="module")
def venv(host):
    with host.sudo():
        host.run_test("rm -rf /tmp/lab-venv")
        host.run_expect([0], "DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv")
    host.run_expect([0], "python3 -m venv /tmp/lab-venv")
    yield "/tmp/lab-venv"
    host.run("rm -rf /tmp/lab-venv")


def test_apt_installs_a_debian_package(host, venv):
    assert host.package("python3-venv").is_installed


def test_pip_installs_from_the_package_index_into_a_venv(host, venv):
    # Proves the extra CA certificates from `common` are trusted: the index is
    # reached over TLS, through whatever proxy the controller uses.
    result = host.run(f"{venv}/bin/pip install --no-cache-dir --disable-pip-version-check six")
    assert result.rc == 0, result.stderr
    assert host.run(f"{venv}/bin/python -c 'import six'").rc == 0
