"""Writes docs/benchmarks.md and docs/benchmarks.png from the figures bench.py saved.

The page is each section's report (bench/sections/), numbered in sections.ORDER,
then the findings written by hand (bench/findings.md) and the method (bench/method.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import sections


def load(results: Path) -> dict:
    """Each section's figures, by name (the run record, last-run.json, is not one)."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(results.glob("*.json")) if p.stem in sections.BY_NAME}


def load_run(results: Path) -> dict:
    """The record of bench.py's last run that measured (lab.save_run), or {}."""
    path = results / "last-run.json"
    return json.loads(path.read_text()) if path.exists() else {}


def chart(data: dict, path: Path) -> None:
    """docs/benchmarks.png: a panel for each measured section that draws one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [n for n in sections.ORDER if n in data and hasattr(sections.BY_NAME[n], "chart")]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8))
    axes = [axes] if len(panels) == 1 else list(axes)
    for ax, name in zip(axes, panels, strict=True):
        sections.BY_NAME[name].chart(ax, data[name])
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def findings(data: dict) -> list[str]:
    """bench/findings.md, whose first line names the run it was written about: `Run: <section when>, ...`."""
    text = Path(__file__).with_name("findings.md").read_text().rstrip()
    first, _, body = text.partition("\n")
    written_about = dict(re.findall(r"(\w+) \(([^)]+)\)", first))
    measured = {k: v["when"] for k, v in data.items()}
    runs = ", ".join(sorted(set(written_about.values())))
    head = [f"## What the figures said (written by hand about the runs of {runs})", ""]
    if written_about != measured:
        head += [
            "**These findings are about earlier runs than the tables above** "
            f"(written about {first.removeprefix('Run: ')}); where they quote a figure, the tables are right.",
            "",
        ]
    return [*head, body.strip(), ""]


def code_line(data: dict) -> str:
    """Whether every section measured the same code (lab.code_id: the content of
    the roles, playbooks, plugins, group_vars, app and ansible.cfg)."""
    codes: dict[str, list[str]] = {}
    for name, figures in data.items():
        codes.setdefault(figures.get("code", "unknown"), []).append(name)
    if len(codes) == 1:
        (code,) = codes
        if code != "unknown":
            return f"Every section measured the same code: `{code}` (`bench/lab.py` code_id)."
    parts = "; ".join(f"`{code}`: {', '.join(names)}" for code, names in codes.items())
    return f"**The sections measured different code** (`bench/lab.py` code_id; unknown: saved without it): {parts}."


def run_line(data: dict, run: dict) -> str:
    """Whether every section of the page comes from one run of bench.py: saved
    between its start and its end, measuring the code it ended on."""
    if not run:
        return "**Not one run:** no run of `make bench` is on record; each section's time is above."
    window = (
        f"{run['started']} to {run['finished']}, {run['minutes']:.0f} min with the lab's setup, "
        f"{run['runs']} runs a section, code `{run['code']}`"
    )
    of_run = [
        name
        for name, figures in data.items()
        if name in run["sections"]
        and run["started"] <= figures.get("when", "") <= run["finished"]
        and figures.get("code") == run["code"]
    ]
    if set(of_run) == set(data) == set(sections.ORDER):
        return f"Every section is from one run of `make bench`: {window}."
    others = [name for name in data if name not in of_run]
    never = [name for name in sections.ORDER if name not in data]
    parts = [f"the last run of `make bench` ({window}) measured {', '.join(of_run) or 'none of them'}"]
    parts += [f"from other runs: {', '.join(others)}"] if others else []
    parts += [f"never measured: {', '.join(never)}"] if never else []
    return "**Not one run:** " + "; ".join(parts) + "."


def write(results: Path, docs: Path) -> None:
    data = load(results)
    if not data:
        raise SystemExit(f"bench: no figures in {results}; run `make bench` first")
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/bench.py) from its last run of each section; do not edit by hand. "
        "Every figure is the median of the runs given, and every ratio the median of ratios taken in the same run "
        "against its baseline. All hosts are containers of the lab on one machine (2 cores, shared by the load "
        "generator, the servers and Ansible), so absolute figures are this machine's; the ratios are the point.",
        "",
        "![benchmarks](benchmarks.png)",
        "",
        "Sections measured: " + ", ".join(f"{k} ({v['when']})" for k, v in data.items()) + ".",
        "",
        code_line(data),
        "",
        run_line(data, load_run(results)),
        "",
    ]
    # Each section under its number in the page's order, whether or not this run measured it.
    for number, name in enumerate(sections.ORDER, 1):
        if name in data:
            out.append(f"## {number}. {sections.BY_NAME[name].TITLE}")
            sections.BY_NAME[name].report(data[name], out, data)
    # What the figures mean (written by hand after reading one run: dated, and
    # marked stale when the figures above are from another run), then the method.
    out += findings(data)
    out += [Path(__file__).with_name("method.md").read_text().rstrip(), ""]
    docs.mkdir(exist_ok=True)
    (docs / "benchmarks.md").write_text("\n".join(out).rstrip() + "\n")
    chart(data, docs / "benchmarks.png")
    print(f"bench: wrote {docs / 'benchmarks.md'} and {docs / 'benchmarks.png'}")
