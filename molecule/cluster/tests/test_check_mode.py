"""site.yml --check --diff on the converged cluster: it tells the truth (no
change, no failure), and even at -vvv no secret value reaches the output."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

testinfra_hosts = ["client1"]

SCENARIO = pathlib.Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
SECRET_FILE = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "secret_key"
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
HOSTS = ["acme1", "lb1", "app1", "app2", "client1"]


@pytest.fixture(scope="module")
def check_run() -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            ANSIBLE_PLAYBOOK,
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(SCENARIO / "converge.yml"),
            "--check",
            "--diff",
            "-vvv",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )


def test_check_diff_on_the_converged_cluster_succeeds(check_run):
    assert check_run.returncode == 0, (check_run.stdout + check_run.stderr)[-3000:]


@pytest.mark.parametrize("name", HOSTS)
def test_check_diff_reports_no_change(check_run, name):
    recap = re.search(
        rf"^{name}\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", check_run.stdout, re.M
    )
    assert recap, check_run.stdout[-2000:]
    assert recap.groups() == ("0", "0", "0"), recap[0]


def test_the_secret_key_never_appears_in_a_verbose_run(check_run):
    secret = SECRET_FILE.read_text().split()[0]
    assert len(secret) >= 32
    assert secret not in check_run.stdout + check_run.stderr
