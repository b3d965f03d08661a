"""Point-in-time restore with db-restore.yml: a backup, rows A, a moment, rows B;
restored to that moment, A is there and B is not, through the app too (its
cache was emptied); the app's writes were stopped meanwhile by a maintenance
answer, and the repository verifies afterwards."""

import json
import re
import time

import pytest
from labtest import Load, assert_load_covers, lab_host, psql, run_playbook

testinfra_hosts = ["client1"]

SITE = "https://lb1.lab.test"


def write(client, title: str) -> int:
    answer = client.check_output(
        f"curl -sS --fail-with-body --cacert /etc/ssl/pebble-root.pem -H 'Content-Type: application/json'"
        f""" -d '{{"title": "{title}"}}' {SITE}/api/notes"""
    )
    return json.loads(answer)["id"]


def status_through_the_site(client, path: str) -> int:
    return int(
        client.check_output(f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert /etc/ssl/pebble-root.pem {SITE}{path}")
    )


def test_maintenance_answers_503_with_retry_after_and_no_reload(host):
    lb1 = lab_host("lb1")
    with lb1.sudo():
        master = lb1.check_output("systemctl show -p MainPID --value nginx")
        lb1.run_expect([0], "install -d /etc/nginx/maintenance && touch /etc/nginx/maintenance/flaskapp")
        try:
            answer = host.check_output(f"curl -sS -D - --cacert /etc/ssl/pebble-root.pem {SITE}/api/notes")
        finally:
            lb1.run_expect([0], "rm -f /etc/nginx/maintenance/flaskapp")
        assert lb1.check_output("systemctl show -p MainPID --value nginx") == master
    assert re.search(r"^HTTP/\S+ 503", answer, re.M), answer
    assert re.search(r"^retry-after: 60\s*$", answer, re.M | re.I), answer
    assert "down for maintenance" in answer
    assert status_through_the_site(host, "/api/notes") == 200


@pytest.fixture(scope="module")
def restored(host):
    db1, seen = lab_host("db1"), {}
    with db1.sudo():
        # The backup unit the timers start, started by hand: a differential backup.
        db1.run_expect([0], "systemctl start pgbackrest-backup@diff.service")
    seen["a"] = [write(host, f"restore-A-{i}") for i in range(5)]
    time.sleep(1.5)
    seen["moment"] = psql(db1, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")[0][0]
    time.sleep(1.5)
    seen["b"] = [write(host, f"restore-B-{i}") for i in range(5)]
    # Read through the app, so its cache holds B.
    seen["b_before"] = [status_through_the_site(host, f"/api/notes/{n}") for n in seen["b"]]
    with Load(host, "restore", f"{SITE}/version", rate=20) as load:
        seen["started"] = time.time()
        seen["run"] = run_playbook(
            "db-restore.yml", extra={"restore_confirm": True, "restore_target_time": seen["moment"]}, timeout=900
        )
        seen["ended"] = time.time()
    seen["load"] = load
    return seen


def test_the_restore_succeeds_and_says_what_it_restored(restored):
    run = restored["run"]
    assert run.rc == 0, run.tail()
    found = re.search(
        r"Restored (\S+ \S+) on db1: the last transaction replayed is from (\S+ \S+); rows: (.*)\.", run.stdout
    )
    assert found, run.tail()
    assert found[1] == restored["moment"]
    assert re.search(r"\bpublic\.notes \d+\b", found[3]), found[3]


def test_rows_written_before_the_moment_are_there_and_after_it_are_not(restored):
    db1 = lab_host("db1")
    ids = {int(row[0]) for row in psql(db1, "SELECT id FROM notes WHERE title LIKE 'restore-%'")}
    assert restored["b_before"] == [200] * 5
    assert set(restored["a"]) <= ids
    assert not set(restored["b"]) & ids


def test_the_app_serves_the_restored_data_not_its_cache(host, restored):
    assert [status_through_the_site(host, f"/api/notes/{n}") for n in restored["a"]] == [200] * 5
    assert [status_through_the_site(host, f"/api/notes/{n}") for n in restored["b"]] == [404] * 5


def test_the_site_answered_maintenance_during_the_restore_and_serves_after(host, restored):
    record, run = restored["load"].record, restored["run"]
    assert_load_covers(record, restored["load"].started, restored["load"].ended)
    assert {r["status"] for r in record.answers} <= {200, 503}, {r["status"] for r in record.answers}
    maintenance = [r for r in record.answers if r["status"] == 503]
    assert maintenance, "no maintenance answer seen"
    assert run.rc == 0, run.tail()
    assert all(restored["started"] <= r["t"] <= restored["ended"] for r in maintenance)
    assert status_through_the_site(host, "/api/notes") == 200


def test_the_repository_verifies_after_the_restore(restored):
    db1 = lab_host("db1")
    with db1.sudo("postgres"):
        verify = db1.run("pgbackrest --stanza=main verify")
        check = db1.run("pgbackrest --stanza=main check")
    assert verify.rc == 0, verify.stdout + verify.stderr
    assert check.rc == 0, check.stdout + check.stderr
