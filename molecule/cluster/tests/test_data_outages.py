"""Under HTTPS load through the load balancer, the app servers share one database:
a write is read back from each of them; with Redis stopped, reads still answer
from the database; with PostgreSQL stopped, /ready answers 503 and the health
gate keeps a new release off the hosts; a rolling deploy under write load after
it loses no acknowledged write."""

import json
import re
import time

import pytest
from labtest import Load, assert_load_covers, failure_messages, lab_host, psql, run_playbook

testinfra_hosts = ["client1"]

SITE = "https://lb1.lab.test"
APPS = ["app1", "app2"]


def ask(name: str, path: str) -> tuple[int, str]:
    """Status and body of GET path on an app host's own Gunicorn."""
    answer = lab_host(name).run(f"curl -sS --max-time 5 -w '\\n%{{http_code}}' http://127.0.0.1:8000{path}")
    body, _, status = answer.stdout.rpartition("\n")
    return int(status or 0), body


def main_pid(name: str) -> str:
    return lab_host(name).check_output("systemctl show -p MainPID --value flaskapp.service")


def test_a_write_through_the_load_balancer_is_read_back_from_each_app_host(host):
    created = json.loads(
        host.check_output(
            f"curl -sS --fail-with-body --cacert /etc/ssl/pebble-root.pem -H 'Content-Type: application/json'"
            f""" -d '{{"title": "written once, read everywhere"}}' {SITE}/api/notes"""
        )
    )
    for name in APPS:
        status, body = ask(name, f"/api/notes/{created['id']}")
        assert (status, json.loads(body)) == (200, created), name


def test_the_app_caches_its_reads_and_counts_its_writes_in_redis(host):
    host.run_expect([0], f"curl -sS --fail --cacert /etc/ssl/pebble-root.pem {SITE}/api/notes?limit=7")
    db1 = lab_host("db1")
    with db1.sudo():
        keys = db1.check_output(
            "REDISCLI_AUTH=$(sed -n 's/^requirepass //p' /etc/redis/flaskops.conf)"
            " redis-cli --scan --pattern 'flaskapp:*'"
        ).split()
    assert any(re.fullmatch(r"flaskapp:notes:\d+:list:7", key) for key in keys), keys
    assert any(key.startswith("flaskapp:writes:") for key in keys), keys


def test_reads_answer_from_the_database_while_redis_is_stopped(host):
    db1 = lab_host("db1")
    with Load(host, "redis-down", f"{SITE}/api/notes", rate=20) as load:
        time.sleep(2)
        with db1.sudo():
            db1.run_expect([0], "systemctl stop redis-server")
        stopped = time.time()
        try:
            time.sleep(6)
        finally:
            with db1.sudo():
                db1.run_expect([0], "systemctl start redis-server")
        started = time.time()
        time.sleep(2)
    assert_load_covers(load.record, load.started, load.ended)
    assert load.record.failed == [], load.record.failed[:5]
    assert len([r for r in load.record.answers if stopped < r["t"] < started]) > 100


@pytest.fixture(scope="module")
def outage(host):
    """PostgreSQL stopped under write load, a deploy tried meanwhile, then started
    again and a rolling deploy; what each step saw."""
    db1, seen = lab_host("db1"), {}
    with Load(host, "db-outage", f"{SITE}/api/notes", rate=10, post="outage") as load:
        time.sleep(3)
        seen["pids"] = {name: main_pid(name) for name in APPS}
        with db1.sudo():
            # The cluster's own unit: stopping postgresql.service returns before its clusters are down.
            db1.run_expect([0], "systemctl stop 'postgresql@*-main.service'")
        seen["stopped"] = time.time()
        try:
            seen["ready_down"] = {name: ask(name, "/ready") for name in APPS}
            # An app without migrations, so the deploy reaches the gate.
            seen["gated"] = run_playbook(
                "deploy.yml", extra={"gunicorn_workers": 3, "app_migrate_command": "", "rollout_health_timeout": 5}
            )
            seen["pids_gated"] = {name: main_pid(name) for name in APPS}
        finally:
            with db1.sudo():
                db1.run_expect([0], "systemctl start postgresql")
                db1.run_expect([0], "systemctl is-active 'postgresql@*-main.service'")
        for _ in range(60):
            if all(ask(name, "/ready")[0] == 200 for name in APPS):
                break
            time.sleep(0.5)
        seen["ready_again"] = time.time()
        seen["deploy"] = run_playbook("deploy.yml", extra={"gunicorn_workers": 3})
        seen["deployed"] = time.time()
    seen["load"] = load
    return seen


def test_ready_answers_503_while_the_database_is_down(outage):
    for name in APPS:
        status, body = outage["ready_down"][name]
        assert status == 503, (name, body)
        assert json.loads(body)["reason"].startswith("database: "), body


def test_the_health_gate_keeps_a_release_off_the_hosts_while_the_database_is_down(outage):
    run = outage["gated"]
    assert run.rc != 0, run.tail()
    messages = failure_messages(run.output)
    assert any(re.search(r"^Rollout stopped at app1: GET /ready == 200 failed", text, re.M) for text in messages), (
        messages or run.tail()
    )
    # app2 was never reached: the same process served throughout.
    assert outage["pids_gated"]["app2"] == outage["pids"]["app2"]


def test_a_rolling_deploy_after_the_outage_moves_every_host(outage):
    run = outage["deploy"]
    assert run.rc == 0, run.tail()
    for name in APPS:
        assert main_pid(name) != outage["pids"][name]
        assert json.loads(ask(name, "/version")[1])["release"] == json.loads(ask(APPS[0], "/version")[1])["release"]
    assert lab_host("lb1").check_output("sudo nginx-upstream flaskapp status").count(" up") == len(APPS)


def test_writes_fail_only_while_the_database_is_down(outage):
    load = outage["load"].record
    assert_load_covers(load, outage["load"].started, outage["load"].ended)
    outside = [r for r in load.failed if not outage["stopped"] - 1 <= r["t"] <= outage["ready_again"] + 1]
    assert outside == [], outside[:5]
    during_deploy = [r for r in load.answers if outage["ready_again"] + 1 < r["t"] < outage["deployed"]]
    assert len(during_deploy) > 100 and all(r["ok"] for r in during_deploy)


def test_every_acknowledged_write_is_stored(outage):
    acknowledged = outage["load"].record.acknowledged
    stored = dict(psql(lab_host("db1"), "SELECT id, title FROM notes WHERE title LIKE 'outage-%'"))
    assert len(acknowledged) > 200
    assert {str(k): v for k, v in acknowledged.items()}.items() <= stored.items()
