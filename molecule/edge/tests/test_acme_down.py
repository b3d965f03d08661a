"""The ACME server down during a converge that needs it: the run stops with a
message saying what failed, Nginx keeps serving the certificate it has, and
the next run, with the server back, gets a new one.

The converge is made to need the ACME server by certbot_renew_before_days
longer than the certificate's life: the role then finds it due.
"""

import re

from labtest import Run, failure_messages, lab_host, run_playbook

testinfra_hosts = ["client1"]

DUE = {"certbot_renew_before_days": 36500}
ORDER_FAILED = (
    r"certbot could not get the certificate flaskapp \(web1\.lab\.test\)\s+from https://acme1\.lab\.test:14000/dir"
)


# The ACME API refuses connections (Pebble itself keeps running: it holds its
# accounts in memory, and a restart would lose them, which Let's Encrypt never does).
ACME_DOWN = """table inet acme_down {
    chain input {
        type filter hook input priority -10; policy accept;
        tcp dport 14000 reject with tcp reset
    }
}"""


def converge_certificates() -> Run:
    return run_playbook("converge.yml", "--tags", "certbot", extra=DUE)


def served_serial(host, pebble_root) -> str:
    return host.check_output(
        f"echo | openssl s_client -connect web1.lab.test:443 -servername web1.lab.test -CAfile {pebble_root}"
        " -verify_return_error 2>/dev/null | openssl x509 -noout -serial"
    )


def test_acme_server_down_during_a_converge(host, pebble_root, curl):
    acme = lab_host("acme1")
    before = served_serial(host, pebble_root)
    with acme.sudo():
        acme.run_expect([0], f"nft -f - <<'EOF'\n{ACME_DOWN}\nEOF")
    try:
        down = converge_certificates()
    finally:
        with acme.sudo():
            acme.run_expect([0], "nft delete table inet acme_down")
    assert down.rc != 0
    failed = "\n".join(failure_messages(down.output))
    assert re.search(ORDER_FAILED, failed), down.tail()
    assert re.search(r"Nginx keeps serving the certificate it has, valid until \d{14}Z", failed), down.tail()
    # Still served, still verified, the same certificate.
    assert served_serial(host, pebble_root) == before
    assert '"ok"' in curl("https://web1.lab.test/health")

    # The server is back: the next run gets a new certificate, served at once.
    up = converge_certificates()
    assert up.rc == 0, up.tail()
    assert served_serial(host, pebble_root) != before
