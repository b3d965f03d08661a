"""Static files on the split layout: lb1 holds each build's own and answers a page's versioned URLs with them.

Each release the side effect deploys has a stylesheet of its own. In the good
and rollback phases client1 also loaded pages through lb1 (5 a second) with
every file each page names, and recorded each file's SHA-256; each phase kept,
per app host, the SHA-256 of every static file of every build it held.
"""

import json
import re
import shlex

import pytest
from labtest import APP, BASE, EPHEMERAL, LoadRecord, assert_load_covers, epoch, files_nginx_holds_open, lab_host

testinfra_hosts = ["client1"]

APP_HOSTS = ["app1", "app2"]
EDGE_STATIC = f"/var/www/{APP}-static"
SITE = "https://lb1.lab.test"
CURL = "curl -sS --max-time 10 --cacert /etc/ssl/pebble-root.pem"


def outcome(phase: str) -> dict:
    return json.loads((EPHEMERAL / f"run-{phase}.json").read_text())


def static_files(run: dict) -> dict[tuple[str, str], str]:
    """{(build, file): sha256} of every build's static files on the app hosts, as a phase listed them."""
    files = {}
    for host in APP_HOSTS:
        for entry in run["hosts"][host]["static"].split():
            path, digest = entry.split(":")
            build, _, name = path.split("/", 2)
            assert files.setdefault((build, name), digest) == digest, f"{path} differs between app hosts"
    return files


def build_named(url: str) -> str:
    found = re.search(r"[?&]v=([^&]+)", url)
    assert found, f"{url} names no build"
    return found[1]


@pytest.mark.parametrize("phase", ["good", "rollback"])
def test_every_page_gets_its_own_builds_files_through_the_rollout(phase):
    run = outcome(phase)
    assert run["rc"] == 0, run["stdout"][-3000:]
    assert run["pages_exit"] == 0, "the page load generator failed"
    pages = LoadRecord.read(EPHEMERAL / f"load-pages-{phase}.jsonl")
    assert_load_covers(pages, epoch(run["started"]), epoch(run["ended"]))
    assert pages.failed == [], f"{len(pages.failed)} of {len(pages.answers)} failed, first: {pages.failed[:3]}"
    files = static_files(run)
    seen = set()
    for page in pages.answers:
        assert {asset["url"].split("?")[0] for asset in page["assets"]} == {"/static/app.css", "/static/app.js"}, page
        builds = {build_named(asset["url"]) for asset in page["assets"]}
        assert len(builds) == 1, f"a page named two builds' files: {page}"
        for asset in page["assets"]:
            build, name = build_named(asset["url"]), asset["url"].split("?")[0].removeprefix("/static/")
            assert asset["sha256"] == files[(build, name)], f"a page of build {build} got another's {name}: {page}"
        seen |= builds
    # The rollout moved the pages from one build to another whose stylesheets differ.
    assert len(seen) == 2, seen
    assert len({files[(build, "app.css")] for build in seen}) == 2


def sha256sums(host, folder: str, files: str) -> dict[str, str]:
    """{path: sha256} of the files a glob names in a folder of a lab host."""
    with host.sudo():
        lines = host.check_output(f"cd {folder} && sha256sum {files}").splitlines()
    return {path: digest for digest, path in (line.split() for line in lines)}


def test_the_load_balancer_holds_the_static_files_of_every_kept_build_and_no_other():
    lb = lab_host("lb1")
    held = sha256sums(lb, EDGE_STATIC, "*/*")
    kept = {}
    for host in APP_HOSTS:
        kept |= {
            path.replace("/static/", "/"): d
            for path, d in sha256sums(lab_host(host), f"{BASE}/builds", "*/static/*").items()
        }
    assert held == kept
    with lb.sudo():
        assert lb.check_output(f"find {EDGE_STATIC} -mindepth 1 -maxdepth 1 -name '.*'") == "", "a half-made build"
    assert (lb.file(EDGE_STATIC).user, lb.file(EDGE_STATIC).mode) == ("root", 0o755)


def head_and_body(host, path: str) -> tuple[str, str]:
    answer = host.run(
        f"{CURL} -D - -o /tmp/edge-static-body {shlex.quote(SITE + path)} && sha256sum < /tmp/edge-static-body"
    )
    assert answer.rc == 0, answer.stderr
    head, _, digest = answer.stdout.rpartition("\r\n\r\n")
    return head.lower(), digest.split()[0]


def test_a_pages_versioned_urls_are_answered_by_the_load_balancer_with_that_builds_files(host):
    page = host.check_output(f"{CURL} {SITE}/")
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(urls) == 2, page
    files = static_files(outcome("site"))
    for url in urls:
        head, digest = head_and_body(host, url.replace("&amp;", "&"))
        assert head.startswith("http/2 200"), head
        # The app's answers carry the request id Nginx gives it: this one never reached the app.
        assert "x-request-id" not in head, head
        assert "cache-control: public, max-age=2592000" in head and head.count("cache-control:") == 1, head
        assert digest == files[(build_named(url), url.split("?")[0].removeprefix("/static/"))]


@pytest.mark.parametrize(
    "path",
    [
        "/static/app.css",
        "/static/app.css?v=no-such-build",
        "/static/app.css?v=..",
        "/static/app.css?v=../" + "x",
        "/static/app.css?v=%2e%2e",
    ],
)
def test_other_static_urls_go_to_the_app(host, path):
    head, _ = head_and_body(host, path)
    assert head.startswith("http/2 200"), head
    assert "x-request-id" in head, head


def test_a_link_among_a_builds_files_is_never_followed(host):
    lb = lab_host("lb1")
    build = build_named(re.findall(r'href="(/static/[^"]+)"', host.check_output(f"{CURL} {SITE}/"))[0])
    link = f"{EDGE_STATIC}/{build}/leak.txt"
    with lb.sudo():
        assert lb.run(f"ln -s /etc/hostname {link}").rc == 0
    try:
        head, _ = head_and_body(host, f"/static/leak.txt?v={build}")
    finally:
        with lb.sudo():
            lb.run(f"rm -f {link}")
    # Not answered from lb1's disk: passed to the app, which has no such file.
    assert head.startswith("http/2 404"), head
    assert "x-request-id" in head, head


def test_the_load_balancer_keeps_a_builds_files_open_between_requests(host):
    """nginx_static_open_files: a file lb1 answered stays open in the worker that answered it (a build's
    files never change in place), so the next request for it looks nothing up on disk."""
    url = re.findall(r'href="(/static/[^"]+)"', host.check_output(f"{CURL} {SITE}/"))[0].replace("&amp;", "&")
    path = f"{EDGE_STATIC}/{build_named(url)}/{url.split('?')[0].removeprefix('/static/')}"
    # Every worker's open files are read: the one that answered holds it, whichever that was.
    for _ in range(8):
        head, _ = head_and_body(host, url)
        assert head.startswith("http/2 200"), head
    assert path in files_nginx_holds_open("lb1")
