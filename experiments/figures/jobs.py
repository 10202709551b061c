"""The figure jobs: each runs the model and writes its tables (Markdown) and plots (PNG).

Every job takes the folder to write to, the `Size` of the experiments (quick or full), the
`Stamp` to put on each file and the worker count, and returns the paths it wrote.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns

from experiments.batch import price_checks as pc
from experiments.batch import price_targets as pt
from experiments.batch.montecarlo import monte_carlo
from experiments.batch.sweep import outcome_plot, sweep
from experiments.figures.stamp import Stamp, stamp_png, write_markdown
from experiments.perf import materiality as material
from experiments.perf.benchmark import CASES, measure
from experiments.perf.worktree import ROOT
from experiments.reports.adl_study import POLICY_KEY, minimal_is_least, policy_plot, policy_table
from experiments.reports.distributions import (
    adl_probability,
    distribution_plot,
    markdown_table,
    ok_runs,
    outcome_quantiles,
)
from experiments.reports.event_targets import target_table
from experiments.run.plots import plot_run
from experiments.run.runner import run_scenario
from model.scenario import load_scenario

POLICIES = ("bitmex", "binance", "pnl", "pro_rata", "haircut", "minimal")
LEVERAGE_KEY = "population.leverage.median"
RUN_FIELDS = (
    "steps",
    "liquidations_count",
    "partial_liquidations_count",
    "full_liquidations_count",
    "liquidations_notional",
    "liquidations_book_share",
    "takeover_notional",
    "cascades_count",
    "largest_cascade_liquidations",
    "max_drawdown_pct",
    "index_overshoot_pct",
    "max_spread_bps",
    "insurance_fund_start",
    "insurance_fund_min",
    "insurance_fund_end",
    "adl_count",
    "adl_notional",
    "first_adl_delay_seconds",
    "bad_debt",
    "conservation_error",
)
SWEEP_FIELDS = ("liquidations_notional", "max_drawdown_pct", "largest_cascade_liquidations")


@dataclass(frozen=True)
class Size:
    """How many runs each experiment gets.

    Attributes:
        mc_runs: seeds of the default scenario's Monte Carlo.
        leverage: median leverages of the leverage sweep.
        sweep_runs: paired seeds per leverage.
        adl_runs: paired seeds per ADL policy.
        reconstruction_runs: seeds of the 2025-10-10 reconstruction.
        bench_repeats: timed runs of the benchmark's default case.
        price_seeds: the first this many of the price-formation targets' pre-registered seeds.
        check_seeds: development seeds (1, 2, ...) of the flow mode's calm and news checks.
    """

    mc_runs: int
    leverage: tuple[float, ...]
    sweep_runs: int
    adl_runs: int
    reconstruction_runs: int
    bench_repeats: int
    price_seeds: int
    check_seeds: int


QUICK = Size(20, (5.0, 15.0, 30.0), 5, 4, 8, 1, 4, 2)
FULL = Size(200, (2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0), 20, 20, 40, 3, 20, 3)
IMPACT_SCAN = (3.0, 6.0, 10.0, 15.0, 20.0)  # prices.impact_bps values of the calm/news checks


def fmt(value: object) -> str:
    """A number as the docs print it: thousands separated, four significant digits below 10k."""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        if not np.isfinite(number):
            return "n/a"
        return f"{number:,.4g}" if abs(number) < 1e4 else f"{number:,.0f}"
    return "n/a" if value is None else str(value)


def band(values: pd.Series) -> str:
    """``median [5%, 95%]`` of the finite values."""
    finite = pd.to_numeric(values, errors="coerce").astype(float)
    finite = finite[np.isfinite(finite)]
    if finite.empty:
        return "n/a"
    low, mid, high = finite.quantile([0.05, 0.5, 0.95])
    return f"{fmt(mid)} [{fmt(low)}, {fmt(high)}]"


def _pngs(paths: list[Path], stamp: Stamp) -> list[Path]:
    return [stamp_png(path, stamp) for path in paths]


def _one_run(name: str, out: Path, stamp: Stamp) -> list[Path]:
    """One run of a preset, seed 1: its summary table and its plots."""
    result = run_scenario(load_scenario(name), seed=1)
    summary = result.summary
    rows = ["| field | value |", "|---|---:|"]
    rows += [f"| `{field}` | {fmt(summary.get(field))} |" for field in RUN_FIELDS]
    body = f"`cascade run --scenario {name} --seed 1` gives:\n\n" + "\n".join(rows)
    table = write_markdown(out / f"{name}-run.md", body, stamp)
    return [table, *_pngs(plot_run(result, out / f"{name}-run"), stamp)]


def default_run(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """The default scenario (flash-crash), seed 1."""
    return _one_run("flash-crash", out, stamp)


def oct_10_run(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """The 2025-10-10 reconstruction (oct-10-2025), seed 1."""
    return _one_run("oct-10-2025", out, stamp)


def monte_carlo_default(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """A Monte Carlo of the default scenario: quantiles of the key outcomes and P(ADL)."""
    with tempfile.TemporaryDirectory() as tmp:
        runs = monte_carlo("flash-crash", size.mc_runs, tmp, workers=workers, report=False)
    table = outcome_quantiles(runs)[["outcome", "runs", "5%", "50%", "95%"]]
    p, low, high, n = adl_probability(runs)
    body = (
        f"`cascade mc --scenario flash-crash --runs {size.mc_runs}`: quantiles over the runs "
        "(5% and 95% bound the 90% band).\n\n"
        + "\n".join(markdown_table(table))
        + f"\n\nP(ADL) = {fmt(p)} over {n} runs (95% Wilson interval {fmt(low)}–{fmt(high)})."
    )
    plot = distribution_plot(runs, "liquidations_notional", out / "mc-flash-crash.png")
    return [write_markdown(out / "mc-flash-crash.md", body, stamp), stamp_png(plot, stamp)]


def leverage_sweep(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """The default scenario with the crowd's median leverage swept, paired seeds."""
    grid = {LEVERAGE_KEY: list(size.leverage)}
    with tempfile.TemporaryDirectory() as tmp:
        runs = ok_runs(
            sweep("flash-crash", grid, size.sweep_runs, tmp, workers=workers, report=False)
        )
    rows = [f"| {LEVERAGE_KEY} | runs | " + " | ".join(SWEEP_FIELDS) + " | P(ADL) |"]
    rows.append("|---:|---:|" + "---|" * len(SWEEP_FIELDS) + "---:|")
    for level, group in runs.groupby(LEVERAGE_KEY, sort=True):
        cells = " | ".join(band(group[field]) for field in SWEEP_FIELDS)
        adl = float((group["adl_count"].astype(float) > 0).mean())
        rows.append(f"| {fmt(float(level))} | {len(group)} | {cells} | {fmt(adl)} |")
    levels = ",".join(f"{v:g}" for v in size.leverage)
    body = (
        f"`cascade sweep --scenario flash-crash --grid {LEVERAGE_KEY}={levels} "
        f"--runs {size.sweep_runs}`: median [5%, 95%] over the paired seeds.\n\n" + "\n".join(rows)
    )
    sns.set_theme(style="whitegrid", context="notebook")
    plot = outcome_plot(
        runs, LEVERAGE_KEY, "liquidations_notional", [LEVERAGE_KEY], out / "sweep-leverage.png"
    )
    return [write_markdown(out / "sweep-leverage.md", body, stamp), stamp_png(plot, stamp)]


def adl_policies(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """Every ADL policy on the 2025-10-10 reconstruction, paired seeds."""
    grid = {POLICY_KEY: list(POLICIES)}
    with tempfile.TemporaryDirectory() as tmp:
        runs = ok_runs(
            sweep("oct-10-2025", grid, size.adl_runs, tmp, workers=workers, report=False)
        )
    least = minimal_is_least(runs)
    table = policy_table(runs)
    leverage = runs.groupby(POLICY_KEY, sort=False)["adl_median_leverage"].apply(band)
    table["adl_median_leverage"] = table["policy"].map(leverage)
    body = (
        f"`cascade sweep --scenario oct-10-2025 --runs {size.adl_runs} "
        f"--grid {POLICY_KEY}={','.join(POLICIES)}`: median [5%, 95%] over the paired seeds.\n\n"
        + "\n".join(markdown_table(table))
        + f"\n\nThe `minimal` policy's over-utilisation is at most every other policy's on "
        f"{int(least.sum())} of {len(least)} paired seeds."
    )
    plot = policy_plot(runs, out / "adl-policies.png")
    return [write_markdown(out / "adl-policies.md", body, stamp), stamp_png(plot, stamp)]


def reconstruction(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """The 2025-10-10 reconstruction against the event's targets."""
    n = size.reconstruction_runs
    with tempfile.TemporaryDirectory() as tmp:
        runs = ok_runs(monte_carlo("oct-10-2025", n, tmp, workers=workers, report=False))
    body = f"`cascade mc --scenario oct-10-2025 --runs {n}` against the event's targets:\n\n"
    body += "\n".join(markdown_table(target_table(runs)))
    return [write_markdown(out / "oct-10-targets.md", body, stamp)]


def benchmark_default(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """The benchmark's default case (flash-crash, seed 1) in a fresh process."""
    results = [measure(CASES["default"], ROOT, None) for _ in range(size.bench_repeats)]
    wall = statistics.median(r["wall"] for r in results)
    cpu = statistics.median(r["cpu"] for r in results)
    best = min(results, key=lambda r: r["wall"])
    rows = [
        "| measure | value |",
        "|---|---:|",
        f"| wall seconds (median of {len(results)}) | {fmt(wall)} |",
        f"| CPU seconds (median) | {fmt(cpu)} |",
        f"| simulated seconds per wall second (best) | {fmt(best['sim_per_wall'])} |",
        f"| agent-steps per second (best) | {fmt(best['agent_steps_per_s'])} |",
        f"| book messages per second (best) | {fmt(best.get('messages_per_s'))} |",
        f"| peak memory (MB) | {fmt(best['peak_mb'])} |",
        f"| agents, steps | {fmt(best['agents'])}, {fmt(best['steps'])} |",
    ]
    body = (
        f"`python -m experiments.perf.benchmark --cases default --repeats {size.bench_repeats}` "
        "on the machine that generated the figures (times move with the machine and its load):"
        "\n\n" + "\n".join(rows)
    )
    return [write_markdown(out / "benchmark-default.md", body, stamp)]


def price_targets(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """The price-formation targets (`experiments.batch.price_targets`) on the first
    ``size.price_seeds`` pre-registered seeds."""
    seeds = list(pt.TARGET_SEEDS[: size.price_seeds])
    runs = pt.run_arms(seeds, pt.DEFAULT_DURATION, workers)
    table = pt.targets(runs)
    first, last = seeds[0], seeds[-1]
    body = (
        f"`python -m experiments.batch.price_targets --seeds {','.join(map(str, seeds))}` "
        f"(pre-registered seeds {first}–{last}; the 20 of `--seeds targets` in the full "
        "figures): each target's measure, its 90% cluster-bootstrap band over seeds, the bar "
        "it must clear.\n\n" + "\n".join(markdown_table(table))
    )
    plot = out / "price-targets.png"
    pt.plot(runs, plot)
    return [write_markdown(out / "price-targets.md", body, stamp), stamp_png(plot, stamp)]


def price_checks(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """The flow mode's calm and news checks (`experiments.batch.price_checks`) over a scan of
    ``prices.impact_bps``, on development seeds."""
    seeds = list(range(1, size.check_seeds + 1))
    settings = [{"prices.impact_bps": x} for x in IMPACT_SCAN]
    table = pc.run_checks(settings, seeds, workers)
    scan = ",".join(f"{x:g}" for x in IMPACT_SCAN)
    body = (
        f"`python -m experiments.batch.price_checks --seeds {','.join(map(str, seeds))} "
        f"--impact {scan}` (medians over the seeds; every other setting at its default):\n\n"
        + "\n".join(markdown_table(table))
    )
    return [write_markdown(out / "price-checks.md", body, stamp)]


def materiality(out: Path, size: Size, stamp: Stamp, workers: int) -> list[Path]:
    """How far liquidations of a few sizes would walk the default book, against the mark's
    moves, at one-second steps (`experiments.perf.materiality`, seed 703)."""
    rows = material.measure("flash-crash", 703, list(material.TIMES), list(material.NOTIONALS))
    body = (
        "`python -m experiments.perf.materiality --scenario flash-crash --seed 703`:\n\n"
        + "\n".join(material.table(rows))
    )
    return [write_markdown(out / "materiality.md", body, stamp)]


Job = Callable[[Path, Size, Stamp, int], list[Path]]
JOBS: dict[str, Job] = {
    "default-run": default_run,
    "oct-10-run": oct_10_run,
    "mc-flash-crash": monte_carlo_default,
    "sweep-leverage": leverage_sweep,
    "adl-policies": adl_policies,
    "oct-10-targets": reconstruction,
    "benchmark": benchmark_default,
    "price-targets": price_targets,
    "price-checks": price_checks,
    "materiality": materiality,
}
