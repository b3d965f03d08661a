"""Three apps that are not the project's, none changed to suit the roles, each
deployed through its own inventory file alone (converge.yml: site.yml once per
app), side by side on web1 behind its Nginx: from the outside client, each
serves its pages over HTTPS with its own certificate, its static files come
from Nginx, its data outlives a redeploy; run.yml runs the notes app's
init-db, logs.yml finds a line it wrote, status.yml shows each app. The
dedicated build host builds them all, hello's C module with its compiler,
and serves nothing; web1 has no compiler."""

import json
import re
import shutil
import uuid

import pytest
from conftest import APPS, OPERATE, PEBBLE_ROOT, current, play
from labtest import EPHEMERAL, SCENARIO, answering_ports, compilers, lab_host, printed

testinfra_hosts = ["client1"]

PAGES = {
    "notes": "<h1>Lab notes</h1>",
    "hello": "Hello from a plain WSGI app",
    "gallery": "<h1>Gallery</h1>",
}
STATIC = {
    "notes": ("/static/notes.css", SCENARIO / "fixtures/notes/src/notes/static/notes.css"),
    "gallery": ("/static/gallery.css", SCENARIO / "fixtures/gallery/static/gallery.css"),
}
WRITE = {
    "notes": "-X POST -H 'Content-Type: application/json' -d '{\"body\": \"first note\"}' https://notes.lab.test/notes",
    "hello": "-X POST 'https://hello.lab.test/sign?name=alice'",
    "gallery": "-X POST https://gallery.lab.test/like",
}
READ = {
    "notes": "https://notes.lab.test/notes",
    "hello": "https://hello.lab.test/guestbook",
    "gallery": "https://gallery.lab.test/likes",
}


def variant(app: str, version: str, fresh: bool = False) -> str:
    """A copy of the app's fixture with its version bumped: new code, a new build.

    fresh: a file of this run's own too, so the code is new even to a controller
    that kept an earlier run's artifact of that version, and the deploy builds it.
    """
    dest = EPHEMERAL / "variants" / f"{app}-{version}"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(SCENARIO / "fixtures" / app, dest, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    project = dest / "pyproject.toml"
    project.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', project.read_text()))
    if fresh:
        (dest / "BUILD-STAMP").write_text(f"{uuid.uuid4()}\n")
    return str(dest)


@pytest.fixture(scope="module")
def story(web, curl):
    """init-db with run.yml; a write to each app; a redeploy of each (notes with a new
    title in its config.py); reads after; logs.yml and status.yml."""
    seen = {"init": play(f"{OPERATE}/run.yml", "notes", extra={"cmd": "flask --app notes init-db"})}
    seen["wrote"] = {app: curl(f"-o /dev/null -w '%{{http_code}}' {WRITE[app]}") for app in APPS}
    seen["before"] = {app: current(web, app) for app in APPS}
    # notes also gets a new title, in its config.py.
    title = {"notes": {"notes_title": "Lab notes 2"}}
    # hello's is always built anew: on build1, with its compiler.
    seen["deploys"] = {
        app: play(
            "deploy.yml",
            app,
            extra={"app_source_path": variant(app, "1.0.1", fresh=app == "hello")} | title.get(app, {}),
        )
        for app in APPS
    }
    seen["after"] = {app: current(web, app) for app in APPS}
    seen["read"] = {app: curl(READ[app]) for app in APPS}
    seen["page"] = curl("https://notes.lab.test/")
    seen["logs"] = play(f"{OPERATE}/logs.yml", "notes", extra={"grep": "note 1 added", "since": "1h"})
    seen["status"] = {app: play(f"{OPERATE}/status.yml", app) for app in APPS}
    return seen


@pytest.mark.parametrize("app", APPS)
def test_each_app_serves_its_pages_over_https_with_its_own_certificate(curl, client, app):
    site = f"{app}.lab.test"
    assert curl(f"-o /dev/null -w '%{{http_code}} %{{ssl_verify_result}}' https://{site}/") == "200 0"
    assert PAGES[app] in curl(f"https://{site}/")
    subject = client.check_output(
        f"echo | openssl s_client -connect {site}:443 -servername {site} -CAfile {PEBBLE_ROOT} 2>/dev/null"
        " | openssl x509 -noout -ext subjectAltName"
    )
    assert f"DNS:{site}" in subject


@pytest.mark.parametrize("app", sorted(STATIC))
def test_static_files_come_from_nginx(curl, app):
    path, source = STATIC[app]
    headers = curl(f"-D - -o /dev/null https://{app}.lab.test{path}").lower()
    assert headers.startswith("http/2 200"), headers
    # Nginx's static location sets these; the app (or Flask) would not.
    assert "cache-control: public, max-age=2592000" in headers
    assert curl(f"https://{app}.lab.test{path}") == source.read_text()


def test_hello_has_no_static_location(curl):
    assert curl("-o /dev/null -w '%{http_code}' https://hello.lab.test/static/x.css") == "404"


def test_hello_c_module_was_compiled_on_the_dedicated_build_host_alone(story, curl, web):
    # The redeploy built hello's new code on build1, which got the compiler
    # then (app_build_packages); web1, where it runs, has none.
    run = story["deploys"]["hello"]
    assert run.rc == 0, run.tail()
    task = re.search(r"TASK \[app : Build \| Build the wheelhouse.*?(?=\nTASK \[|\Z)", run.stdout, re.S)
    assert task, run.tail()
    # Ansible names the delegated host, and its address when the inventory gives one.
    assert re.search(r"^changed: \[web1 -> build1(\([^)]*\))?\]$", task[0], re.M), task[0]
    build = lab_host("build1")
    assert {"gcc", "python3-dev"} <= set(compilers(build)), compilers(build)
    assert compilers(web) == []
    # The module web1 runs says which gcc built it: build1's.
    version = build.check_output("gcc -dumpfullversion")
    assert curl("https://hello.lab.test/compiled").startswith(f"compiled by gcc {version}")
    with web.sudo():
        modules = web.check_output("ls /srv/hello/current/venv/lib/python3*/site-packages/ | grep '^_hello\\.'")
    assert re.fullmatch(r"_hello\.cpython-3\d+-[a-z0-9_]+-linux-gnu\.so", modules), modules


def test_the_build_host_serves_nothing(client):
    build = lab_host("build1")
    # No app was installed there, and the build left no working folder.
    with build.sudo():
        assert build.check_output("ls /srv") == ""
        assert build.check_output("ls -d /var/tmp/*-build 2>/dev/null || true") == ""
    assert answering_ports(client, "build1") == {"22": "open"}


def test_run_yml_ran_notes_init_db_as_the_app_runs(story):
    run = story["init"]
    assert run.rc == 0, run.tail()
    lines = [line for values in printed(run.stdout, "msg")["web1"] if isinstance(values, list) for line in values]
    assert "Initialized the database." in lines


@pytest.mark.parametrize("app", APPS)
def test_data_written_before_a_redeploy_is_there_after_it(story, app):
    assert story["wrote"][app] == "201"
    run = story["deploys"][app]
    assert run.rc == 0, run.tail()
    assert story["after"][app] != story["before"][app]
    read = story["read"][app]
    if app == "hello":
        assert read == "alice\n", read
    else:
        expected = {"notes": {"notes": [{"body": "first note", "id": 1}]}, "gallery": {"likes": 1}}[app]
        assert json.loads(read) == expected, read


def test_notes_config_file_rolled_with_the_release_and_its_secret_was_never_printed(story, web):
    assert "<h1>Lab notes 2</h1>" in story["page"]
    with web.sudo():
        old = web.file(f"/srv/notes/releases/{story['before']['notes']}/config/config.py")
        new = web.file(f"/srv/notes/releases/{story['after']['notes']}/config/config.py")
        assert 'NOTES_TITLE = "Lab notes"' in old.content_string
        assert 'NOTES_TITLE = "Lab notes 2"' in new.content_string
        assert (new.user, new.group, new.mode) == ("root", "notes", 0o640)
        secret = re.search(r'SECRET_KEY = "(.+)"', new.content_string)[1]
    assert len(secret) >= 32
    for run in [story["deploys"]["notes"], story["init"], *story["status"].values()]:
        assert secret not in run.output


def test_notes_instance_folder_is_shared_and_holds_its_database(story, web):
    with web.sudo():
        shared = web.file("/srv/notes/shared/notes-instance")
        assert shared.is_directory and (shared.user, shared.mode) == ("notes", 0o750)
        venv = web.check_output("readlink -f /srv/notes/current/venv")
        assert web.check_output(f"readlink {venv}/var/notes-instance") == "/srv/notes/shared/notes-instance"
        assert web.file("/srv/notes/shared/notes-instance/notes.sqlite").is_file
        # config.py there is a link through current/, so each release's own is read.
        link = "/srv/notes/shared/notes-instance/config.py"
        assert web.check_output(f"readlink {link}") == "/srv/notes/current/config/config.py"


def test_hello_data_folder_is_a_link_in_the_release(story, web):
    with web.sudo():
        data = f"/srv/hello/releases/{story['after']['hello']}/data"
        assert web.check_output(f"readlink {data}") == "/srv/hello/shared/guestbook"
        assert web.file("/srv/hello/shared/guestbook/guestbook.txt").content_string == "alice\n"


def test_hooks_ran_where_and_when_they_should(story, web):
    # gallery's hook before the switch, once, named.
    out = story["deploys"]["gallery"].output
    assert re.search(r"TASK \[app : Exec \| before switch: check that the app imports\]", out), out[-3000:]
    assert "gallery imports" in out
    # hello's hook after the switch: one line, naming the release it switched to.
    with web.sudo():
        lines = web.file("/srv/hello/shared/guestbook/switches.log").content_string.splitlines()
    assert [line.split()[1] for line in lines] == [story["after"]["hello"]]


def test_logs_yml_finds_a_line_the_app_wrote(story):
    run = story["logs"]
    assert run.rc == 0, run.tail()
    assert "note 1 added" in json.dumps(printed(run.stdout, "msg").get("web1", [])), run.tail()


@pytest.mark.parametrize("app", APPS)
def test_status_yml_shows_each_app_on_its_release(story, app):
    run = story["status"][app]
    assert run.rc == 0, run.tail()
    status = printed(run.stdout, "gunicorn_status")["web1"][0]
    assert status["release"] == story["after"][app], status
    assert status["version"] == "1.0.1", status
    assert status["state"] == "active/running", status
    tables = [v for values in printed(run.stdout, "msg").values() for v in values if isinstance(v, list)]
    rows = [row.split() for table in tables if table and table[0].startswith("host ") for row in table[1:]]
    assert ["web1", story["after"][app], "1.0.1", "active/running", "ok", "web1:serving", "-"] in rows, rows
