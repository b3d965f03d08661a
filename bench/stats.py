"""Figures from runs: medians, per-run ratios, verdicts against a target, table rows."""

from __future__ import annotations

import statistics


def med(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def ratios(num: list[float], den: list[float]) -> list[float]:
    """Each run's figure against the baseline measured in that same run."""
    return [n / d for n, d in zip(num, den, strict=False) if d]


def ratio(num: list[float], den: list[float]) -> float:
    """Median of the per-run ratios."""
    return med(ratios(num, den))


def verdict(per_run: list[float], target: float, at_least: bool = True, noise: float = 1.0) -> str:
    """met or missed only when every run is on the same side of the target, by more than `noise`.

    The runs' spread is the noise the page itself measured; `noise` (a factor >= 1)
    widens it where the page measured more, such as the same target measured twice
    in one run. Otherwise the verdict is "inside noise", with the range."""
    if not per_run:
        return "not measured"
    low, high = min(per_run) / noise, max(per_run) * noise
    if (low >= target) if at_least else (high <= target):
        return "met"
    if (high < target) if at_least else (low > target):
        return "**missed**"
    return f"inside noise ({low:.2f} to {high:.2f} x)"


def two_xx_rate(run: dict) -> float:
    """Requests per second that got a 2xx answer: wrk counts every answer, errors included."""
    return run["rps"] * (run["requests"] - run["non2xx"]) / run["requests"] if run["requests"] else 0.0


def of_ceiling(rate: float, ceiling: float | None) -> str:
    """A rate as a share of the app's own ceiling (sections/ceiling.py), or n/a where none was measured."""
    return f"{rate / ceiling:.0%}" if ceiling else "n/a"


def wrk_row(label: str, route: str, runs: list[dict], ceiling: float | None = None) -> str:
    """A table row of wrk runs: medians of 2xx answers/s (and its share of the ceiling), p50 and p99; totals
    of the errors."""
    rate = med(two_xx_rate(r) for r in runs)
    return (
        f"| {label} | {route} | {rate:,.0f} | {of_ceiling(rate, ceiling)} "
        f"| {med(r['p50_ms'] for r in runs):.2f} | {med(r['p99_ms'] for r in runs):.2f} "
        f"| {sum(r['non2xx'] for r in runs)} | {sum(r['socket_errors'] for r in runs)} |"
    )


def slope(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 2:
        return float("nan")
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
