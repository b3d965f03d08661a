"""Converge: cold and no-op site.yml with our ansible.cfg and with Ansible's defaults, and the package floor."""

from __future__ import annotations

import time

from lab import DEFAULT_CFG, OUR_CFG, changed, inside, log, playbook, recreate, save
from measure import https_ok
from stats import med, ratio, ratios, verdict

TITLE = "Converge"


def measure(runs: int) -> None:
    # Ours, ours without Mitogen (Ansible's own linear strategy), Ansible's defaults.
    configs = {
        "ours": (OUR_CFG, {}),
        "ours-linear": (OUR_CFG, {"ANSIBLE_STRATEGY": "linear"}),
        "defaults": (DEFAULT_CFG, {}),
    }
    cold = {c: [] for c in configs}
    noop = {c: [] for c in configs}
    floor = []
    order = []
    packages: list[str] = []
    for i in range(runs):
        # The settings take turns at going first, so none always meets a cold cache.
        names = list(configs)[i % len(configs) :] + list(configs)[: i % len(configs)]
        order.append(names)
        for name in names:
            cfg, env = configs[name]
            recreate("cold1")
            base = set(inside("cold1", "apt-mark showmanual").stdout.split())
            seconds, recap, _ = playbook("cold", "playbooks/site.yml", cfg=cfg, env=env)
            if not https_ok("cold1"):
                raise SystemExit("bench: cold1 does not serve HTTPS after the converge")
            # What our roles install: the packages marked manual since the host was bare.
            packages = packages or sorted(set(inside("cold1", "apt-mark showmanual").stdout.split()) - base)
            cold[name].append(round(seconds, 1))
            seconds, recap, _ = playbook("cold", "playbooks/site.yml", cfg=cfg, env=env)
            noop[name].append({"seconds": round(seconds, 1), "changed": changed(recap)})
            log(f"converge run {i + 1}/{runs} {name}: cold {cold[name][-1]} s, no-op {noop[name][-1]}")
        recreate("cold1")
        t0 = time.monotonic()
        inside(
            "cold1",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
            + " ".join(packages)
            + " >/dev/null",
        )
        floor.append(round(time.monotonic() - t0, 1))
        log(f"converge run {i + 1}/{runs} package floor: {floor[-1]} s")
    save("converge", {"runs": runs, "order": order, "cold": cold, "noop": noop, "floor": floor, "packages": packages})


def order_text(c: dict) -> str:
    """Which setting ran first in each run, as the figures recorded it."""
    orders = c.get("order")
    if not orders:
        return "ours first in every run (the figures predate alternating the order)"
    firsts = [order[0] for order in orders]
    return "the first of each run: " + ", ".join(firsts)


def report(c: dict, out: list[str], every: dict) -> None:
    cold, noop = c["cold"], c["noop"]
    out += [
        "",
        f"`site.yml` on one host that is load balancer and app server, {c['runs']} runs each, "
        f"{order_text(c)}. Cold: a bare lab host made anew from the base image, until it answers HTTPS with a "
        "certificate from the ACME server. No-op: `site.yml` again right after. Ansible's defaults: an "
        "ansible.cfg with only the paths of the roles, their package action and the collections. "
        "Floor: `apt-get update && apt-get install` of the "
        f"{len(c['packages'])} packages our roles install, on a bare host.",
        "",
        "| | cold s | no-op s | no-op changed |",
        "|---|---:|---:|---:|",
    ]
    labels = {
        "ours": "our ansible.cfg (Mitogen)",
        "ours-linear": "our ansible.cfg without Mitogen (`ANSIBLE_STRATEGY=linear`)",
        "defaults": "Ansible's defaults",
    }
    for name, label in labels.items():
        if name not in cold:
            continue
        out.append(
            f"| {label} | {med(cold[name]):.0f} | {med(r['seconds'] for r in noop[name]):.1f} "
            f"| {max(r['changed'] for r in noop[name])} |"
        )
    out.append(f"| packages alone (the floor) | {med(c['floor']):.0f} | | |")
    r_noop = ratios([r["seconds"] for r in noop["ours"]], [r["seconds"] for r in noop["defaults"]])
    mitogen = ""
    if "ours-linear" in noop:
        r_mitogen = ratios([r["seconds"] for r in noop["ours"]], [r["seconds"] for r in noop["ours-linear"]])
        mitogen = (
            f"Mitogen, no-op with / without: {med(r_mitogen):.2f} x; cold: "
            f"{ratio(cold['ours'], cold['ours-linear']):.2f} x. "
        )
    out += [
        "",
        f"No-op, ours / defaults: {med(r_noop):.2f} x (target ≤ 0.5 x: {verdict(r_noop, 0.5, at_least=False)}). "
        + mitogen
        + "Cold, ours / defaults: "
        f"{ratio(cold['ours'], cold['defaults']):.2f} x; ours / floor: {ratio(cold['ours'], c['floor']):.1f} x.",
        "",
        f"Packages: {', '.join(c['packages'])}.",
        "",
    ]


def chart(ax, d: dict) -> None:
    labels = [k for k in ("ours", "ours-linear", "defaults") if k in d["cold"]]
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], [med(d["cold"][k]) for k in labels], 0.4, label="cold")
    ax.bar([x + 0.2 for x in xs], [med(r["seconds"] for r in d["noop"][k]) for k in labels], 0.4, label="no-op")
    ax.axhline(med(d["floor"]), color="grey", linestyle="--", label="packages alone")
    ax.set_xticks(list(xs), labels)
    ax.set_title("converge, seconds")
    ax.margins(y=0.35)
    ax.legend(loc="upper left", fontsize=8, ncol=3)
