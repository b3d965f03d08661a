"""`make bench`: speed side by side with the usual hand-made deploy, on the lab.

Creates its own lab ("bench": containers bench-<host> on the lab-bench network),
runs every section, keeps each section's raw figures in bench/results/ (kept in
the repository, so the page can be written again from them on any clone), with
when they were measured and an id of the code measured (lab.code_id), and
writes docs/benchmarks.md and docs/benchmarks.png from them. A run that
measures also records itself (bench/results/last-run.json: its start, end,
sections, runs and code), so the page says whether every section is from it.

  python bench/bench.py [--runs 5] [--only ceiling,http,static,workers,disruption,converge,scale,tls,data]
                        [--report-only] [--keep-lab]

Every figure is the median of --runs runs (at least 5 for the published page);
every ratio is taken against a baseline measured in the same run. Every load
is bounded (wrk and openssl by duration, the load generator by duration and a
stop file) and goes only to the bench's own lab hosts or their loopback.

The lab plumbing is lab.py, the measuring tools measure.py, the arithmetic
stats.py, and each section is a module of sections/ (see its __init__).
"""

from __future__ import annotations

import argparse
import time

import report
import sections
from lab import RESULTS, ROOT, SCALE_SIZES, lab_up, log, playbook, save_run, wheels, write_inventories
from measure import setup_clients


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default=",".join(sections.ORDER))
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--sizes", default=",".join(map(str, SCALE_SIZES)), help="app hosts for the scale section")
    args = parser.parse_args()
    chosen = [s for s in args.only.split(",") if s]
    unknown = set(chosen) - set(sections.ORDER)
    if unknown:
        raise SystemExit(f"bench: --only: unknown section(s) {sorted(unknown)}; choose from {sections.ORDER}")
    SCALE_SIZES[:] = [int(n) for n in args.sizes.split(",") if n]
    if not SCALE_SIZES or min(SCALE_SIZES) < 1 or max(SCALE_SIZES) > 8:
        raise SystemExit("bench: --sizes must be numbers of app hosts from 1 to 8")
    if args.runs < 1:
        raise SystemExit("bench: --runs must be at least 1")
    if not args.report_only:
        started = time.time()
        write_inventories()
        lab_up()
        wheel = wheels()
        if {"http", "static", "tls"} & set(chosen):
            log("setup: our stack on web1, the hand-made deploy on hand1")
            playbook("one", "playbooks/site.yml")
            playbook("all", "bench/playbooks/hand-made.yml", extra={"bench_app_wheel": wheel[0]})
        setup_clients()
        for section in chosen:
            log(f"=== {section}")
            sections.BY_NAME[section].measure(args.runs)
        finished = time.time()
        log(f"done in {(finished - started) / 60:.1f} min")
        save_run(started, finished, chosen, args.runs)
    report.write(RESULTS, ROOT / "docs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
