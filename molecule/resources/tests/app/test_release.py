"""Releases: layout, ownership, the switch to new code, and pruning.

A release is a build (the code in its own venv) plus everything the app's
process reads when it starts. The scenario converges release 1.0.0, then its
side effect deploys 1.0.1 and 1.0.2 keeping two releases; these checks read the
result.
"""

import json
import re

import pytest
from labtest import APP, BASE, SOCKET, compilers

testinfra_hosts = ["app"]


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        (BASE, "root", "root", 0o755),
        (f"{BASE}/releases", "root", "root", 0o755),
        (f"{BASE}/builds", "root", "root", 0o755),
        (f"{BASE}/shared", "root", APP, 0o750),
        (f"{BASE}/shared/instance", APP, APP, 0o750),
        (f"{BASE}/shared/uploads", APP, APP, 0o750),
    ],
)
def test_folder_ownership_and_mode(host, path, owner, group, mode):
    with host.sudo():
        folder = host.file(path)
        assert folder.is_directory
        assert (folder.user, folder.group, folder.mode) == (owner, group, mode)


def build_of(host, release: str) -> str:
    return host.file(f"{release}/venv").linked_to.rsplit("/", 1)[0]


@pytest.mark.parametrize("name", ["app.env", "gunicorn.conf.py"])
def test_settings_files_are_readable_by_the_app_group_only(host, current_release, name):
    with host.sudo():
        settings = host.file(f"{current_release}/{name}")
        assert (settings.user, settings.group, settings.mode) == ("root", APP, 0o640)


def test_a_release_is_its_build_and_its_configuration(host, current_release):
    release_id = current_release.rsplit("/", 1)[1]
    metadata = json.loads(host.file(f"{current_release}/release.json").content_string)
    build = build_of(host, current_release)
    assert build == f"{BASE}/builds/{metadata['build']}"
    assert release_id == f"{metadata['build']}-{metadata['config']}"
    assert host.check_output(f"readlink {current_release}/static") == f"{build}/static"
    with host.sudo():
        names = set(host.file(current_release).listdir())
    assert {"app.env", "gunicorn.conf.py", "rollout-health.json", "release.json"} <= names
    checks = json.loads(host.file(f"{current_release}/rollout-health.json").content_string)
    assert checks == {"ready_path": "/ready", "version_path": "/version", "version_key": "release"}


def test_the_build_was_made_for_this_hosts_platform(host, current_release):
    # Wheels are platform-specific: each Debian release (its Python) gets its
    # own artifact, built once on a host of that release. MarkupSafe (Flask's
    # dependency) ships compiled wheels, tagged with the Python they are for.
    build = build_of(host, current_release)
    python = host.check_output("python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    wheel = host.check_output(f"cat {build}/venv/lib/python{python}/site-packages/markupsafe-*.dist-info/WHEEL")
    tags = re.findall(r"^Tag: (\S+)$", wheel, re.M)
    assert tags, wheel
    assert all(tag.startswith(f"cp{python.replace('.', '')}-") for tag in tags), tags


def test_no_compiler_is_left_on_a_serving_app_host(host):
    # python3-pip recommends build-essential and python3-dev; the python role
    # installs without recommends, so a compiler comes only with python_build_tools,
    # or app_build_packages on the build host.
    assert compilers(host) == []


def test_environment_file_holds_a_strong_secret_key(host, current_release):
    with host.sudo():
        lines = host.file(f"{current_release}/app.env").content_string.splitlines()
    keys = [line.split("=", 1)[1].strip("'") for line in lines if line.startswith("SECRET_KEY=")]
    assert len(keys) == 1 and len(keys[0]) >= 32
    assert "APP_ENV='production'" in lines


def test_current_points_at_a_complete_release(host, current_release):
    assert host.file(f"{BASE}/current").is_symlink
    assert current_release.startswith(f"{BASE}/releases/")
    assert host.file(f"{current_release}/.complete").exists
    assert host.file(f"{build_of(host, current_release)}/.installed").exists
    assert host.file(f"{current_release}/venv/bin/gunicorn").exists
    assert not host.file(f"{build_of(host, current_release)}/wheelhouse").exists


def test_release_code_belongs_to_root(host, current_release):
    for folder in (current_release, build_of(host, current_release)):
        found = host.run(f"find {folder} ! -type l \\( ! -user root -o -perm /022 \\)").stdout.strip()
        assert found == ""


def test_app_user_cannot_write_its_code(host, current_release):
    with host.sudo(APP):
        assert host.run(f"touch {current_release}/venv/x").rc != 0
        assert host.run(f"touch {BASE}/shared/instance/probe && rm {BASE}/shared/instance/probe").rc == 0


def test_version_reports_the_release_current_points_at(get, current_release, host):
    status, body = get("/version")
    assert status == 200
    metadata = json.loads(host.file(f"{current_release}/release.json").content_string)
    assert body["release"] == metadata["release"] == current_release.rsplit("/", 1)[1]
    assert body["revision"] == metadata["revision"]


def test_the_switch_serves_the_new_code(get):
    # 1.0.0 was converged first (from app/); the side effect switched to 1.0.1, then 1.0.2.
    assert get("/version")[1]["version"] == "1.0.2"


def test_releases_came_from_a_wheel_and_from_a_git_tag(host, current_release):
    previous = host.file(f"{BASE}/previous").linked_to
    wheel_release = json.loads(host.file(f"{previous}/release.json").content_string)
    git_release = json.loads(host.file(f"{current_release}/release.json").content_string)
    assert wheel_release["revision"] == "wheel:flaskapp-1.0.1-py3-none-any.whl"
    with host.sudo():
        tag_commit = host.run("git -C /var/tmp/app-repo rev-parse v1.0.2^{commit}").stdout.strip()
    assert git_release["revision"] == tag_commit


def test_releases_beyond_the_kept_two_are_pruned_with_their_builds(host, current_release):
    releases = host.file(f"{BASE}/releases").listdir()
    assert len(releases) == 2
    previous = host.file(f"{BASE}/previous").linked_to
    assert sorted(releases) == sorted([current_release.rsplit("/", 1)[1], previous.rsplit("/", 1)[1]])
    builds = [build_of(host, current_release), build_of(host, previous)]
    assert sorted(f"{BASE}/builds/{name}" for name in host.file(f"{BASE}/builds").listdir()) == sorted(builds)
    assert f"{APP}==1.0.1" in host.file(f"{builds[1]}/requirements.txt").content_string


def test_release_venv_has_the_app_and_the_server_and_nothing_from_outside(host, current_release):
    installed = host.run(f"{current_release}/venv/bin/pip list --format=freeze").stdout
    assert f"{APP}==1.0.2" in installed
    assert "gunicorn==27.0.1" in installed
    requirements = host.file(f"{build_of(host, current_release)}/requirements.txt").content_string.split()
    assert requirements == [f"{APP}==1.0.2", "gunicorn==27.0.1"]


@pytest.mark.parametrize(("user", "allowed"), [("www-data", True), ("nobody", False)])
def test_only_the_web_server_group_may_connect_to_the_socket(host, user, allowed):
    with host.sudo(user):
        answer = host.run(f"curl -s -o /dev/null -w '%{{http_code}}' --unix-socket {SOCKET} http://localhost/health")
    assert (answer.stdout == "200") is allowed


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_health_endpoints_answer_200(get, path):
    assert get(path)[0] == 200


def test_the_api_works_end_to_end(get, host):
    with host.sudo():
        created = host.run(
            "curl -sS -o /dev/null -w '%{http_code}' --unix-socket /run/flaskapp/gunicorn.sock"
            " -H 'Content-Type: application/json' -d '{\"title\": \"from testinfra\"}' http://localhost/api/notes"
        )
    assert created.stdout == "201"
    titles = [note["title"] for note in get("/api/notes")[1]["notes"]]
    assert "from testinfra" in titles
