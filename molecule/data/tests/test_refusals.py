"""Bad data-tier input is refused before any host changes, with a message that
leads with the setting: the database and cache passwords, the db group's size,
the restore's confirmation and target time.

"Before any change" is judged on the hosts themselves (labtest.Marker)."""

import contextlib
import pathlib
import re

import pytest
import yaml
from labtest import INVENTORY, PROJECT, Marker, failure_messages, lab_host, run_playbook

testinfra_hosts = ["db1"]

WATCHED = ["db1", "lb1", "app1"]


@contextlib.contextmanager
def nothing_changes_on(names: list[str]):
    with contextlib.ExitStack() as stack:
        changed = {name: stack.enter_context(Marker(lab_host(name))) for name in names}
        yield
        assert {name: changed[name]() for name in names} == {name: [] for name in names}


def assert_refused(run, message: str) -> None:
    assert run.rc != 0, run.tail()
    messages = failure_messages(run.output)
    assert any(re.search(message, text, re.M) for text in messages), messages or run.tail()
    assert run.recap(), run.tail()
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.recap()


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
    with nothing_changes_on(WATCHED):
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
    inventory["all"]["children"]["db"] = {"hosts": {name: {} for name in hosts}} if hosts else {"hosts": None}
    (tmp_path / "group_vars").symlink_to(PROJECT / "group_vars")
    target = tmp_path / "hosts.yml"
    target.write_text(yaml.safe_dump(inventory))
    return target


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ([], r"^the db group \(no host\) must hold exactly one host: it is empty"),
        (["db1", "app1"], r"^the db group \(db1, app1\) must hold exactly one host: replication is not configured"),
    ],
    ids=["empty", "two-hosts"],
)
def test_a_db_group_of_other_than_one_host_is_refused_before_any_change(tmp_path, hosts, message):
    inventory = inventory_with_db_group(tmp_path, hosts)
    with nothing_changes_on(WATCHED):
        run = run_playbook("converge.yml", inventory=inventory)
    assert_refused(run, message)
