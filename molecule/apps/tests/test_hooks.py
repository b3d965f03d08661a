"""Deploy hooks that fail (hello, through its inventory file, with the hooks
given on the command line): one before the switch stops the deploy before
traffic moves; one after the switch rolls the host back to the release it
served. Either way the app answers on that release, and the output names the
hook."""

import pytest
from conftest import current, play
from labtest import failure_messages
from test_apps import variant

testinfra_hosts = ["client1"]


@pytest.fixture(scope="module")
def runs(web, curl):
    source = variant("hello", "1.0.2")
    seen = {"served": current(web, "hello")}
    seen["before"] = play(
        "deploy.yml",
        "hello",
        extra={
            "app_source_path": source,
            "app_hooks_before_switch": [{"name": "refuse on purpose", "command": "exit 3"}],
        },
    )
    seen["after_before"] = current(web, "hello")
    seen["after"] = play(
        "deploy.yml",
        "hello",
        extra={
            "app_source_path": source,
            "app_hooks_after_switch": [{"name": "fail after the switch", "command": "echo broken >&2; exit 4"}],
        },
    )
    seen["after_after"] = current(web, "hello")
    seen["answer"] = curl("-o /dev/null -w '%{http_code}' https://hello.lab.test/")
    return seen


def test_a_failing_hook_before_the_switch_stops_the_deploy_before_traffic_moves(runs):
    run = runs["before"]
    assert run.rc != 0
    assert "TASK [app : Exec | before switch: refuse on purpose]" in run.output, run.tail()
    assert any("non-zero return code" in message for message in failure_messages(run.output)), run.tail()
    assert runs["after_before"] == runs["served"]
    # The rollout never started.
    assert "Roll | Activate the release" not in run.output


def test_a_failing_hook_after_the_switch_rolls_the_host_back(runs):
    run = runs["after"]
    assert run.rc != 0
    assert "TASK [app : Exec | after switch: fail after the switch]" in run.output, run.tail()
    assert "Roll | Roll the host back" in run.output
    assert runs["after_after"] == runs["served"]
    assert runs["answer"] == "200"
