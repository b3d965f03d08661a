"""maintenance.yml on the web host, as an operator runs it, under load from the
outside client: 503 with Retry-After and the site's own page while on, the
readiness path and the listed address still served, no reload, and not one
failed request outside the on-off window."""

import re
import time

import pytest
from labtest import Load, assert_maintenance_window, failure_messages, printed, run_playbook

testinfra_hosts = ["client1"]

OPERATE = "../resources/playbooks/operate"
SITE = "web1.lab.test"


def nginx_processes(web) -> str:
    """The master's PID and its workers': a reload would replace the workers."""
    with web.sudo():
        master = web.check_output("systemctl show -P MainPID nginx.service")
        return master + " " + web.check_output(f"pgrep -P {master} | sort | tr '\\n' ' '")


@pytest.fixture(scope="module")
def window(host, web, curl):
    """Load through maintenance on, checks while it is on, then off."""
    seen = {"processes": nginx_processes(web)}
    with Load(host, "maintenance", f"https://{SITE}/version", rate=20) as load:
        seen["started"] = time.time()
        seen["on"] = run_playbook(f"{OPERATE}/maintenance.yml", extra={"state": "on"})
        seen["page"] = curl(f"-D - https://{SITE}/")
        seen["ready"] = curl(f"-o /dev/null -w '%{{http_code}}' https://{SITE}/ready")
        with web.sudo():
            # --insecure: only the pass-through is checked here; the client checks the certificate.
            seen["office"] = web.check_output(
                f"curl -sS -o /dev/null -w '%{{http_code}}' --resolve {SITE}:443:127.0.0.1"
                f" --insecure https://{SITE}/version"
            )
        seen["status"] = run_playbook(f"{OPERATE}/status.yml")
        time.sleep(2)
        seen["off"] = run_playbook(f"{OPERATE}/maintenance.yml", extra={"state": "off"})
        seen["ended"] = time.time()
    seen["load"] = load
    seen["after"] = curl(f"-o /dev/null -w '%{{http_code}}' https://{SITE}/version")
    seen["processes_after"] = nginx_processes(web)
    return seen


def test_maintenance_on_and_off_succeed(window):
    assert window["on"].rc == 0, window["on"].tail()
    assert window["off"].rc == 0, window["off"].tail()


def test_while_on_the_site_answers_503_with_retry_after_and_its_page(window):
    page = window["page"]
    assert re.search(r"^HTTP/\S+ 503", page, re.M), page
    assert re.search(r"^retry-after: 60\s*$", page, re.M | re.I), page
    assert re.search(r"^content-type: text/html", page, re.M | re.I), page
    assert "The lab's own maintenance page" in page
    # The security headers are kept on the maintenance answer.
    assert re.search(r"^strict-transport-security: ", page, re.M | re.I), page


def test_while_on_the_readiness_path_and_the_listed_address_pass_through(window):
    assert window["ready"] == "200"
    assert window["office"] == "200"


def test_status_shows_the_maintenance(window):
    assert window["status"].rc == 0, window["status"].tail()
    status = printed(window["status"].stdout, "nginx_status")["web1"][0]
    assert status["maintenance"] is True
    assert status["since"], status
    assert status["servers"] == ["127.0.0.1:8000"] and status["down"] == [], status
    # Pebble's certificate, as openssl prints its end date.
    assert re.match(r"^\w{3} +\d+ \d\d:\d\d:\d\d \d{4} GMT$", status["certificate_expires"]), status


def test_no_request_failed_outside_the_window_and_nginx_was_not_reloaded(window):
    # A window of 2 s or more at 20 requests a second: 20 maintenance answers or more.
    assert_maintenance_window(window["load"], window["started"], window["ended"])
    assert window["after"] == "200"
    assert window["processes_after"] == window["processes"]


def test_a_state_other_than_on_or_off_is_refused(web):
    run = run_playbook(f"{OPERATE}/maintenance.yml", extra={"state": "maybe"})
    assert run.rc != 0
    messages = failure_messages(run.output)
    assert messages and messages[0].startswith("state (maybe) must be on or off"), run.tail()
    with web.sudo():
        assert not web.file("/etc/nginx/maintenance/flaskapp").exists
