"""Scale: no-op converge and rolling deploy time by number of app hosts."""

from __future__ import annotations

from lab import SCALE_SIZES, changed, log, playbook, save, wheels
from stats import med, slope

TITLE = "Scale"


def measure(runs: int) -> None:
    versions = wheels()
    data = {}
    for n in SCALE_SIZES:
        inv = f"scale{n}"
        log(f"scale: {n} app host(s), first converge")
        playbook(inv, "playbooks/site.yml")
        noops = []
        for i in range(runs):
            seconds, recap, _ = playbook(inv, "playbooks/site.yml")
            noops.append({"seconds": round(seconds, 1), "changed": changed(recap)})
            log(f"scale {n} no-op {i + 1}/{runs}: {noops[-1]}")
        # Both versions installed once, untimed, so each timed deploy is a switch.
        for w in versions:
            playbook(inv, "playbooks/deploy.yml", extra={"app_source_type": "wheel", "app_source_wheel": w})
        deploys = []
        for i in range(runs):
            seconds, recap, _ = playbook(
                inv, "playbooks/deploy.yml", extra={"app_source_type": "wheel", "app_source_wheel": versions[i % 2]}
            )
            deploys.append(round(seconds, 1))
            log(f"scale {n} deploy {i + 1}/{runs}: {deploys[-1]} s")
        data[str(n)] = {"noop": noops, "deploy": deploys}
    save("scale", {"runs": runs, "sizes": SCALE_SIZES, "data": data})


def report(sc: dict, out: list[str], every: dict) -> None:
    sizes = sc["sizes"]
    data = sc["data"]
    noop = [med(r["seconds"] for r in data[str(n)]["noop"]) for n in sizes]
    deploy = [med(data[str(n)]["deploy"]) for n in sizes]
    out += [
        "",
        f"One load balancer and {', '.join(map(str, sizes))} app hosts; {sc['runs']} runs each. "
        "No-op: `site.yml` on a converged lab. Rolling deploy: `deploy.yml` switching between two "
        "installed versions (prepare finds them installed), one host at a time: drain, switch, restart, "
        "health gate, back.",
        "",
        "| app hosts | no-op s | changed | rolling deploy s |",
        "|---:|---:|---:|---:|",
    ]
    for n, a, b in zip(sizes, noop, deploy, strict=True):
        ch = max(r["changed"] for r in data[str(n)]["noop"])
        out.append(f"| {n} | {a:.1f} | {ch} | {b:.1f} |")
    out += [
        "",
        f"Per added app host (least-squares slope): no-op {slope(sizes, noop):.1f} s, rolling deploy "
        f"{slope(sizes, deploy):.1f} s.",
        "",
    ]


def chart(ax, d: dict) -> None:
    sizes = d["sizes"]
    ax.plot(sizes, [med(r["seconds"] for r in d["data"][str(n)]["noop"]) for n in sizes], "o-", label="no-op")
    ax.plot(sizes, [med(d["data"][str(n)]["deploy"]) for n in sizes], "o-", label="rolling deploy")
    ax.set_xticks(sizes)
    ax.set_xlabel("app hosts")
    ax.set_title("seconds by app hosts")
    ax.legend()
