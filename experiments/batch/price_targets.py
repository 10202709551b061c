"""Is a cascade's size a result? The price-formation targets, on pre-registered paired seeds.

    python -m experiments.batch.price_targets                 # the 20 target seeds
    python -m experiments.batch.price_targets --seeds held-out
    python -m experiments.batch.price_targets --seeds 1,2,3 --duration 600 --out DIR
    python -m experiments.batch.price_targets --prices value  # the scripted baseline

No scheduled move of the value signal: a perpetual sell program of a share of the starting open
interest, over 60 s, into a long-heavy crowd (80% long), in the calm market. Each seed runs:

* the same trigger at median leverage 2x and 25x (everything else equal): the ratio of the
  mark's fall (25x over 2x, per seed) and how often the 25x crowd's liquidations exceed the
  trigger (target 1);
* trigger sizes of 5, 10, 20 and 40% of open interest at both leverages: the log–log slope of
  the median fall against the size between neighbouring sizes (target 2: steeper than 1
  somewhere at 25x, never at 2x);
* at 25x, liquidation orders in the book against impact-free close-outs at the mark
  (``venue.liquidation.impact = off_book``): the ratio of the falls (target 3).

The trigger's notional is the share of the 25x crowd's starting open interest on that seed, so
both leverages get the same sell program. Bands are 90% bootstrap intervals over seeds (a
cluster bootstrap: a resample draws whole seeds, all their arms together). Seeds were fixed
before any run of them (``TARGET_SEEDS``, ``HELD_OUT_SEEDS``); development used others.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.batch.executor import Job
from experiments.batch.preregistered import (
    BANDS,
    add_prices_option,
    bootstrap_band,
    checked_overrides,
    parse_seeds,
    run_jobs,
    target_row,
)
from experiments.options import add_set_option
from experiments.reports.distributions import markdown_table
from model.scenario import Scenario, load_scenario

# fixed on 2026-12-06, before any run of these seeds (issue 25's pre-registration)
TARGET_SEEDS = tuple(range(2501, 2521))
HELD_OUT_SEEDS = tuple(range(7301, 7321))
SHARES = (0.05, 0.10, 0.20, 0.40)  # trigger: share of the 25x crowd's starting open interest
LOW, HIGH = 2.0, 25.0  # median leverage of the crowd
TRIGGER_START, TRIGGER_SECONDS = 300.0, 60.0
LONG_BIAS = 0.8
DEFAULT_DURATION = 1200.0  # seconds per run: 15 minutes after the trigger ends


@dataclass(frozen=True)
class Arm:
    """One configuration run on every seed."""

    leverage: float
    share: float
    impact: str = "book"

    @property
    def name(self) -> str:
        return f"{self.leverage:g}x {self.share:.0%}" + ("" if self.impact == "book" else " off")


ARMS = (
    *(Arm(lev, share) for lev in (LOW, HIGH) for share in SHARES),
    Arm(HIGH, SHARES[-1], "off_book"),
)


def base_scenario(
    leverage: float,
    duration: float,
    prices: str = "flow",
    extra: dict[str, Any] | None = None,
) -> Scenario:
    """The calm market, no scheduled move, a long-heavy crowd at ``leverage``; ``prices``:
    ``flow`` (makers learn prices from order flow) or ``value`` (makers are told the value
    signal, the scripted baseline); ``extra``: further overrides (dotted keys)."""
    settings = {
        "index.shocks": [],
        "duration": duration,
        "population.long_bias": LONG_BIAS,
        "population.leverage.median": leverage,
        "prices.makers_know_value": prices == "value",
    }
    return load_scenario("calm", {**settings, **(extra or {})})


def starting_open_interest(seed: int, base: Scenario) -> float:
    """USDT of open interest the crowd of ``base`` holds at the start on ``seed`` (before any
    step)."""
    from model.simulation import CascadeModel

    scenario = base
    model = CascadeModel(scenario, rng=np.random.SeedSequence(seed))
    return float(model.ledger.open_interest(0) * scenario.contracts[0].initial_price)


def arm_scenario(
    arm: Arm,
    trigger: float,
    duration: float,
    prices: str = "flow",
    extra: dict[str, Any] | None = None,
) -> Scenario:
    """The arm's scenario with a sell program of ``trigger`` USDT."""
    base = base_scenario(arm.leverage, duration, prices, extra)
    program = {"start": TRIGGER_START, "duration": TRIGGER_SECONDS, "notional": -trigger}
    return base.with_overrides({"flow_shocks": [program], "venue.liquidation.impact": arm.impact})


def run_arms(
    seeds: list[int],
    duration: float,
    workers: int | None,
    prices: str = "flow",
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per (seed, arm): the fall, the liquidated notional, the trigger."""
    jobs: list[Job] = []
    meta: list[tuple[int, Arm, float]] = []
    for s_index, seed in enumerate(seeds):
        oi = starting_open_interest(seed, base_scenario(HIGH, duration, prices, extra))
        for a_index, arm in enumerate(ARMS):
            trigger = arm.share * oi
            meta.append((seed, arm, trigger))
            scenario = arm_scenario(arm, trigger, duration, prices, extra)
            jobs.append(Job(len(jobs), a_index, s_index, np.random.SeedSequence(seed), scenario))
    labels = [f"seed {seed}, {arm.name}" for seed, arm, _ in meta]
    records = run_jobs(jobs, labels, workers)
    rows = []
    for (seed, arm, trigger), record in zip(meta, records, strict=True):
        s = record["summary"]
        rows.append(
            {
                "seed": seed,
                "arm": arm.name,
                "leverage": arm.leverage,
                "share": arm.share,
                "impact": arm.impact,
                "trigger": trigger,
                "drawdown_pct": s["trigger_drawdown_pct"],
                "liquidated": s["liquidations_notional"],
                "liquidated_per_trigger": s["liquidated_per_trigger"],
            }
        )
    return pd.DataFrame(rows).sort_values(["seed", "arm"]).reset_index(drop=True)


def wide(runs: pd.DataFrame, field: str) -> pd.DataFrame:
    """Seeds × arms of one field."""
    return runs.pivot(index="seed", columns="arm", values=field)


def targets(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per target: the measure, its 90% band, the bar it must clear, hit or miss."""
    dd = wide(runs, "drawdown_pct")
    liq = wide(runs, "liquidated_per_trigger")
    low, high = Arm(LOW, SHARES[-1]).name, Arm(HIGH, SHARES[-1]).name
    off = Arm(HIGH, SHARES[-1], "off_book").name
    rows = [ratio_row("1 same trigger: fall 25x / 2x", dd[high] / dd[low], 2.0, 1.5)]
    amplified = (liq[high].to_numpy() > 1.0).astype(float)
    share = float(amplified.mean())
    band = bootstrap_band(amplified, np.mean)
    label = "1 liquidated > trigger at 25x (share of seeds)"
    rows.append(target_row(label, share, band, "≥ 0.8", share >= 0.8))
    no_band = (float("nan"), float("nan"))
    for lev in (LOW, HIGH):
        slopes = tipping_slopes(runs, lev)
        steepest = float(np.nanmax(slopes)) if len(slopes) else float("nan")
        label = f"2 tipping: steepest log–log slope at {lev:g}x"
        if lev == HIGH:
            rows.append(target_row(label, steepest, no_band, "> 1 somewhere", steepest > 1))
        else:
            rows.append(target_row(label, steepest, no_band, "≤ 1 throughout", steepest <= 1))
    rows.append(ratio_row("3 book / off_book fall at 25x", dd[high] / dd[off], 1.3, 1.1))
    return pd.DataFrame(rows)


def ratio_row(label: str, ratios: pd.Series, median_bar: float, low_bar: float) -> dict:  # type: ignore[type-arg]
    """A paired ratio's target: its median over seeds at least ``median_bar`` and the lower end
    of the median's 90% band above ``low_bar``."""
    values = ratios.to_numpy(dtype=float)
    median = float(np.median(values))
    band = bootstrap_band(values, np.median)
    bar = f"median ≥ {median_bar:g}, band low > {low_bar:g}"
    return target_row(label, median, band, bar, median >= median_bar and band[0] > low_bar)


def tipping_slopes(runs: pd.DataFrame, leverage: float) -> np.ndarray:
    """Slopes of log(median fall) against log(trigger share) between neighbouring shares."""
    sub = runs[(runs["leverage"] == leverage) & (runs["impact"] == "book")]
    medians = sub.groupby("share")["drawdown_pct"].median().reindex(SHARES)
    x, y = np.log(np.array(SHARES)), np.log(medians.to_numpy(dtype=float))
    return np.diff(y) / np.diff(x)


def plot(runs: pd.DataFrame, path: Path) -> None:
    """The median fall against the trigger's size at both leverages, log–log, with 90% bands."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    for lev in (LOW, HIGH):
        sub = runs[(runs["leverage"] == lev) & (runs["impact"] == "book")]
        grouped = sub.groupby("share")["drawdown_pct"]
        med = grouped.median()
        lo, hi = grouped.quantile(BANDS[0]), grouped.quantile(BANDS[1])
        ax.plot(med.index * 100, med.values, marker="o", label=f"median leverage {lev:g}x")
        ax.fill_between(med.index * 100, lo.values, hi.values, alpha=0.2)
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([share * 100 for share in SHARES])
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.set_xlabel("sell program, % of starting open interest (60 s)")
    ax.set_ylabel("fall of the mark, %")
    ax.legend()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        default="targets",
        help="targets (the 20 pre-registered seeds), held-out, or a list N,M,...",
    )
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION, help="seconds per run")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, help="write runs.csv, targets.md and the plot here")
    add_prices_option(parser)
    add_set_option(parser)
    args = parser.parse_args(argv)
    extra = checked_overrides(
        parser,
        args.overrides,
        lambda settings: base_scenario(HIGH, args.duration, args.prices, settings),
    )
    seeds = parse_seeds(parser, args.seeds, TARGET_SEEDS, HELD_OUT_SEEDS)
    if args.duration <= TRIGGER_START + TRIGGER_SECONDS:
        parser.error(f"--duration must exceed {TRIGGER_START + TRIGGER_SECONDS:g} s (the trigger)")
    print(f"prices: {args.prices}; seeds: {','.join(map(str, seeds))}", file=sys.stderr)
    runs = run_arms(seeds, args.duration, args.workers, args.prices, extra)
    table = targets(runs)
    text = "\n".join(markdown_table(table))
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        runs.to_csv(args.out / "runs.csv", index=False)
        (args.out / "targets.md").write_text(text + "\n")
        plot(runs, args.out / "tipping.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
