"""A lab host installs Debian packages and pip-installs into a venv, as a server would."""

import os
from pathlib import Path

import pytest

# One host per Debian release (molecule.yml).
testinfra_hosts = ["all"]

# A small package no role installs: the lab host must fetch it from Debian's archive.
PROBE = "hello"


@pytest.fixture
def without_probe(host):
    with host.sudo():
        host.run_expect([0], f"apt-get purge -y -q {PROBE}")
    yield
    with host.sudo():
        host.run(f"apt-get purge -y -q {PROBE}")


def test_apt_installs_a_debian_package_from_the_archive(host, without_probe):
    assert not host.package(PROBE).is_installed
    with host.sudo():
        result = host.run(f"DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends {PROBE}")
    assert result.rc == 0, result.stderr
    assert host.package(PROBE).is_installed
    assert host.check_output(f"{PROBE} --greeting=lab") == "lab"


def test_packages_come_through_the_lab_package_cache(host, without_probe):
    # `make apt-cache` runs it on the controller; the lab points each host's
    # apt at it on the lab network's gateway, so a package is downloaded once.
    cache = os.environ.get("LAB_APT_CACHE")
    assert cache, "LAB_APT_CACHE is not set: run the scenarios through make (make test, make molecule)"
    assert "Acquire::http::Proxy" in host.file("/etc/apt/apt.conf.d/00lab-package-cache").content_string
    with host.sudo():
        host.run_expect([0], f"DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends {PROBE}")
    version = host.check_output(f"dpkg-query -W -f '${{Version}}' {PROBE}")
    arch = host.check_output("dpkg --print-architecture")
    kept = list(Path(cache, "cache").glob(f"*/**/pool/main/h/{PROBE}/{PROBE}_{version}_{arch}.deb"))
    assert kept, f"{PROBE} {version} is not in the lab's package cache under {cache}"


@pytest.fixture
def venv(host):
    with host.sudo():
        host.run_expect([0], "DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv")
    host.run_test("rm -rf /tmp/lab-venv")
    host.run_expect([0], "python3 -m venv /tmp/lab-venv")
    yield "/tmp/lab-venv"
    host.run("rm -rf /tmp/lab-venv")


def test_pip_installs_from_the_package_index_into_a_venv(host, venv):
    # Proves the extra CA certificates from `common` are trusted: the index is
    # reached over TLS, through whatever proxy the controller uses.
    assert host.run(f"{venv}/bin/python -c 'import six'").rc != 0
    result = host.run(f"{venv}/bin/pip install --no-cache-dir --disable-pip-version-check six")
    assert result.rc == 0, result.stderr
    assert host.run(f"{venv}/bin/python -c 'import six'").rc == 0
