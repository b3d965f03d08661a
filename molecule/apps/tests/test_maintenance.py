"""maintenance.yml for the gallery app (its inventory file), under load from the
outside client: 503 with Retry-After while on, its health path still served,
the other apps untouched, and not one failed request outside the window."""

import re
import time

import pytest
from conftest import OPERATE, play
from labtest import Load, assert_maintenance_window

testinfra_hosts = ["client1"]

OTHERS = ["notes", "hello"]


@pytest.fixture(scope="module")
def window(client, curl):
    seen = {}
    with Load(client, "apps-maintenance", "https://gallery.lab.test/likes", rate=20) as load:
        seen["started"] = time.time()
        seen["on"] = play(f"{OPERATE}/maintenance.yml", "gallery", extra={"state": "on"})
        seen["page"] = curl("-D - https://gallery.lab.test/likes")
        seen["health"] = curl("-o /dev/null -w '%{http_code}' https://gallery.lab.test/healthz")
        seen["others"] = [curl(f"-o /dev/null -w '%{{http_code}}' https://{app}.lab.test/") for app in OTHERS]
        time.sleep(2)
        seen["off"] = play(f"{OPERATE}/maintenance.yml", "gallery", extra={"state": "off"})
        seen["ended"] = time.time()
    seen["load"] = load
    seen["after"] = curl("-o /dev/null -w '%{http_code}' https://gallery.lab.test/likes")
    return seen


def test_maintenance_on_and_off_succeed(window):
    assert window["on"].rc == 0, window["on"].tail()
    assert window["off"].rc == 0, window["off"].tail()


def test_while_on_gallery_answers_503_with_retry_after_and_its_health_path_passes(window):
    assert re.search(r"^HTTP/\S+ 503", window["page"], re.M), window["page"]
    assert re.search(r"^retry-after: \d+\s*$", window["page"], re.M | re.I), window["page"]
    assert window["health"] == "200"
    assert window["others"] == ["200", "200"]


def test_no_request_failed_outside_the_window(window):
    # A window of 2 s or more at 20 requests a second: 20 maintenance answers or more.
    assert_maintenance_window(window["load"], window["started"], window["ended"])
    assert window["after"] == "200"
