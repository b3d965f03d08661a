"""The page's verdicts and figures follow from the saved runs, never beyond them."""

import pytest
import report
import stats
from sections import ceiling, converge, data, http, scale, static, workers


@pytest.mark.parametrize(
    ("runs", "target", "at_least", "noise", "expected"),
    [
        ([1.4, 1.5, 1.6], 1.3, True, 1.0, "met"),
        ([1.0, 1.1, 1.2], 1.3, True, 1.0, "**missed**"),
        ([1.2, 1.3, 1.4], 1.3, True, 1.0, "inside noise (1.20 to 1.40 x)"),
        # The page measured one config twice 1.69 x apart: 1.30 against 0.85 is inside that.
        ([1.2, 1.3, 1.4], 0.85, True, 1.69, "inside noise (0.71 to 2.37 x)"),
        ([0.7, 0.74, 0.8], 0.5, False, 1.0, "**missed**"),
        ([0.4, 0.45], 0.5, False, 1.0, "met"),
        ([], 1.0, True, 1.0, "not measured"),
    ],
)
def test_a_verdict_is_met_or_missed_only_outside_the_noise(runs, target, at_least, noise, expected):
    assert stats.verdict(runs, target, at_least=at_least, noise=noise) == expected


def test_requests_per_second_count_only_2xx_answers():
    assert stats.two_xx_rate({"rps": 100.0, "requests": 1000, "non2xx": 250}) == 75.0


def test_findings_about_other_runs_are_marked_stale():
    measured = {"http": {"when": "2026-12-01 10:00 UTC"}}
    lines = report.findings(measured)
    assert any("earlier runs than the tables above" in line for line in lines)


def test_the_page_says_whether_every_section_measured_the_same_code():
    same = {"http": {"code": "abc"}, "scale": {"code": "abc"}}
    assert report.code_line(same) == "Every section measured the same code: `abc` (`bench/lab.py` code_id)."
    mixed = {"http": {"code": "abc"}, "scale": {"code": "def"}, "tls": {}}
    line = report.code_line(mixed)
    assert line.startswith("**The sections measured different code**")
    assert "`abc`: http; `def`: scale; `unknown`: tls" in line
    assert report.code_line({"tls": {}}).startswith("**The sections measured different code**")


def test_converge_order_is_told_from_the_figures():
    assert converge.order_text({"order": [["ours", "defaults"], ["defaults", "ours"]]}) == (
        "the first of each run: ours, defaults"
    )
    assert "ours first in every run" in converge.order_text({})


def test_the_data_section_compares_each_pair_in_the_same_run():
    def run(rps, p99):
        return {"rps": rps, "requests": 1000, "non2xx": 0, "socket_errors": 0, "p50_ms": 1.0, "p99_ms": p99}

    figures = {
        "runs": 2,
        "seconds": 8,
        "connections": 32,
        "samples": {
            "sqlite": {"dynamic": [run(100, 10), run(200, 20)], "cached": [run(100, 10), run(100, 10)]},
            "shared": {"dynamic": [run(50, 20), run(100, 40)], "cached": [run(300, 5), run(300, 5)]},
            "shared-nocache": {"cached": [run(100, 10), run(150, 10)]},
        },
    }
    out: list[str] = []
    data.report(figures, out, {})
    assert "| shared / one server, dynamic | 0.50 x | 2.00 x |" in out
    assert "| Redis / none, cached route (split layout) | 2.50 x | 0.50 x |" in out


def test_the_request_log_counts_each_runs_shortfall():
    def run(requests, lines, dropped=0):
        return {"rps": requests / 8, "requests": requests, "journal_lines": lines, "journal_suppressed": dropped}

    samples = {"a": {"dynamic": [run(1000, 1004), run(1000, 990, 10)], "static": [{"rps": 1.0, "requests": 8}]}}
    out: list[str] = []
    http.request_log_table({"a": http.LABELS["a"]}, samples, out)
    assert "| (a) | dynamic | 125 | 2,000 | 1,994 | 10 | 10 |" in out
    assert not any("| static |" in line for line in out)
    none: list[str] = []
    http.request_log_table({"a": http.LABELS["a"]}, {"a": {"dynamic": [{"requests": 1}]}}, none)
    assert none[0] == "The app's request log was not counted in this run."


def test_every_target_is_a_share_of_the_ceiling_of_its_layout():
    def probe(per_s):
        return {"per_s": per_s, "p50_us": 400.0, "p99_us": 900.0}

    ceil = {
        "runs": 3,
        "seconds": 5,
        "cores": {"one": 2, "shared": 2},
        "samples": {"one": {"dynamic": [probe(400), probe(500), probe(600)]}, "shared": {"dynamic": []}},
    }
    assert ceiling.per_s(ceil, "one", "dynamic") == 1000
    assert ceiling.per_s(ceil, "shared", "dynamic") is None
    assert ceiling.per_s(None, "one", "dynamic") is None
    out: list[str] = []
    ceiling.report(ceil, out, {})
    assert "| one server: SQLite on the app host | dynamic | 500 | 400 | 900 | 1,000 |" in out
    row = {"rps": 800.0, "requests": 1000, "non2xx": 0, "socket_errors": 0, "p50_ms": 1.0, "p99_ms": 2.0}
    assert stats.wrk_row("x", "dynamic", [row], 1000).startswith("| x | dynamic | 800 | 80% | 1.00 | 2.00 |")
    assert stats.wrk_row("x", "dynamic", [row]).startswith("| x | dynamic | 800 | n/a |")


SITE = """server {
    listen 80;
    server_name web1.lab.test;
}

server {
    listen 443 ssl;
    listen [::]:443 ssl;
    server_name web1.lab.test;
    ssl_certificate /etc/nginx/tls/flaskapp/fullchain.pem;
    location / {
        proxy_pass http://flaskapp_app;
        proxy_http_version 1.1;
    }
}
"""


def test_each_worker_variant_is_the_deployed_site_on_a_port_of_its_own():
    conf = workers.nginx_conf(SITE, "upstream flaskapp_app {\n    keepalive 32;\n    keepalive_timeout 4s;\n}\n")
    first = workers.port("sync/unix/keepalive")
    assert f"listen 127.0.0.1:{first} ssl default_server;" in conf
    assert "listen 80;" not in conf and "listen [::]:443 ssl;" not in conf
    assert "proxy_pass http://flaskapp_app;" not in conf
    assert f"upstream bench_wm_{first} {{\n    server unix:/run/bench-wm-sync/gunicorn.sock max_fails=0;\n" in conf
    assert conf.count("keepalive 32;") == 2 * len(workers.MODELS)  # the keepalive variants, as deployed
    hand = workers.port("hand")
    assert f"proxy_pass http://bench_wm_{hand};\n        include proxy_params;" in conf
    assert "ssl_certificate /etc/nginx/tls/flaskapp/fullchain.pem;" in conf


def test_worker_models_are_judged_on_both_targets_in_the_same_run():
    def run(rps, p99):
        return {"rps": rps, "requests": 1000, "non2xx": 0, "socket_errors": 0, "p50_ms": 1.0, "p99_ms": p99}

    empty = {"dynamic": [], "slow": []}
    samples = {v: dict(empty) for v in workers.variants()}
    samples["hand"] = {"dynamic": [run(100, 30), run(100, 30)], "slow": [run(50, 100), run(50, 100)]}
    samples["gevent/tcp/keepalive"] = {"dynamic": [run(140, 20), run(150, 25)], "slow": [run(300, 60), run(300, 60)]}
    figures = {"runs": 2, "seconds": 8, "connections": 32, "cores": 2, "slow_ms": 50, "samples": samples}
    out: list[str] = []
    workers.report(figures, out, {})
    assert "| gevent/tcp/keepalive | 1.45 x | met | 0.75 x | met | 6.00 x | 0.60 x |" in out
    assert not any(line.startswith("| sync/unix/keepalive | ") for line in out)


def test_scale_reports_both_batches_and_the_no_op_target():
    def noop(seconds):
        return {"seconds": seconds, "changed": 0}

    figures = {
        "runs": 2,
        "sizes": [1, 8],
        "serial": "25%, at least one host",
        "data": {
            "1": {"noop": [noop(10), noop(12)], "deploy": [20, 22]},
            "8": {"noop": [noop(18), noop(20)], "deploy": [60, 62], "deploy_one_at_a_time": [120, 122]},
        },
    }
    out: list[str] = []
    scale.report(figures, out, {})
    assert "| 8 | 19.0 | 0 |  |  | 61.0 | 121.0 |" in out
    assert any("No-op at 8 app hosts against 1: 1.73 x (target ≤ 2 x: met)." in line for line in out)


def test_scale_reports_where_the_no_op_cpu_goes():
    def noop(seconds, controller, hosts):
        return {"seconds": seconds, "changed": 0, "controller_cpu": controller, "hosts_cpu": hosts}

    figures = {
        "runs": 1,
        "sizes": [1, 8],
        "cores": 2,
        "data": {
            "1": {"noop": [noop(20, 19, 8)], "deploy": [20]},
            "8": {"noop": [noop(66, 75, 43)], "deploy": [60]},
        },
    }
    out: list[str] = []
    scale.report(figures, out, {})
    assert "| 8 | 66.0 | 0 | 75.0 | 43.0 | 60.0 |  |" in out
    # (75 - 19) / 7 = 8.0 and (43 - 8) / 7 = 5.0 CPU seconds an added host, 6.5 s on 2 cores.
    cpu = next(line for line in out if line.startswith("CPU per added app host"))
    assert "the controller 8.0 s" in cpu and "the hosts 5.0 s" in cpu and "at least 6.5 s" in cpu


def test_split_layout_static_is_judged_against_the_hand_made_in_the_same_run():
    def run(rps):
        return {"rps": rps, "requests": 1000, "non2xx": 0, "socket_errors": 0, "p50_ms": 1.0, "p99_ms": 2.0}

    samples = {
        "versioned": [run(30000), run(20000)],
        "through-app": [run(1500), run(1000)],
        "hand": [run(2000), run(2500)],
    }
    figures = {"runs": 2, "seconds": 8, "connections": 32, "samples": samples}
    out: list[str] = []
    static.report(figures, out, {})
    # Per-run ratios 15 x and 8 x: one run on each side of 10 x.
    assert "| (s) / (b), static | 11.5 x | ≥ 10 x | inside noise (8.00 to 15.00 x) |" in out
    assert "| (s) / (s0), static | 20.0 x | | |" in out


def test_the_code_id_names_the_content_of_the_code_paths_as_they_are_on_disk(tmp_path, monkeypatch):
    import subprocess

    import lab

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    monkeypatch.setattr(lab, "ROOT", tmp_path)
    git("init", "-q")
    for path in ("roles/r/tasks/main.yml", "roles/r/README.md", "app/a.py", "bench/bench.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(f"{path}\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    committed = lab.code_id("HEAD")
    assert committed == lab.code_id()
    (tmp_path / "bench/bench.py").write_text("changed\n")
    (tmp_path / "roles/r/README.md").write_text("changed\n")
    assert lab.code_id() == committed
    (tmp_path / "roles/r/tasks/new.yml").write_text("not committed yet\n")
    assert lab.code_id() != committed
    (tmp_path / "roles/r/tasks/new.yml").unlink()
    (tmp_path / "app/link.py").symlink_to("a.py")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a link")
    assert lab.code_id() == lab.code_id("HEAD") != committed
    (tmp_path / "app/a.py").write_text("changed\n")
    assert lab.code_id() != lab.code_id("HEAD")


def test_the_page_says_whether_its_sections_come_from_one_run():
    run = {
        "started": "2026-12-07 05:29 UTC",
        "finished": "2026-12-07 08:01 UTC",
        "minutes": 152.4,
        "sections": list(report.sections.ORDER),
        "runs": 5,
        "code": "abc",
    }
    whole = {name: {"when": "2026-12-07 06:00 UTC", "code": "abc"} for name in report.sections.ORDER}
    assert report.run_line(whole, run) == (
        "Every section is from one run of `make bench`: 2026-12-07 05:29 UTC to 2026-12-07 08:01 UTC,"
        " 152 min with the lab's setup, 5 runs a section, code `abc`."
    )
    # A section saved before the run started and one that measured other code: each is
    # named as from another run. Then a run of one section: the rest were never measured.
    earlier = whole | {"tls": {"when": "2026-12-06 23:25 UTC", "code": "abc"}, "data": {"when": "x", "code": "def"}}
    line = report.run_line(earlier, run)
    assert line.startswith("**Not one run:** the last run of `make bench` (")
    assert line.endswith(
        " measured ceiling, http, static, workers, disruption, converge, scale; from other runs: tls, data."
    )
    partial = {"static": {"when": "2026-12-07 06:00 UTC", "code": "abc"}}
    line = report.run_line(partial, run | {"sections": ["static"]})
    assert line.endswith(
        " measured static; never measured: ceiling, http, workers, disruption, converge, scale, tls, data."
    )
    assert report.run_line(whole, {}).startswith("**Not one run:** no run of `make bench` is on record")
