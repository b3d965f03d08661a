"""A real TLS scanner (sslyze, from the controller) against the web host: no
protocol below TLS 1.2, no weak cipher in what it accepts, and sslyze's own
check against Mozilla's "intermediate" configuration passes, with the lab's
ACME root as the trust store (a public CA's root on a real server)."""

import datetime
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
def scanned(host, pebble_root, tmp_path_factory) -> tuple[dict, subprocess.CompletedProcess]:
    """One scan: the JSON report, and the run whose output holds the compliance check."""
    folder = tmp_path_factory.mktemp("sslyze")
    (folder / "root.pem").write_text(host.file(pebble_root).content_string)
    address = lab_host("web1").interface.default().addresses[0]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sslyze",
            f"--json_out={folder / 'scan.json'}",
            "--mozilla_config=intermediate",
            f"--certinfo_ca_file={folder / 'root.pem'}",
            f"{SITE}:443{{{address}}}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((folder / "scan.json").read_text())
    (server,) = report["server_scan_results"]
    assert server["scan_status"] == "COMPLETED", server
    return server["scan_result"], result


@pytest.fixture(scope="module")
def scan(scanned) -> dict:
    return scanned[0]


def test_mozilla_intermediate_by_sslyzes_own_check(scanned):
    result = scanned[1]
    assert "OK - Compliant." in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_certificate_lives_90_days_at_most(scan):
    (deployment,) = scan["certificate_info"]["result"]["certificate_deployments"]
    leaf = deployment["received_certificate_chain"][0]
    lifespan = datetime.datetime.fromisoformat(leaf["not_valid_after"]) - datetime.datetime.fromisoformat(
        leaf["not_valid_before"]
    )
    assert lifespan <= datetime.timedelta(days=90), lifespan


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
