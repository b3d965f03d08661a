"""TLS handshakes per second: the ECDSA certificate against an RSA 2048 one, new and resumed."""

from __future__ import annotations

import re

from lab import DOMAIN, inside, log, save
from stats import med, ratio

TITLE = "TLS handshakes"


TLS_SECONDS = 5


TLS_CONF = """
# Benchmark only: s_time sends no SNI, so these listeners are default servers
# on loopback with the site's certificate (ECDSA) and an RSA 2048 one from the
# same ACME server; TLS settings are the http-level ones of our nginx.conf.
server {
    listen 127.0.0.1:8443 ssl default_server;
    ssl_certificate /etc/nginx/tls/flaskapp/fullchain.pem;
    ssl_certificate_key /etc/nginx/tls/flaskapp/privkey.pem;
    access_log off;
    return 204;
}
server {
    listen 127.0.0.1:8444 ssl default_server;
    ssl_certificate /etc/letsencrypt/live/bench-rsa/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/bench-rsa/privkey.pem;
    access_log off;
    return 204;
}
"""


def measure(runs: int) -> None:
    inside(
        "web1",
        "test -e /etc/letsencrypt/live/bench-rsa/fullchain.pem || certbot certonly --non-interactive --agree-tos "
        f"--register-unsafely-without-email --server https://acme1.{DOMAIN}:14000/dir "
        "--webroot -w /var/www/letsencrypt "
        f"--cert-name bench-rsa --key-type rsa --rsa-key-size 2048 -d web1.{DOMAIN} >/dev/null",
    )
    inside(
        "web1",
        f"cat > /etc/nginx/conf.d/zz-bench-tls.conf <<'EOF'\n{TLS_CONF}\nEOF\nnginx -t -q && systemctl reload nginx",
    )
    certs = {"ecdsa": 8443, "rsa2048": 8444}
    samples: dict[str, dict[str, list[float]]] = {c: {"new": [], "resumed": []} for c in certs}
    reused: dict[str, list[str]] = {c: [] for c in certs}
    for i in range(runs):
        for cert, port in certs.items():
            for mode, flag in (("new", "-new"), ("resumed", "-reuse")):
                out = inside(
                    "web1",
                    f"s=$(date +%s.%N); openssl s_time -connect 127.0.0.1:{port} {flag} -time {TLS_SECONDS} -www / "
                    '2>&1; e=$(date +%s.%N); echo "wall $s $e"',
                ).stdout
                count = int(re.search(r"(\d+) connections in [\d.]+s", out).group(1))
                wall = re.search(r"wall ([\d.]+) ([\d.]+)", out)
                rate = count / (float(wall.group(2)) - float(wall.group(1)))
                samples[cert][mode].append(rate)
                if mode == "resumed":
                    reused[cert].append(out)
                log(f"tls run {i + 1}/{runs} {cert} {mode}: {rate:.0f}/s")
    # Does -reuse really resume? Ask once with s_client, which says.
    resumption = {}
    for cert, port in certs.items():
        out = inside(
            "web1",
            f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:{port} -sess_out /tmp/s -quiet "
            f">/dev/null 2>&1; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:{port} "
            "-sess_in /tmp/s 2>/dev/null | grep -E '^(Reused|New),' || true",
        ).stdout.strip()
        resumption[cert] = out
    inside("web1", "rm -f /etc/nginx/conf.d/zz-bench-tls.conf && nginx -t -q && systemctl reload nginx")
    save("tls", {"runs": runs, "seconds": TLS_SECONDS, "samples": samples, "resumption": resumption})


def report(t: dict, out: list[str], every: dict) -> None:
    s = t["samples"]
    out += [
        "",
        f"`openssl s_time -www /` on the load balancer's loopback, {t['seconds']} s a run, {t['runs']} runs, against "
        "two listeners with our nginx.conf's TLS settings: the site's ECDSA P-256 certificate, and an RSA 2048 one "
        "from the same ACME server. Handshakes per second of wall time (client and server share the CPU).",
        "",
        "| certificate | new sessions/s | resumed sessions/s |",
        "|---|---:|---:|",
    ]
    for cert in ("ecdsa", "rsa2048"):
        out.append(f"| {cert} | {med(s[cert]['new']):,.0f} | {med(s[cert]['resumed']):,.0f} |")
    out += [
        "",
        f"ECDSA / RSA 2048, new sessions: {ratio(s['ecdsa']['new'], s['rsa2048']['new']):.2f} x; "
        f"resumed: {ratio(s['ecdsa']['resumed'], s['rsa2048']['resumed']):.2f} x. "
        "Resumption checked with `openssl s_client -sess_in`: "
        + "; ".join(f"{k}: {v}" for k, v in t["resumption"].items())
        + ".",
        "",
    ]


def chart(ax, d: dict) -> None:
    s = d["samples"]
    for off, mode in ((-0.2, "new"), (0.2, "resumed")):
        ax.bar([x + off for x in range(2)], [med(s[c][mode]) for c in ("ecdsa", "rsa2048")], 0.4, label=mode)
    ax.set_xticks(range(2), ["ECDSA P-256", "RSA 2048"])
    ax.set_title("TLS handshakes/s")
    ax.margins(y=0.25)
    ax.legend(loc="upper left")
