"""Inputs that cannot work are refused before any host changes, with a message
naming the setting: a release to roll back to that is not installed, a batch
size of 0, an inventory without the `app` group; the database and cache
passwords, a db group of other than one host, a restore without its
confirmation or with a target time that is malformed, no date, or before the
oldest backup.

"Before any change" is judged on the hosts themselves: nothing a playbook can
write changed on any of them during the run (see labtest.Marker)."""

import contextlib
import pathlib
import re

import pytest
import yaml
from labtest import DATA_SERVICES, INVENTORY, PROJECT, Marker, failure_messages, lab_host, run_playbook

testinfra_hosts = ["client1"]

HOSTS = ["lb1", "app1", "app2", "db1"]


@contextlib.contextmanager
def nothing_changes_on(names: list[str]):
    markers = {name: Marker(lab_host(name), DATA_SERVICES) for name in names}
    with contextlib.ExitStack() as stack:
        changed = {name: stack.enter_context(marker) for name, marker in markers.items()}
        yield
        assert {name: changed[name]() for name in names} == {name: [] for name in names}


def assert_refused(run, message: str) -> None:
    assert run.rc != 0
    messages = failure_messages(run.output)
    assert any(re.search(message, text, re.M) for text in messages), messages or run.tail()
    assert run.recap(), run.tail()
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.recap()


@pytest.mark.parametrize(
    ("playbook", "extra", "message"),
    [
        (
            "rollback.yml",
            {"rollback_release": "0123456789ab"},
            r"^rollback_release \(0123456789ab\) is not a complete release on\s+app1; complete there: [\w-]+",
        ),
        ("deploy.yml", {"rollout_serial": 0}, r"^rollout_serial \(0\) must be a count of hosts >= 1 or a percentage"),
        ("deploy.yml", {"rollout_health_successes": 0}, r"^rollout_health_successes \(0\) must be 1 or more\."),
    ],
    ids=["unknown-release", "serial-0", "no-health-successes"],
)
def test_a_rollout_that_cannot_work_is_refused_before_any_change(playbook, extra, message):
    with nothing_changes_on(HOSTS):
        run = run_playbook(playbook, extra=extra)
    assert_refused(run, message)


def test_an_inventory_without_app_servers_is_refused(tmp_path):
    source = pathlib.Path(INVENTORY)
    source = source / "ansible_inventory.yml" if source.is_dir() else source
    hosts = yaml.safe_load(source.read_text())["all"]["hosts"]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"lb": {"hosts": {"lb1": hosts["lb1"]}}}}}))
    with nothing_changes_on(HOSTS):
        run = run_playbook("deploy.yml", extra={}, inventory=inventory)
    assert_refused(run, r"The inventory needs a group `app` \(app servers, Gunicorn\) with at least one host")


@pytest.mark.parametrize(
    ("playbook", "extra", "message"),
    [
        (
            "converge.yml",
            {"postgresql_app_password": "short-one"},
            r"^postgresql_app_password must be set \(from vault_postgresql_app_password\) and at least 16"
            r" characters long, got 9\.$",
        ),
        (
            "converge.yml",
            {"postgresql_app_password": ""},
            r"^postgresql_app_password must be set \(from vault_postgresql_app_password\) and at least 16"
            r" characters long, got 0\.$",
        ),
        (
            "converge.yml",
            {"redis_password": "tiny"},
            r"^redis_password must be set \(from vault_redis_password\) and at least 16 characters long, got 4\.$",
        ),
        (
            "db-restore.yml",
            {"restore_target_time": "2026-12-01 10:00:00"},
            r"^pgbackrest_restore_confirm \(restore_confirm=False\) must be true: a restore replaces the whole"
            r" database",
        ),
        (
            "db-restore.yml",
            {"restore_confirm": True, "restore_target_time": "yesterday at noon"},
            r"^pgbackrest_restore_target_time \(restore_target_time=yesterday at noon\) must be a time such as",
        ),
        (
            "db-restore.yml",
            {"restore_confirm": True, "restore_target_time": "2026-02-30 10:00:00"},
            r"^pgbackrest_restore_target_time \(restore_target_time=2026-02-30 10:00:00\): it is not a date"
            r" and time\.$",
        ),
        (
            "db-restore.yml",
            {"restore_confirm": True, "restore_target_time": "2001-01-01 00:00:00+00"},
            r"^pgbackrest_restore_target_time \(restore_target_time=2001-01-01 00:00:00\+00\): it is before the oldest"
            r" backup, which ended at \d{4}-",
        ),
    ],
    ids=[
        "db-password-short",
        "db-password-missing",
        "redis-password-short",
        "restore-unconfirmed",
        "restore-time-malformed",
        "restore-time-no-date",
        "restore-time-too-early",
    ],
)
def test_bad_data_tier_input_is_refused_before_any_change(playbook, extra, message):
    with nothing_changes_on(HOSTS):
        run = run_playbook(playbook, extra=extra)
    assert_refused(run, message)
    # A password, even a bad one, is never printed.
    for key in ("postgresql_app_password", "redis_password"):
        if extra.get(key):
            assert extra[key] not in run.output


def inventory_with_db_group(tmp_path: pathlib.Path, hosts: list[str]) -> pathlib.Path:
    """Molecule's inventory with the db group's hosts replaced, beside the project's group_vars."""
    source = pathlib.Path(INVENTORY)
    source = source / "ansible_inventory.yml" if source.is_dir() else source
    inventory = yaml.safe_load(source.read_text())
    # Molecule's inventory: every host under all.hosts, each group at the top level.
    inventory["db"] = {"hosts": {name: inventory["all"]["hosts"][name] for name in hosts} or None}
    (tmp_path / "group_vars").symlink_to(PROJECT / "group_vars")
    target = tmp_path / "hosts.yml"
    target.write_text(yaml.safe_dump(inventory))
    return target


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ([], r"^the db group \(no host\) must hold exactly one host: it is empty"),
        (
            ["db1", "app1"],
            r"^the db group \((db1, app1|app1, db1)\) must hold exactly one host: replication is not configured",
        ),
    ],
    ids=["empty", "two-hosts"],
)
def test_a_db_group_of_other_than_one_host_is_refused_before_any_change(tmp_path, hosts, message):
    inventory = inventory_with_db_group(tmp_path, hosts)
    with nothing_changes_on(HOSTS):
        run = run_playbook("converge.yml", inventory=inventory)
    assert_refused(run, message)
