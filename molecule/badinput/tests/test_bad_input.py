"""site.yml refuses each invalid setting before any host changes, naming it.

Each case runs the real site.yml from the controller against the scenario's
host with one bad value over an otherwise valid configuration, then checks the
exit status; that a task's failure line names the setting and what is wrong
with it (one message, not a pattern spread over the whole output); the play
recap; and that nothing a playbook can write on the host changed during the
run (labtest.Marker: change times, so chmod and chown count too).
"""

import re

import pytest
from labtest import PROJECT, Marker, failure_lines, run_playbook

testinfra_hosts = ["app1"]

# Within one error of a message: no quote, no escaped line break.
ONE = r"[^\\\"]*"
SECRET = "a-valid-secret-key-of-forty-eight-characters-xx"

VALID = {
    "app_secret_environment": {"SECRET_KEY": SECRET},
    "nginx_server_names": ["app1.lab.test"],
    "certbot_email": "ops@lab.test",
    "certbot_acme_directory": "https://acme.lab.test/dir",
}

# (bad settings, what the message must say)
CASES = [
    ({"common_app_user": "Bad User"}, r"common_app_user .* must be lower-case system names"),
    ({"common_app_user": "root"}, r"common_app_user .* not root"),
    ({"common_ssh_permit_root_login": "maybe"}, r"common_ssh_permit_root_login.*(choices|one of)"),
    ({"common_ssh_allow_users": ["someone"]}, r"common_ssh_allow_users=\['someone'\] would refuse"),
    ({"common_extra_ca_certificates": ["/etc/hostname"]}, r"common_extra_ca_certificates: /etc/hostname is not a PEM"),
    ({"common_ssh_max_auth_tries": "many"}, r"common_ssh_max_auth_tries.*int"),
    ({"firewall_ssh_port": 2222}, r"firewall_ssh_port is 2222: that would lock it out"),
    ({"firewall_tcp_ports": [70000]}, r"firewall_tcp_ports \(\[70000\]: 1 to 65535\)"),
    ({"firewall_ssh_rate": "fast"}, r"firewall_ssh_rate \(fast"),
    ({"app_name": "Bad Name"}, r"app_name \(Bad Name: lower-case"),
    ({"app_keep_releases": 1}, r"app_keep_releases \(1: 2 or more\)"),
    ({"app_source_type": "svn"}, r"app_source_type.*(choices|one of)"),
    ({"app_source_path": "/nonexistent"}, r"app_source_path \(/nonexistent\) must be a folder"),
    ({"app_source_type": "git"}, r"app_source_type is git: set app_source_git_repo"),
    (
        {"app_source_type": "wheel", "app_source_wheel": "/etc/hostname"},
        r"app_source_wheel \(/etc/hostname\) must be a \.whl",
    ),
    ({"app_environment": {"BAD-KEY": "x"}}, r"BAD-KEY must be a shell-style name"),
    (
        {"app_secret_environment": {"SECRET_KEY": SECRET + "'quote"}},
        r"SECRET_KEY must be a shell-style name, and its\s+value",
    ),
    (
        {"app_secret_environment": {"SECRET_KEY": "too-short"}},
        r"app_secret_environment\.SECRET_KEY must be set .* at least 32",
    ),
    ({"app_secret_environment": {}}, r"app_secret_environment\.SECRET_KEY must be set .* it has 0"),
    ({"app_build_host": "elsewhere"}, r"app_build_host \(elsewhere: a host of this play\)"),
    ({"app_release_id": "bad/id"}, r"app_release_id \(bad/id: letters"),
    ({"gunicorn_workers": 0}, r"gunicorn_workers \(0: 1 or more\)"),
    ({"gunicorn_worker_class": "eventlet"}, r"gunicorn_worker_class.*(choices|one of)"),
    ({"gunicorn_wsgi_app": "not an entry point"}, r"gunicorn_wsgi_app \(not an entry point: module:app"),
    ({"gunicorn_bind_unix": False, "gunicorn_bind_tcp": "nowhere"}, r"gunicorn_bind_tcp \(nowhere: ADDRESS:PORT\)"),
    ({"gunicorn_process_manager": "runit"}, r"gunicorn_process_manager.*(choices|one of)"),
    (
        {"nginx_server_names": ["Not A Name!"]},
        r"nginx_server_names \(\['Not A Name!'\]\) must list lower-case DNS names",
    ),
    ({"nginx_rate_limit": "lots"}, r"nginx_rate_limit \(lots: N r/s or r/m\)"),
    ({"certbot_email": "not-an-email"}, r"certbot_email \(not-an-email\) must be an e-mail address"),
    ({"certbot_acme_directory": "http://insecure.example/dir"}, r"certbot_acme_directory .* must be an https:// URL"),
    ({"certbot_certificates": [{"name": "site"}]}, r"certbot_certificates.*domains"),
]


@pytest.mark.parametrize(("bad", "message"), CASES, ids=[next(iter(bad)) for bad, _ in CASES])
def test_bad_setting_stops_site_yml_before_any_change(host, bad, message):
    with Marker(host) as changed:
        run = run_playbook(PROJECT / "playbooks/site.yml", extra=VALID | bad, timeout=300)
        assert changed() == []
    assert run.rc != 0, run.tail()
    lines = failure_lines(run.output)
    assert any(re.search(message, line) for line in lines), lines or run.tail()
    assert run.recap()["app1"]["changed"] == 0, run.recap()
    # No secret value, valid or bad, is ever printed.
    for secret in [SECRET, *bad.get("app_secret_environment", {}).values()]:
        assert secret not in run.output
