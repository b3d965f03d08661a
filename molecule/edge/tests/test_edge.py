"""From an outside client: TLS from the ACME server, redirects, headers, static files, limits, ports."""

import json
import re
import time

import pytest
from conftest import SITE
from labtest import Load, answering_ports, assert_load_covers, files_nginx_holds_open

testinfra_hosts = ["client1"]


def serial(host) -> str:
    out = host.run(
        f"echo | openssl s_client -connect {SITE}:443 -servername {SITE} 2>/dev/null | openssl x509 -noout -serial"
    )
    return out.stdout.strip()


def test_https_chain_is_issued_by_pebble_and_verifies(curl, host):
    assert curl(f"-o /dev/null -w '%{{http_code}} %{{ssl_verify_result}}' https://{SITE}/health") == "200 0"
    issuer = host.run(
        f"echo | openssl s_client -connect {SITE}:443 -servername {SITE} 2>/dev/null | openssl x509 -noout -issuer"
    ).stdout
    assert "Pebble" in issuer


def test_certificate_key_is_ecdsa_p256(host):
    text = host.run(
        f"echo | openssl s_client -connect {SITE}:443 -servername {SITE} 2>/dev/null | openssl x509 -noout -text"
    ).stdout
    assert "id-ecPublicKey" in text and "prime256v1" in text


def test_http_redirects_to_https(curl):
    assert curl(f"-o /dev/null -w '%{{http_code}} %{{redirect_url}}' http://{SITE}/notes?x=1") == (
        f"301 https://{SITE}/notes?x=1"
    )


def test_acme_challenge_path_stays_on_http(curl, web):
    with web.sudo():
        web.run_expect([0], "echo probe > /var/www/letsencrypt/.well-known/acme-challenge/probe")
    try:
        assert curl(f"-w ' %{{http_code}}' http://{SITE}/.well-known/acme-challenge/probe") == "probe\n 200"
    finally:
        with web.sudo():
            web.run("rm -f /var/www/letsencrypt/.well-known/acme-challenge/probe")


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_old_tls_versions_are_refused(host, version):
    # The client allows them (SECLEVEL=0); the server must say no.
    out = host.run(
        f"echo | openssl s_client {version} -cipher 'DEFAULT@SECLEVEL=0' -connect {SITE}:443 -servername {SITE} 2>&1"
    )
    assert "alert protocol version" in out.stdout or "no protocols available" in out.stdout
    assert "BEGIN CERTIFICATE" not in out.stdout


@pytest.mark.parametrize(("option", "version"), [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_tls_12_and_13_are_accepted(host, option, version):
    out = host.run(f"echo | openssl s_client {option} -connect {SITE}:443 -servername {SITE} 2>&1").stdout
    assert f"New, {version}, Cipher is" in out, out


def test_http2_is_spoken(curl):
    assert curl(f"--http2 -o /dev/null -w '%{{http_version}}' https://{SITE}/health") == "2"


@pytest.mark.parametrize(
    "header",
    [
        "strict-transport-security: max-age=63072000; includesubdomains",
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "referrer-policy: strict-origin-when-cross-origin",
        "content-security-policy: default-src 'self'",
    ],
)
def test_security_headers_are_sent(curl, header):
    headers = curl(f"-D - -o /dev/null https://{SITE}/").lower()
    assert header in headers


def test_static_asset_comes_from_nginx_with_cache_headers(curl):
    headers = curl(f"-D - -o /dev/null -H 'Accept-Encoding: gzip' https://{SITE}/static/app.css").lower()
    assert headers.startswith("http/2 200")
    assert "cache-control: public, max-age=2592000" in headers
    assert headers.count("cache-control:") == 1, headers
    assert "content-encoding: gzip" in headers
    # The app tags every answer with X-Request-ID: this one never reached it.
    assert "x-request-id" not in headers
    assert "x-content-type-options: nosniff" in headers


def test_nginx_keeps_no_static_file_open_where_current_switches(curl):
    """nginx_static_root is current's folder: a switch of current changes what its paths hold, so
    Nginx must look each file up anew (no open_file_cache there), or it would answer the old release's."""
    for _ in range(8):
        assert curl(f"-o /dev/null -w '%{{http_code}}' https://{SITE}/static/app.css") == "200"
    files = files_nginx_holds_open("web1")
    # The workers' files are read (their error log among them), and none is a static file.
    assert "/var/log/nginx/error.log" in files, files
    assert [path for path in files if "/static/" in path] == []


def test_the_page_asks_for_its_own_builds_static_files(curl):
    """The deployed page names the build it belongs to in its static URLs, and Nginx serves them."""
    build = json.loads(curl(f"https://{SITE}/version"))["build"]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", build), build
    page = curl(f"https://{SITE}/")
    assert f'href="/static/app.css?v={build}"' in page
    assert f'src="/static/app.js?v={build}"' in page
    headers = curl(f"-D - -o /dev/null https://{SITE}/static/app.css?v={build}").lower()
    assert headers.startswith("http/2 200") and "x-request-id" not in headers


def test_dynamic_answers_come_from_the_app_through_nginx(curl):
    headers = curl(f"-D - -o /dev/null https://{SITE}/version").lower()
    assert "x-request-id:" in headers


def test_unknown_host_names_get_no_answer(host, web):
    address = web.interface.default().addresses[0]
    tls = host.run(f"curl -sS -k --max-time 5 --resolve other.test:443:{address} https://other.test/")
    assert tls.rc != 0
    plain = host.run(f"curl -sS --max-time 5 -H 'Host: other.test' http://{address}/")
    assert plain.rc == 52  # empty reply: Nginx closed the connection (444)


def test_only_ssh_http_and_https_are_reachable(host, web):
    # Gunicorn listens on every interface here: only the firewall keeps it private.
    assert web.socket("tcp://0.0.0.0:8000").is_listening
    # Every TCP port: the others are filtered, none closed.
    assert answering_ports(host, SITE) == {"22": "open", "80": "open", "443": "open"}


def test_past_the_burst_the_rate_limit_answers_429_then_lifts(host):
    # 100 requests on one keep-alive connection, as fast as they go (burst 40, 20/s).
    urls = " ".join([f"https://{SITE}/health"] * 100)
    codes = host.run(f"curl -sk -o /dev/null -w '%{{http_code}}\\n' {urls}").stdout.split()
    assert codes[0] == "200"
    assert "429" in codes
    # The bucket refills at 20/s: within 5 s the client is served again.
    deadline = time.monotonic() + 5
    while host.run(f"curl -sk -o /dev/null -w '%{{http_code}}' https://{SITE}/health").stdout != "200":
        assert time.monotonic() < deadline, "still limited 5 s after the burst"
        time.sleep(0.2)


def test_certbot_renewal_dry_run_passes(web):
    # certbot 2.1 sends a dry run to Let's Encrypt's staging unless --server is given.
    with web.sudo():
        result = web.run("certbot renew --dry-run --no-random-sleep-on-renew --server https://acme1.lab.test:14000/dir")
    assert result.rc == 0, result.stdout + result.stderr


def test_renewal_is_left_to_debians_timer_with_a_reload_hook(web):
    assert web.service("certbot.timer").is_enabled
    assert web.service("certbot.timer").is_running
    with web.sudo():
        hook = web.file("/etc/letsencrypt/renewal-hooks/deploy/50-reload-web-server")
        assert hook.mode == 0o755
        assert "nginx -t -q && systemctl reload nginx" in hook.content_string


def test_forced_renewal_is_served_without_a_failed_request(host, web):
    before = serial(host)
    # 10 requests a second through the renewal and Nginx's reload, recorded by the load generator.
    with Load(host, "renewal", f"https://{SITE}/version", rate=10) as load, web.sudo():
        renewal = web.run("certbot renew --force-renewal --no-random-sleep-on-renew --cert-name flaskapp")
        # The reload hook has run: the new certificate is what Nginx serves now, inside the load.
        served = serial(host)
    assert renewal.rc == 0, renewal.stdout + renewal.stderr
    assert served != before
    assert_load_covers(load.record, load.started, load.ended)
    assert load.record.failed == [], load.record.failed[:3]
