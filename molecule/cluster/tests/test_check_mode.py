"""site.yml --check --diff on the converged cluster: it tells the truth (no
change, no failure), and even at -vvv no secret value reaches the output."""

import pytest
from labtest import EPHEMERAL, Run, run_playbook

testinfra_hosts = ["client1"]

HOSTS = ["acme1", "lb1", "app1", "app2", "db1", "client1"]


@pytest.fixture(scope="module")
def check_run() -> Run:
    return run_playbook("converge.yml", "--check", "--diff", "-vvv", timeout=900)


def test_check_diff_on_the_converged_cluster_succeeds(check_run):
    assert check_run.rc == 0, check_run.tail()


@pytest.mark.parametrize("name", HOSTS)
def test_check_diff_reports_no_change(check_run, name):
    recap = check_run.recap()
    assert name in recap, check_run.tail(2000)
    assert (recap[name]["changed"], recap[name]["unreachable"], recap[name]["failed"]) == (0, 0, 0), recap[name]


@pytest.mark.parametrize("name", ["secret_key", "postgresql_password", "redis_password"])
def test_no_secret_appears_in_a_verbose_run(check_run, name):
    secret = (EPHEMERAL / name).read_text().split()[0]
    assert len(secret) >= 32
    assert secret not in check_run.output
