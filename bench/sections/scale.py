"""Scale: no-op converge and rolling deploy time by number of app hosts."""

from __future__ import annotations

import os

from lab import SCALE_SIZES, changed, cpu_seconds, inside, log, playbook, save, wheels
from stats import med, ratios, slope, verdict

from sections.ceiling import RELEASE

TITLE = "Scale"


def releases(hosts: list[str]) -> dict[str, str]:
    """The release each app host's current link points at."""
    return {h: inside(h, f"readlink -f {RELEASE}").stdout.strip() for h in hosts}


def measure(runs: int) -> None:
    versions = wheels()
    data = {}
    for n in SCALE_SIZES:
        inv = f"scale{n}"
        app_hosts = [f"app{i}" for i in range(1, n + 1)]
        log(f"scale: {n} app host(s), first converge")
        playbook(inv, "playbooks/site.yml")
        noops = []
        for i in range(runs):
            before = cpu_seconds()
            seconds, recap, _ = playbook(inv, "playbooks/site.yml")
            cpu = {f"{k}_cpu": round(v - before[k], 1) for k, v in cpu_seconds().items()}
            noops.append({"seconds": round(seconds, 1), "changed": changed(recap)} | cpu)
            log(f"scale {n} no-op {i + 1}/{runs}: {noops[-1]}")
        # Both versions installed once, untimed, so each timed deploy is a switch.
        for w in versions:
            playbook(inv, "playbooks/deploy.yml", extra={"app_source_type": "wheel", "app_source_wheel": w})
        # The default batch (rollout_serial 25 %, at least one host) and, on the
        # largest lab, one host at a time (the previous default), taking turns.
        serials = {"default": None} | ({"one": 1} if n == max(SCALE_SIZES) and n > 1 else {})
        deploys: dict[str, list[float]] = {s: [] for s in serials}
        # Each deploy goes to the other version than the deploy before it, whichever
        # batch that one had: counted per batch, the second of a pair went to the
        # version the first had just brought, and measured a roll with nothing to switch.
        done = 0
        for i in range(runs):
            for serial, value in serials.items():
                extra = {"app_source_type": "wheel", "app_source_wheel": versions[done % 2]}
                done += 1
                if value:
                    extra["rollout_serial"] = value
                served = releases(app_hosts)
                seconds, recap, _ = playbook(inv, "playbooks/deploy.yml", extra=extra)
                # A timed deploy must be a switch on every app host: one that left a
                # host on its release would time a shorter roll than it claims.
                unmoved = [h for h, release in releases(app_hosts).items() if release == served[h]]
                if unmoved:
                    raise SystemExit(
                        f"bench: scale {n}: a deploy to {extra['app_source_wheel']} left {', '.join(unmoved)}"
                        f" on its release"
                    )
                deploys[serial].append(round(seconds, 1))
                log(f"scale {n} deploy {i + 1}/{runs} ({serial} batch): {deploys[serial][-1]} s")
        data[str(n)] = {"noop": noops, "deploy": deploys["default"]} | (
            {"deploy_one_at_a_time": deploys["one"]} if "one" in deploys else {}
        )
    save(
        "scale",
        {"runs": runs, "sizes": SCALE_SIZES, "serial": "25%, at least one host", "cores": os.cpu_count(), "data": data},
    )


def report(sc: dict, out: list[str], every: dict) -> None:
    sizes = sc["sizes"]
    data = sc["data"]
    noop = [med(r["seconds"] for r in data[str(n)]["noop"]) for n in sizes]
    deploy = [med(data[str(n)]["deploy"]) for n in sizes]
    out += [
        "",
        f"One load balancer and {', '.join(map(str, sizes))} app hosts; {sc['runs']} runs each. "
        "No-op: `site.yml` on a converged lab. Rolling deploy: `deploy.yml` switching between two "
        "installed versions (prepare finds them installed), a batch at a time: drain, switch, restart, "
        f"health gate, back. The batch: {sc.get('serial', 'one host')}"
        + ("; on the largest lab also one host at a time, the runs taking turns." if "serial" in sc else "."),
        "",
        "| app hosts | no-op s | changed | no-op CPU s, controller | no-op CPU s, hosts | rolling deploy s "
        "| one host at a time s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    # Where a no-op's CPU goes (figures from before it was measured have none).
    cpu = {k: [cpu_med(data[str(n)]["noop"], k) for n in sizes] for k in ("controller", "hosts")}
    for i, (n, a, b) in enumerate(zip(sizes, noop, deploy, strict=True)):
        ch = max(r["changed"] for r in data[str(n)]["noop"])
        one = data[str(n)].get("deploy_one_at_a_time")
        ctl, hosts = (f"{cpu[k][i]:.1f}" if cpu[k][i] is not None else "" for k in ("controller", "hosts"))
        out.append(f"| {n} | {a:.1f} | {ch} | {ctl} | {hosts} | {b:.1f} | {f'{med(one):.1f}' if one else ''} |")
    # No-op at the largest lab against one host, run by run.
    big, small = str(max(sizes)), str(min(sizes))
    per_run = ratios([r["seconds"] for r in data[big]["noop"]], [r["seconds"] for r in data[small]["noop"]])
    out += [
        "",
        f"Per added app host (least-squares slope): no-op {slope(sizes, noop):.1f} s, rolling deploy "
        f"{slope(sizes, deploy):.1f} s. No-op at {big} app hosts against {small}: {med(per_run):.2f} x "
        f"(target ≤ 2 x: {verdict(per_run, 2.0, at_least=False)}).",
        "",
    ]
    if None not in cpu["controller"] + cpu["hosts"] and "cores" in sc:
        per_host = {k: slope(sizes, v) for k, v in cpu.items()}
        out += [
            f"CPU per added app host in a no-op: the controller {per_host['controller']:.1f} s (ansible-playbook, "
            f"a forked worker per task and host, Mitogen), the hosts {per_host['hosts']:.1f} s (the modules). "
            f"The lab's hosts and the controller share this machine's {sc['cores']} cores, so each added app "
            f"host costs at least {sum(per_host.values()) / sc['cores']:.1f} s of no-op here; on separate "
            f"servers the hosts' part runs beside the controller's, which stays.",
            "",
        ]


def cpu_med(noops: list[dict], part: str) -> float | None:
    values = [r[f"{part}_cpu"] for r in noops if f"{part}_cpu" in r]
    return med(values) if values else None


def chart(ax, d: dict) -> None:
    sizes = d["sizes"]
    ax.plot(sizes, [med(r["seconds"] for r in d["data"][str(n)]["noop"]) for n in sizes], "o-", label="no-op")
    ax.plot(sizes, [med(d["data"][str(n)]["deploy"]) for n in sizes], "o-", label="rolling deploy")
    ax.set_xticks(sizes)
    ax.set_xlabel("app hosts")
    ax.set_title("seconds by app hosts")
    ax.legend()
