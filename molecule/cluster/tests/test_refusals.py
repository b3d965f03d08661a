"""Rollout inputs that cannot work are refused before any host changes, with a
message naming the setting: a release to roll back to that is not installed,
a batch size of 0, an inventory without the `app` group.

"Before any change" is judged on the hosts themselves: nothing a playbook can
write changed on any of them during the run (see labtest.Marker)."""

import contextlib
import pathlib
import re

import pytest
import yaml
from labtest import INVENTORY, Marker, failure_messages, lab_host, run_playbook

testinfra_hosts = ["client1"]

HOSTS = ["lb1", "app1", "app2"]


@contextlib.contextmanager
def nothing_changes_on(names: list[str]):
    markers = {name: Marker(lab_host(name)) for name in names}
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
