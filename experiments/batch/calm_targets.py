"""Do prices made by trading behave like a real market when nothing special happens? Targets 4
and 5 of the price-formation work, in the calm market at 1x, on pre-registered seeds.

    python -m experiments.batch.calm_targets                   # the 20 target seeds
    python -m experiments.batch.calm_targets --seeds held-out
    python -m experiments.batch.calm_targets --seeds 1,2 --only martingale --out DIR
    python -m experiments.batch.calm_targets --only impact --set prices.run_scale=1000000

**Impact** (target 4). A sell program (a metaorder) of 2, 4, 8, 16 or 32M USDT over 10 minutes
from minute 10, each against a run of the same seed without it (the same random numbers, so
the difference of the two marks is the program's impact). Peak impact: the largest fall of the
mark below the control's while the program runs. The log–log slope δ of the median peak
against the size should lie in [0.4, 0.7] (the square-root law: Tóth et al. 2011 and, on
bitcoin, Donier & Bonart 2015), and 30 minutes after the program ends 30–90% of the peak should
remain.

**A martingale** (target 5). Two hours of the calm market after a 5-minute burn-in: the
variance ratio of 10-minute to 1-minute returns in [0.9, 1.1], the autocorrelation of 1-minute
returns below 0.05 in size at lags 1–10, excess kurtosis of 1-minute returns below 1 and their
Hill tail index above 5.5, and no liquidation. Statistics pool every seed's returns; bands are
90% bootstrap intervals over seeds (whole seeds are resampled).

Both run the flow mode (``prices.makers_know_value = false``). The seeds were fixed before any
of them was run (``TARGET_SEEDS``, ``HELD_OUT_SEEDS``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.batch.preregistered import (
    bootstrap_band,
    checked_overrides,
    map_in_workers,
    parse_seeds,
    target_row,
)
from experiments.options import add_set_option
from experiments.reports.distributions import markdown_table
from experiments.run.runner import run_scenario
from experiments.run.stylized_facts import excess_kurtosis, hill_tail_index
from model.scenario import Scenario, load_scenario

# fixed on 2026-12-06, before any run of these seeds
TARGET_SEEDS = tuple(range(4101, 4121))
HELD_OUT_SEEDS = tuple(range(8101, 8121))
SIZES = (2e6, 4e6, 8e6, 16e6, 32e6)  # USDT sold by the metaorder (a factor of 16)
START, LENGTH, AFTER = 600.0, 600.0, 1800.0  # seconds
BURN_IN, MARTINGALE_SECONDS = 300.0, 7200.0
LAGS = range(1, 11)


def calm_1x(duration: float, extra: dict[str, Any] | None = None) -> Scenario:
    """The calm market at median leverage 1x, prices made by trading."""
    settings = {
        "prices.makers_know_value": False,
        "population.leverage.median": 1.0,
        "duration": duration,
        **(extra or {}),
    }
    return load_scenario("calm", settings)


def metaorder(size: float, extra: dict[str, Any] | None = None) -> Scenario:
    """The calm market with a sell program of ``size`` USDT (0: the control run) and the
    settings ``extra``."""
    duration = START + LENGTH + AFTER + 60.0
    if not size:
        return calm_1x(duration, extra)
    program = {"start": START, "duration": LENGTH, "notional": -size}
    return calm_1x(duration, {**(extra or {}), "flow_shocks": [program]})


def marks(task: tuple[int, float, Scenario]) -> tuple[int, float, np.ndarray]:
    """Run one (seed, size, scenario) task; its mark every second (in a worker)."""
    seed, size, scenario = task
    ts = run_scenario(scenario, np.random.SeedSequence(seed)).timeseries
    liquidations = float(ts["liq_notional_long"].sum() + ts["liq_notional_short"].sum())
    return seed, size, np.append(ts["mark"].to_numpy(dtype=float), liquidations)


def run_tasks(tasks: list[tuple[int, float, Scenario]], workers: int | None) -> dict:  # type: ignore[type-arg]
    """Every task's marks (the last entry: liquidated notional), by (seed, size)."""
    return {(seed, size): result for seed, size, result in map_in_workers(marks, tasks, workers)}


def impact_rows(
    seeds: list[int], workers: int | None, extra: dict[str, Any] | None = None
) -> pd.DataFrame:
    """One row per (seed, size): the peak impact and what remains 30 minutes later (bps)."""
    tasks = [(seed, size, metaorder(size, extra)) for seed in seeds for size in (0.0, *SIZES)]
    runs = run_tasks(tasks, workers)
    rows = []
    start, end = int(START), int(START + LENGTH)
    for seed in seeds:
        control = runs[seed, 0.0][:-1]
        for size in SIZES:
            impact = -np.log(runs[seed, size][:-1] / control) * 1e4  # bps, a fall positive
            peak = float(np.max(impact[start:end]))
            later = float(impact[min(end + int(AFTER), len(impact) - 1)])
            rows.append({"seed": seed, "size": size, "peak_bps": peak, "after_bps": later})
    return pd.DataFrame(rows)


def impact_slope(peaks: np.ndarray) -> float:
    """Log–log slope of the median peak (over seeds, the rows) against the size."""
    median = np.median(peaks, axis=0)
    if np.any(median <= 0):
        return float("nan")
    return float(np.polyfit(np.log(SIZES), np.log(median), 1)[0])


def impact_targets(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Target 4's rows: δ, and the share of the peak left 30 minutes after the program."""
    peaks = rows.pivot(index="seed", columns="size", values="peak_bps").to_numpy()
    after = rows.pivot(index="seed", columns="size", values="after_bps").to_numpy()
    delta = impact_slope(peaks)
    low, high = bootstrap_band(peaks, impact_slope, ignore_nan=True)
    out = [
        target_row(
            "4 impact: δ of peak ∝ size^δ", delta, (low, high), "in [0.4, 0.7]", 0.4 <= delta <= 0.7
        )
    ]

    ratios = after / peaks  # seeds × sizes: the share of each peak left

    def remaining(rows: np.ndarray) -> float:
        return float(np.median(rows))

    share = remaining(ratios)
    band = bootstrap_band(ratios, remaining, ignore_nan=True)
    out.append(
        target_row(
            "4 impact: share left 30 min after", share, band, "in [0.3, 0.9]", 0.3 <= share <= 0.9
        )
    )
    return out


def martingale_rows(
    seeds: list[int], workers: int | None, extra: dict[str, Any] | None = None
) -> tuple[np.ndarray, list[float]]:
    """Each seed's 1-minute log returns after the burn-in (rows), and its liquidated notional."""
    duration = BURN_IN + MARTINGALE_SECONDS
    runs = run_tasks([(seed, 0.0, calm_1x(duration, extra)) for seed in seeds], workers)
    returns, liquidated = [], []
    for seed in seeds:
        series = runs[seed, 0.0]
        mark = series[:-1][int(BURN_IN) - 1 :: 60]
        returns.append(np.diff(np.log(mark)))
        liquidated.append(float(series[-1]))
    width = min(len(r) for r in returns)
    return np.array([r[:width] for r in returns]), liquidated


def variance_ratio(returns: np.ndarray) -> float:
    """10-minute over ten times 1-minute return variance, pooling the seeds (rows)."""
    width = returns.shape[1] // 10 * 10
    ten = returns[:, :width].reshape(len(returns), -1, 10).sum(axis=2)
    return float(ten.var() / (10.0 * returns.var()))


def largest_autocorrelation(returns: np.ndarray) -> float:
    """The largest |autocorrelation| of 1-minute returns at lags 1–10, within seeds, pooled."""
    demeaned = returns - returns.mean()
    var = float((demeaned**2).mean())
    return max(abs(float((demeaned[:, lag:] * demeaned[:, :-lag]).mean()) / var) for lag in LAGS)


def martingale_targets(returns: np.ndarray, liquidated: list[float]) -> list[dict[str, Any]]:
    """Target 5's rows."""
    pooled = lambda stat: lambda rows: stat(rows.ravel())
    vr = variance_ratio(returns)
    acf = largest_autocorrelation(returns)
    kurt = excess_kurtosis(returns.ravel())
    hill = hill_tail_index(returns.ravel())
    none = sum(x > 0 for x in liquidated) == 0
    return [
        target_row(
            "5 martingale: variance ratio 10/1 min",
            vr,
            bootstrap_band(returns, variance_ratio, ignore_nan=True),
            "in [0.9, 1.1]",
            0.9 <= vr <= 1.1,
        ),
        target_row(
            "5 martingale: largest |acf| lags 1–10",
            acf,
            bootstrap_band(returns, largest_autocorrelation, ignore_nan=True),
            "< 0.05",
            acf < 0.05,
        ),
        target_row(
            "5 martingale: excess kurtosis, 1 min",
            kurt,
            bootstrap_band(returns, pooled(excess_kurtosis), ignore_nan=True),
            "< 1",
            kurt < 1,
        ),
        target_row(
            "5 martingale: Hill index, 1 min",
            hill,
            bootstrap_band(returns, pooled(hill_tail_index), ignore_nan=True),
            "> 5.5",
            hill > 5.5,
        ),
        target_row(
            "5 martingale: runs with a liquidation",
            float(len(liquidated) - sum(x == 0 for x in liquidated)),
            (float("nan"), float("nan")),
            "0",
            none,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="targets", help="targets, held-out or N,M,...")
    parser.add_argument("--only", choices=("impact", "martingale"), help="one of the two targets")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, help="write the runs and targets.md here")
    add_set_option(parser)
    args = parser.parse_args(argv)
    extra = checked_overrides(parser, args.overrides, lambda settings: calm_1x(60.0, settings))
    seeds = parse_seeds(parser, args.seeds, TARGET_SEEDS, HELD_OUT_SEEDS)
    print(f"seeds: {','.join(map(str, seeds))}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    impact = None
    if args.only in (None, "impact"):
        impact = impact_rows(seeds, args.workers, extra)
        rows += impact_targets(impact)
    if args.only in (None, "martingale"):
        returns, liquidated = martingale_rows(seeds, args.workers, extra)
        rows += martingale_targets(returns, liquidated)
    text = "\n".join(markdown_table(pd.DataFrame(rows)))
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "targets.md").write_text(text + "\n")
        if impact is not None:
            impact.to_csv(args.out / "impact.csv", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
