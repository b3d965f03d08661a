"""site.yml refuses each invalid setting before any host changes, naming it.

Each case runs the real site.yml from the controller against the scenario's
host with one bad value over an otherwise valid configuration, then checks the
exit status; that a task's failure line names the setting and what is wrong
with it (one message, not a pattern spread over the whole output); the play
recap; and that nothing a playbook can write on the host changed during the
run (labtest.Marker: change times, so chmod and chown count too).
"""

import re
import shlex

import pytest
from labtest import PROJECT, Marker, failure_messages, run_playbook

testinfra_hosts = ["app1"]

SECRET = "a-valid-secret-key-of-forty-eight-characters-xx"

VALID = {
    "app_secret_environment": {"SECRET_KEY": SECRET},
    "nginx_server_names": ["app1.lab.test"],
    "certbot_email": "ops@lab.test",
    "certbot_acme_directory": "https://acme.lab.test/dir",
}

# (bad settings, what one failure message must say, leading with the setting's
# name and its value, but for secrets, whose values are never printed). Matched with re.M.
CASES = [
    ({"common_app_user": "Bad User"}, r"^common_app_user \(Bad User\) must be a lower-case system name"),
    ({"common_app_user": "root"}, r"^common_app_user \(root\) must be neither root nor the SSH account Ansible uses"),
    (
        {"common_ssh_permit_root_login": "maybe"},
        r"^value of common_ssh_permit_root_login must be one of: [a-z, -]+, got: maybe$",
    ),
    ({"common_ssh_allow_users": ["someone"]}, r"common_ssh_allow_users=\['someone'\] would refuse that account"),
    (
        {"common_extra_ca_certificates": ["/etc/hostname"]},
        r"^common_extra_ca_certificates: /etc/hostname is not a PEM certificate\.$",
    ),
    (
        {"common_ssh_max_auth_tries": "many"},
        r"^argument 'common_ssh_max_auth_tries' is of type str and we were unable to convert to int: \"'many'\"",
    ),
    ({"common_ssh_max_sessions": 1}, r"^common_ssh_max_sessions \(1\) must be at least 2"),
    ({"hardening_umask": "0999"}, r"^hardening_umask \(0999\) must be three octal digits"),
    ({"hardening_root_umask": "22"}, r"^hardening_root_umask \(22\) must be empty, or three octal digits"),
    (
        {"hardening_pass_min_days": 400},
        r"^hardening_pass_min_days \(400\) must be between 0 and hardening_pass_max_days \(365\)\.$",
    ),
    (
        {"hardening_blacklisted_modules": ["usb storage"]},
        r"^hardening_blacklisted_modules \(usb storage\) must be kernel module names",
    ),
    (
        {"firewall_ssh_port": 2222},
        r"^firewall_ssh_port is 2222: that would lock it out, Ansible connects on port 22\.$",
    ),
    ({"firewall_tcp_ports": [70000]}, r"^firewall_tcp_ports \(\[70000\]\) must be ports from 1 to 65535\.$"),
    ({"firewall_ssh_rate": "fast"}, r"^firewall_ssh_rate \(fast\) must be N/second, N/minute or N/hour\.$"),
    ({"app_name": "Bad Name"}, r"^app_name \(Bad Name\) must be lower-case letters, digits, - and _"),
    ({"app_keep_releases": 1}, r"^app_keep_releases \(1\) must be 2 or more\.$"),
    ({"app_source_type": "svn"}, r"^value of app_source_type must be one of: path, git, wheel, got: svn$"),
    ({"app_source_path": "/nonexistent"}, r"^app_source_path \(/nonexistent\) must be a folder on the controller"),
    ({"app_source_type": "git"}, r"^app_source_git_repo \(\) must be an https://, ssh:// or file:// URL"),
    (
        {"app_source_type": "git", "app_source_git_repo": "--upload-pack=touch /tmp/owned"},
        r"^app_source_git_repo \(--upload-pack=touch /tmp/owned\) must be an https://, ssh:// or file:// URL",
    ),
    (
        {
            "app_source_type": "git",
            "app_source_git_repo": "https://git.lab.test/app.git",
            "app_source_git_ref": "--output=/x",
        },
        r"^app_source_git_ref \(--output=/x\) must be a branch, tag or commit name as git check-ref-format allows",
    ),
    (
        {
            "app_source_type": "git",
            "app_source_git_repo": "https://git.lab.test/app.git",
            "app_source_git_ref": "v1..2",
        },
        r"^app_source_git_ref \(v1\.\.2\) must be a branch, tag or commit name",
    ),
    (
        {"app_static_package_dir": "/etc"},
        r"^app_static_package_dir \(/etc\) must be empty, or a folder inside an installed",
    ),
    (
        {"app_source_type": "wheel", "app_source_wheel": "/etc/hostname"},
        r"^app_source_wheel \(/etc/hostname\) must be a \.whl file on the controller\.$",
    ),
    (
        {"app_environment": {"BAD-KEY": "x"}},
        r"^app_environment / app_secret_environment: BAD-KEY must be a shell-style name",
    ),
    (
        {"app_secret_environment": {"SECRET_KEY": SECRET + "'quote"}},
        r"^app_environment / app_secret_environment: SECRET_KEY must be a shell-style name, and its value may not"
        r" hold a single quote",
    ),
    (
        {"app_secret_environment": {"SECRET_KEY": "too-short"}},
        r"^app_secret_environment\.SECRET_KEY must be set \(from Ansible Vault\) and hold at least 32 characters;"
        r" it has 9\.$",
    ),
    (
        {"app_secret_environment": {}},
        r"^app_secret_environment\.SECRET_KEY must be set \(from Ansible Vault\) and hold at least 32 characters;"
        r" it has 0\.$",
    ),
    ({"app_build_host": "elsewhere"}, r"^app_build_host \(elsewhere\) must be a host of the inventory\.$"),
    (
        {"app_build_packages": ["gcc", "--force-yes"]},
        r"^app_build_packages \(gcc, --force-yes\) must list Debian package names\.$",
    ),
    ({"app_build_id": "bad/id"}, r"^app_build_id \(bad/id\) must be empty, or letters, digits"),
    (
        {"app_build_id": ".."},
        r"^app_build_id \(\.\.\) must be empty, or letters, digits, \. _ and -, not starting with a dot",
    ),
    (
        {"app_edge_static_dir": "/var/www/../static"},
        r"^app_edge_static_dir \(/var/www/\.\./static\) must be an absolute path other than /",
    ),
    (
        {"app_release_files": [{"name": "../escape", "content": "x"}]},
        r"^app_release_files \(\.\./escape\) must name files in the release: letters, digits",
    ),
    (
        {"app_shared_links": [{"path": "data", "shared": "../../etc"}]},
        r"^app_shared_links shared \(\.\./\.\./etc\) must be a path inside shared/, relative",
    ),
    (
        {"app_shared_links": [{"path": "/etc/app", "shared": "data"}]},
        r"^app_shared_links / app_config_files path \(/etc/app\) must be relative to the release",
    ),
    (
        {"app_shared_links": [{"path": "static", "shared": "data"}]},
        r"^app_shared_links / app_config_files path \(static\) may not be, or be inside, the release's own",
    ),
    (
        {"app_config_files": [{"name": "config.py", "path": "venv/var/app-instance/config.py"}]},
        r"^app_config_files \(config\.py\) must each have content or a template, one of the two\.$",
    ),
    (
        {"app_config_files": [{"name": "config.py", "template": "config.py.j2"}]},
        r"^app_config_files template \(config\.py\.j2\) must be an absolute path to a file on the controller",
    ),
    (
        {"app_hooks_before_switch": [{"name": "seed", "command": " "}]},
        r"^app_hooks_before_switch / app_hooks_after_switch \(seed\) must each have a name and a command",
    ),
    (
        {"app_static_source_dir": "static"},
        r"^app_static_source_dir \(static\) and app_static_package_dir \(flaskapp/static\) name two static folders",
    ),
    ({"gunicorn_workers": 0}, r"^gunicorn_workers \(0\) must be 1 or more\.$"),
    (
        {"gunicorn_worker_class": "eventlet"},
        r"^value of gunicorn_worker_class must be one of: [a-z, ]+, got: eventlet$",
    ),
    (
        {"gunicorn_worker_class": "sync", "gunicorn_threads": 4},
        r"^gunicorn_threads \(4\) must be 1 with gunicorn_worker_class sync: Gunicorn runs gthread workers",
    ),
    (
        {"gunicorn_wsgi_app": "not an entry point"},
        r"^gunicorn_wsgi_app \(not an entry point\) must be module:app or module:factory\(\)\.$",
    ),
    (
        {"gunicorn_bind_unix": False, "gunicorn_bind_tcp": "nowhere"},
        r"^gunicorn_bind_tcp \(nowhere\) must be ADDRESS:PORT",
    ),
    (
        {"gunicorn_process_manager": "runit"},
        r"^value of gunicorn_process_manager must be one of: [a-z, ]+, got: runit$",
    ),
    (
        {"nginx_server_names": ["Not A Name!"]},
        r"^nginx_server_names \(\['Not A Name!'\]\) must list one or more lower-case DNS names\.$",
    ),
    ({"nginx_rate_limit": "lots"}, r"^nginx_rate_limit \(lots\) must be N r/s or N r/m"),
    (
        {"nginx_client_max_body_size": "ten megs"},
        r"^nginx_client_max_body_size \(ten megs\) must be an Nginx size such as 10m",
    ),
    ({"nginx_proxy_read_timeout": "forever"}, r"^nginx_proxy_read_timeout \(forever\) must be an Nginx time"),
    ({"nginx_static_url": "static"}, r"^nginx_static_url \(static\) must be a URL path that starts and ends with /"),
    ({"nginx_static_open_files": -1}, r"^nginx_static_open_files \(-1\) must be 0 or more\.$"),
    (
        {"nginx_static_builds_root": "/srv/flaskapp/static"},
        r"^nginx_static_builds_root \(/srv/flaskapp/static\) and nginx_static_root"
        r" \(/srv/flaskapp/current/static\) both serve nginx_static_url",
    ),
    ({"nginx_tls_certificate_name": "../site"}, r"^nginx_tls_certificate_name \(\.\./site\) must be letters, digits"),
    ({"nginx_worker_connections": 8}, r"^nginx_worker_connections \(8\) must be 64 or more\.$"),
    (
        {"nginx_maintenance_pass_addresses": ["the office"]},
        r"^nginx_maintenance_pass_addresses \(the office\) must be IP addresses or networks",
    ),
    (
        {"nginx_maintenance_page": "/no/such/page.html"},
        r"^nginx_maintenance_page \(/no/such/page\.html\) must be an HTML file",
    ),
    (
        {"nginx_acme_webroot": "relative/dir"},
        r"^nginx_acme_webroot \(relative/dir\) must be an absolute path other than /",
    ),
    ({"nginx_upstream_keepalive": -1}, r"^nginx_upstream_keepalive \(-1\) must be 0 \(off\) or more connections\.$"),
    ({"certbot_email": "not-an-email"}, r"^certbot_email \(not-an-email\) must be an e-mail address\.$"),
    (
        {"certbot_acme_directory": "http://insecure.example/dir"},
        r"^certbot_acme_directory \(http://insecure\.example/dir\) must be an https:// URL\.$",
    ),
    (
        {"certbot_certificates": [{"name": "site"}]},
        r"^missing required arguments: domains found in certbot_certificates$",
    ),
]


# Hosts of another release: Ansible's facts come from the host's
# /etc/os-release and, on Debian, /etc/debian_version (this host runs Debian
# 13). For the run, they hold what those systems ship.
OTHER_SYSTEMS = {
    "debian-11": (
        {
            "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\n'
            'VERSION_ID="11"\nVERSION="11 (bullseye)"\nVERSION_CODENAME=bullseye\nID=debian\n',
            "/etc/debian_version": "11.11\n",
        },
        r"^ansible_distribution Debian 11 \(bullseye\) on app1 is not supported: the roles support"
        r" Debian 12 \(bookworm\) and Debian 13 \(trixie\)\.$",
    ),
    "ubuntu-24.04": (
        {
            "/etc/os-release": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\n'
            'VERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n'
            "UBUNTU_CODENAME=noble\n",
        },
        r"^ansible_distribution Ubuntu 24 \(noble\) on app1 is not supported: the roles support Debian 12",
    ),
}


def refused_before_any_change(host, extra: dict, message: str) -> None:
    """site.yml with EXTRA fails, one failure message matches MESSAGE, and
    nothing on the host changed."""
    with Marker(host) as changed:
        run = run_playbook(PROJECT / "playbooks/site.yml", extra=extra, timeout=300)
        assert changed() == []
    assert run.rc != 0, run.tail()
    messages = failure_messages(run.output)
    assert any(re.search(message, text, re.M) for text in messages), messages or run.tail()
    assert run.recap()["app1"]["changed"] == 0, run.recap()
    # No secret value, valid or bad, is ever printed.
    for secret in [SECRET, *extra.get("app_secret_environment", {}).values()]:
        assert secret not in run.output


@pytest.mark.parametrize(("bad", "message"), CASES, ids=[next(iter(bad)) for bad, _ in CASES])
def test_bad_setting_stops_site_yml_before_any_change(host, bad, message):
    refused_before_any_change(host, VALID | bad, message)


@pytest.mark.parametrize(("files", "message"), OTHER_SYSTEMS.values(), ids=OTHER_SYSTEMS)
def test_a_host_of_another_release_stops_site_yml_before_any_change(host, files, message):
    # Each file (/etc/os-release a symlink) is moved aside within /etc and
    # moved back afterwards: the same inode, link and content as before.
    moved = []
    try:
        with host.sudo():
            for path, content in files.items():
                host.run_expect([0], f"mv -T {path} {path}.badinput-saved")
                moved.append(path)
                host.run_expect([0], f"printf %s {shlex.quote(content)} > {path}")
                assert host.file(path).content_string == content
        refused_before_any_change(host, VALID, message)
    finally:
        with host.sudo():
            for path in moved:
                host.run_expect([0], f"mv -T -f {path}.badinput-saved {path}")
    with host.sudo():
        assert host.file("/etc/os-release").linked_to == "/usr/lib/os-release"
        assert host.file("/etc/os-release").content_string.startswith('PRETTY_NAME="Debian GNU/Linux 13 (trixie)"')
        assert host.file("/etc/debian_version").content_string.startswith("13.")
