"""A real TLS scanner (sslyze, from the controller) against the web host: no
protocol below TLS 1.2, and no weak cipher in what it accepts."""

import json
import subprocess
import sys

import pytest
from labtest import lab_host

testinfra_hosts = ["client1"]

SITE = "web1.lab.test"
OLD = ["ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1"]
# What a weak suite's name shows: no forward secrecy (plain RSA key exchange),
# CBC, old or broken ciphers and digests, no authentication or encryption.
WEAK = ["_CBC_", "TLS_RSA_", "3DES", "RC4", "DES", "NULL", "EXPORT", "anon", "MD5", "_SHA "]


@pytest.fixture(scope="module")
def scan() -> dict:
    address = lab_host("web1").interface.default().addresses[0]
    result = subprocess.run(
        [sys.executable, "-m", "sslyze", "--json_out=-", f"{SITE}:443{{{address}}}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    (server,) = report["server_scan_results"]
    assert server["scan_status"] == "COMPLETED", server
    return server["scan_result"]


def accepted(scan: dict, protocol: str) -> list[str]:
    return [s["cipher_suite"]["name"] for s in scan[f"{protocol}_cipher_suites"]["result"]["accepted_cipher_suites"]]


@pytest.mark.parametrize("protocol", OLD)
def test_no_protocol_below_tls_1_2_is_accepted(scan, protocol):
    assert accepted(scan, protocol) == []


@pytest.mark.parametrize("protocol", ["tls_1_2", "tls_1_3"])
def test_tls_1_2_and_1_3_are_accepted(scan, protocol):
    assert accepted(scan, protocol)


@pytest.mark.parametrize("protocol", ["tls_1_2", "tls_1_3"])
def test_no_weak_cipher_is_accepted(scan, protocol):
    names = accepted(scan, protocol)
    weak = [n for n in names if any(mark in n + " " for mark in WEAK)]
    assert weak == [], names
    # TLS 1.2 suites all have forward secrecy (ECDHE) and AEAD encryption.
    if protocol == "tls_1_2":
        assert all(n.startswith("TLS_ECDHE_") and ("_GCM_" in n or "CHACHA20" in n) for n in names), names


def test_no_known_tls_vulnerability(scan):
    assert scan["heartbleed"]["result"]["is_vulnerable_to_heartbleed"] is False
    assert scan["openssl_ccs_injection"]["result"]["is_vulnerable_to_ccs_injection"] is False
    assert scan["robot"]["result"]["robot_result"] in ("NOT_VULNERABLE_NO_ORACLE", "NOT_VULNERABLE_RSA_NOT_SUPPORTED")
    assert scan["tls_compression"]["result"]["supports_compression"] is False
    assert scan["session_renegotiation"]["result"]["is_vulnerable_to_client_renegotiation_dos"] is False
