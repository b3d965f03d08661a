"""Rolling deploys under steady load, judged from the load client's own record.

The side effect ran fourteen rollouts, each while client1 sent 50 HTTPS
requests a second through lb1 and recorded every answer; it kept each record
(with the generator's closing summary and exit status), each run's start, end,
exit code and output, and, before any fault was undone, what every app host
served, its releases and builds, its current release, its app server's main
process and worker count, and the load balancer's upstream.

A release id is the build's id (the code) and a hash of the configuration, so
/version through the load balancer names both.
"""

import json
import re

import pytest
from labtest import EPHEMERAL, LoadRecord, assert_load_covers, epoch, lab_host

testinfra_hosts = ["client1"]

RATE = 50
PHASES = [
    "good",
    "unready",
    "crash",
    "rollback",
    "entrypoint",
    "badenv",
    "workers",
    "codeconf",
    "confback",
    "health",
    "healthback",
    "nodisk",
    "unreachable",
    "site",
]
APP_HOSTS = ["app1", "app2"]
HOST_BY_HOST = [("drain", "app1"), ("restore", "app1"), ("drain", "app2"), ("restore", "app2")]


def record(phase: str) -> LoadRecord:
    return LoadRecord.read(EPHEMERAL / f"load-{phase}.jsonl")


def outcome(phase: str) -> dict:
    return json.loads((EPHEMERAL / f"run-{phase}.json").read_text())


def before() -> str:
    return json.loads((EPHEMERAL / "release-before.json").read_text())["release"]


def prior(phase: str) -> dict:
    return outcome(PHASES[PHASES.index(phase) - 1])


def build_of(release: str) -> str:
    return release.rsplit("-", 1)[0]


def upstream_events(stdout: str) -> list[tuple[str, str]]:
    """(drain|restore, host) in the order the run moved hosts in and out of lb1's upstream."""
    events, action = [], None
    for line in stdout.splitlines():
        if line.startswith("TASK ["):
            found = re.search(r"Drain or restore this host on the load balancers, (drain|restore)\]", line)
            action = found[1] if found else None
        elif action and (moved := re.match(r"(?:changed|ok): \[(\S+) -> lb1[\](]", line)):
            events.append((action, moved[1]))
    return events


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
    ("phase", "check", "logged"),
    [
        ("unready", r"GET /ready == 200 failed \(answered 503", None),
        # Gunicorn's master reports ready before its workers load the app: the
        # unit starts, then exits when no worker boots; the gate sees no answer.
        ("crash", r"GET /ready == 200 failed \(no answer", r"(Error|Exception): "),
        ("entrypoint", r"GET /ready == 200 failed \(no answer", r"Failed to find attribute 'no_such_factory'"),
        ("badenv", r"GET /ready == 200 failed \(no answer", r"TRUSTED_PROXIES must be a whole number"),
    ],
)
def test_a_failing_release_is_rolled_back_whole_and_stops_the_rollout(phase, check, logged):
    run, before_run = outcome(phase), prior(phase)
    assert run["rc"] != 0
    message = re.search(
        r"Rollout stopped at (\S+): (.*?)\.\s+\1 is back on release (\S+) and passes its health gate\.\s+"
        r"Now: (.*?)\. Drained: (\S+)\.",
        run["stderr"],
        re.S,
    )
    assert message, run["stderr"][-3000:]
    assert message[1] == "app1"
    assert re.search(check, message[2]), message[2]
    if logged:
        assert re.search(r"The app server logged: .*" + logged, message[2]), (
            f"{message[2]}\napp1's app server logged during the run:\n{run['app1_log']}"
        )
    # The message says what every host serves now (code and configuration) and that none is drained.
    assert message[3] == before_run["hosts"]["app1"]["current"]
    now = dict(part.split(" serves ") for part in re.split(r";\s+", message[4]))
    assert now == {host: before_run["hosts"][host]["current"] for host in APP_HOSTS}
    assert message[5] == "none"
    # app1 is back on its release and configuration; app2 was never drained,
    # switched or restarted.
    assert run["serves"] == before_run["serves"]
    assert {host: run["hosts"][host]["current"] for host in APP_HOSTS} == {
        host: before_run["hosts"][host]["current"] for host in APP_HOSTS
    }
    assert run["hosts"]["app1"]["workers"] == before_run["hosts"]["app1"]["workers"]
    assert upstream_events(run["stdout"]) == [("drain", "app1"), ("restore", "app1")]
    assert run["hosts"]["app2"]["pid"] == before_run["hosts"]["app2"]["pid"]
    # Through the load balancer, only the releases served before were ever seen.
    assert record(phase).releases() == set(before_run["serves"].values())


def test_a_configuration_change_rolls_host_by_host_and_is_live_on_each():
    run, before_run = outcome("workers"), prior("workers")
    assert run["rc"] == 0, run["stderr"][-3000:]
    assert upstream_events(run["stdout"]) == HOST_BY_HOST
    for host in APP_HOSTS:
        old, new = before_run["hosts"][host]["current"], run["hosts"][host]["current"]
        assert build_of(new) == build_of(old) and new != old, "the code stayed, the configuration moved"
        assert run["hosts"][host]["workers"] == 2
        assert run["hosts"][host]["pid"] != before_run["hosts"][host]["pid"]
    served = [answer["release"] for answer in record("workers").answers]
    assert served[0] == before_run["serves"]["app1"]
    assert set(served[-RATE:]) == set(run["serves"].values()) == {run["hosts"]["app1"]["current"]}


def test_rollback_restores_the_configuration_with_the_code():
    moved, back, before_run = outcome("codeconf"), outcome("confback"), outcome("workers")
    assert moved["rc"] == 0, moved["stderr"][-3000:]
    assert back["rc"] == 0, back["stderr"][-3000:]
    for host in APP_HOSTS:
        assert moved["hosts"][host]["workers"] == 3
        assert build_of(moved["hosts"][host]["current"]) != build_of(before_run["hosts"][host]["current"])
        assert back["hosts"][host]["current"] == before_run["hosts"][host]["current"]
        assert back["hosts"][host]["workers"] == 2
    assert record("confback").answers[-1]["release"] == before_run["serves"]["app1"]


def test_a_rolled_back_release_is_gated_with_its_own_health_checks():
    moved, back, before_run = outcome("health"), outcome("healthback"), outcome("confback")
    assert moved["rc"] == 0, moved["stderr"][-3000:]
    assert set(moved["serves"].values()).isdisjoint(before_run["serves"].values())
    # The rollback ran with /ready2 set, which the old release does not have: it
    # was gated on its own /ready, and went back into rotation.
    assert back["rc"] == 0, back["stderr"][-3000:]
    assert back["serves"] == before_run["serves"]
    assert set(back["upstream"].values()) == {"up"}
    assert upstream_events(back["stdout"]) == HOST_BY_HOST
    assert record("healthback").answers[-1]["release"] == before_run["serves"]["app1"]


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
    run, before_run = outcome("nodisk"), prior("nodisk")
    served_before = before_run["serves"]
    out = run["stdout"] + run["stderr"]
    assert run["rc"] != 0
    assert re.search(r"/srv/flaskapp/builds on app1 has \d+ MB free; a new build needs \d+ MB", out), out[-3000:]
    # Stopped while preparing: no host drained, switched or restarted, nothing
    # installed or composed (listed before the fault was undone).
    assert "-> lb1" not in out
    assert run["serves"] == served_before
    assert run["hosts"] == before_run["hosts"]
    assert record("nodisk").releases() == set(served_before.values())


def test_an_app_host_lost_mid_rollout_stops_it_and_the_others_keep_serving():
    run, served_before = outcome("unreachable"), prior("unreachable")["serves"]
    out = run["stdout"] + run["stderr"]
    assert run["rc"] != 0
    assert re.search(r"\[app2\]: UNREACHABLE!", out), out[-3000:]
    assert run["serves"]["app1"] != served_before["app1"], "app1 had moved before app2 was lost"
    assert run["serves"]["app2"] == served_before["app2"]
    # app2 stayed in rotation and answered through the load balancer after its SSH was cut.
    cut = float(run["watch"].split()[-1])
    assert upstream_state(run, "app2") == "up"
    assert served_before["app2"] in record("unreachable").releases(since=cut + 1)


def test_site_yml_rolls_every_host_back_to_the_sites_code_and_configuration():
    # app1 was on 1.0.4, app2 on the site's code with 2 workers.
    run, before_run = outcome("site"), prior("site")
    assert run["rc"] == 0, run["stderr"][-3000:]
    assert build_of(before_run["hosts"]["app2"]["current"]) == build_of(before())
    assert set(run["serves"].values()) == {before()}
    assert upstream_events(run["stdout"]) == HOST_BY_HOST
    assert {run["hosts"][host]["workers"] for host in APP_HOSTS} == {outcome("good")["hosts"]["app1"]["workers"]}
