"""Rollout inputs that cannot work are refused before any host changes, with a
message naming the setting: a release to roll back to that is not installed,
a batch size of 0, an inventory without the `app` group."""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

testinfra_hosts = ["client1"]

SCENARIO = pathlib.Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def run(playbook: str, extra: dict, inventory: str = INVENTORY) -> tuple[int, str]:
    result = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", inventory, str(SCENARIO / playbook), "-e", json.dumps(extra)],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )
    return result.returncode, result.stdout + result.stderr


def assert_nothing_changed(output: str) -> None:
    recaps = re.findall(r"^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)", output, re.M)
    assert recaps, output[-2000:]
    assert all(changed == "0" for _, changed in recaps), recaps


@pytest.mark.parametrize(
    ("playbook", "extra", "message"),
    [
        (
            "rollback.yml",
            {"rollback_release": "0123456789ab"},
            r"rollback_release 0123456789ab is not installed on\s+app1; installed there: \w+",
        ),
        ("deploy.yml", {"deploy_serial": 0}, r"deploy_serial \(0: a count of hosts >= 1 or a percentage\)"),
        ("deploy.yml", {"deploy_health_successes": 0}, r"deploy_health_successes\s+\(0: >= 1\)"),
    ],
    ids=["unknown-release", "serial-0", "no-health-successes"],
)
def test_a_rollout_that_cannot_work_is_refused_before_any_change(playbook, extra, message):
    rc, output = run(playbook, extra)
    assert rc != 0
    assert re.search(message, output), output[-3000:]
    assert_nothing_changed(output)


def test_an_inventory_without_app_servers_is_refused(tmp_path):
    source = pathlib.Path(INVENTORY)
    source = source / "ansible_inventory.yml" if source.is_dir() else source
    hosts = yaml.safe_load(source.read_text())["all"]["hosts"]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"lb": {"hosts": {"lb1": hosts["lb1"]}}}}}))
    rc, output = run("deploy.yml", {}, str(inventory))
    assert rc != 0
    assert "The inventory needs a group `app` (app servers, Gunicorn) with at least one host" in output, output[-3000:]
