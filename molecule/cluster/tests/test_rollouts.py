"""Rolling deploys under steady load, judged from the load client's own record.

The side effect ran seven rollouts, each while client1 sent 50 HTTPS requests a
second through lb1 and recorded every answer; it kept each record (with the
generator's closing summary and exit status), each run's start, end, exit code
and output, and, before any fault was undone, what every app host served, the
releases it had installed, and the load balancer's upstream.
"""

import json
import re

import pytest
from labtest import EPHEMERAL, LoadRecord, assert_load_covers, epoch, lab_host

testinfra_hosts = ["client1"]

RATE = 50
PHASES = ["good", "unready", "crash", "rollback", "nodisk", "unreachable", "site"]


def record(phase: str) -> LoadRecord:
    return LoadRecord.read(EPHEMERAL / f"load-{phase}.jsonl")


def outcome(phase: str) -> dict:
    return json.loads((EPHEMERAL / f"run-{phase}.json").read_text())


def before() -> str:
    return json.loads((EPHEMERAL / "release-before.json").read_text())["release"]


def upstream_state(run: dict, host: str) -> str:
    address = lab_host(host).interface.default().addresses[0]
    return run["upstream"][f"{address}:8000"]


@pytest.mark.parametrize("phase", PHASES)
def test_the_load_covered_the_whole_run_and_lost_nothing(phase):
    run = outcome(phase)
    assert run["load_exit"] == 0, "the load generator failed"
    assert_load_covers(record(phase), epoch(run["started"]), epoch(run["ended"]))


@pytest.mark.parametrize("phase", PHASES)
def test_no_request_fails_during_the_rollout(phase):
    load = record(phase)
    assert load.failed == [], f"{len(load.failed)} of {len(load.answers)} failed, first: {load.failed[:3]}"


def test_a_good_release_reaches_every_host():
    run = outcome("good")
    assert run["rc"] == 0, run["stdout"][-3000:]
    new = set(run["serves"].values())
    assert len(new) == 1 and before() not in new
    served = [r["release"] for r in record("good").answers]
    assert served[0] == before()
    assert set(served[-RATE:]) == new, "the last second of load was not all on the new release"


@pytest.mark.parametrize(
    ("phase", "check"),
    [
        ("unready", r"GET /ready == 200 failed \(answered 503"),
        # Gunicorn's master reports ready before its workers load the app: the
        # unit starts, then exits when no worker boots; the gate sees no answer.
        ("crash", r"GET /ready == 200 failed \(no answer.*The app server logged: .*(Error|Exception)"),
    ],
)
def test_a_failing_release_is_rolled_back_and_stops_the_rollout(phase, check):
    run, good = outcome(phase), outcome("good")
    assert run["rc"] != 0
    message = re.search(r"Deploy stopped at (\S+): (.*?)\.\s+\1 is back on release (\S+);", run["stderr"], re.S)
    assert message, run["stdout"][-3000:]
    assert message[1] == "app1"
    assert re.search(check, message[2]), message[2]
    # Every host serves what it served before; app2 was never drained or switched.
    assert run["serves"] == good["serves"]
    assert not re.search(r"\[app2 -> lb1\b", run["stdout"])
    # Through the load balancer, only the release before was ever seen.
    assert record(phase).releases() == set(good["serves"].values())


def test_rollback_to_a_named_release_reaches_every_host():
    run = outcome("rollback")
    assert run["rc"] == 0, run["stdout"][-3000:]
    assert set(run["serves"].values()) == {before()}
    assert record("rollback").answers[-1]["release"] == before()


def test_the_upstream_has_every_app_host_back():
    lb = lab_host("lb1")
    with lb.sudo():
        status = lb.check_output("nginx-upstream flaskapp status")
    assert [line.split()[1] for line in status.splitlines()] == ["up", "up"]


def test_a_host_without_room_stops_the_deploy_before_anything_moves():
    run, served_before = outcome("nodisk"), outcome("rollback")["serves"]
    out = run["stdout"] + run["stderr"]
    assert run["rc"] != 0
    assert re.search(r"/srv/flaskapp/releases on app1 has \d+ MB free; a new release needs \d+ MB", out), out[-3000:]
    # Stopped while preparing: no host drained, switched or restarted, nothing
    # installed (listed before the fault was undone).
    assert "-> lb1" not in out
    assert run["serves"] == served_before
    assert run["releases"] == outcome("rollback")["releases"]
    assert record("nodisk").releases() == set(served_before.values())


def test_an_app_host_lost_mid_rollout_stops_it_and_the_others_keep_serving():
    run, served_before = outcome("unreachable"), outcome("nodisk")["serves"]
    out = run["stdout"] + run["stderr"]
    assert run["rc"] != 0
    assert re.search(r"\[app2\]: UNREACHABLE!", out), out[-3000:]
    assert run["serves"]["app1"] != served_before["app1"], "app1 had moved before app2 was lost"
    assert run["serves"]["app2"] == served_before["app2"]
    # app2 stayed in rotation and answered through the load balancer after its SSH was cut.
    cut = float(run["watch"].split()[-1])
    assert upstream_state(run, "app2") == "up"
    assert served_before["app2"] in record("unreachable").releases(since=cut + 1)


def test_site_yml_rolls_a_host_on_another_release_back_to_the_sites():
    run = outcome("site")
    assert run["rc"] == 0, run["stderr"][-3000:]
    assert set(run["serves"].values()) == {before()}
    assert re.search(r"\[app1 -> lb1\b", run["stdout"]), "app1 was not drained"
    assert not re.search(r"\[app2 -> lb1\b", run["stdout"]), "app2, already there, was drained"
