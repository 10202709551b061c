"""Does leverage fatten calm tails through liquidations (Thurner, Farmer & Geanakoplos 2012)?
Target 6 of the price-formation work, in the calm market, on pre-registered seeds.

    python -m experiments.batch.calm_tails                     # the 20 target seeds
    python -m experiments.batch.calm_tails --seeds held-out --out DIR
    python -m experiments.batch.calm_tails --prices value      # the scripted baseline
    python -m experiments.batch.calm_tails --seeds 1,2 --duration 900 --out DIR

**The setting.** The `calm` preset as it is, prices made by trading (the flow mode,
``prices.makers_know_value = false``; ``--prices value`` runs the scripted baseline), with one
setting changed: the leverage cap ``population.max_leverage`` at 1, 2, 5, 10, 20, 50 and 100x,
each cap on the same seeds. Each run is a 5-minute burn-in and then ``--duration`` seconds (two
hours, as target 5 in `experiments.batch.calm_targets`); its returns are the one-minute log
returns of the mark after the burn-in.

**What the cap does, and why the median is not clipped.** Each leveraged trader's leverage is
drawn from the preset's lognormal (median 5x, log-std 0.6) and clipped to [1, cap]
(`agents/builders.py`); whales (25x), noise traders (5x) and momentum traders (10x) are
capped too, and, as ``population.cap_providers`` is true by default, so are market makers (20x)
and arbitrageurs (5x). The median is left at 5x whatever the cap: the cap is the one thing the
target varies, as in Thurner–Farmer–Geanakoplos, where what traders want is the same and the
cap decides how much of it they get; clipping the median as well would also move the traders
below the cap. The price of that choice: the cap binds on the draws of 100% of the crowd at 1x,
94% at 2x, 50% at 5x, 12% at 10x, 1% at 20x, 0.006% at 50x and almost none at 100x. Above 20x
the population hardly changes (at 50x and 100x only a draw above 50x, on about 2% of seeds,
tells the two apart), so the 50x and 100x points are close to repeats of the 20x one and the
fall of Hill, if any, has to happen between 1x and 20x. ``--set
population.cap_providers=false`` caps the traders alone (the makers and arbitrageurs keep
their own leverage), which is closer to TFG, where the cap is on the funds; it is not the
target's setting.

**The statistics** (90% bands: 2000 resamples of whole seeds, every cap of a seed together,
the same cluster bootstrap as the other targets). Per cap, the returns of every seed are pooled
(not standardised per seed, as in target 5) and the Hill index is taken on the largest 2.5% of
|r| (`experiments.run.stylized_facts.hill_tail_index`), and on each tail alone. The target:

* Spearman ρ of the pooled Hill index against the cap ≤ −0.8;
* at 20x the Hill index in [2, 5], and the negative tail the heavier (its Hill index less the
  positive tail's below 0);
* at 20x the tail minutes (those whose |r| is among the k largest the Hill index uses) carry
  liquidations at ≥ 3× the base rate: liquidation events per tail minute over liquidation
  events per minute, pooled over seeds (a liquidation belongs to the minute whose return spans
  its second). No liquidation at all gives no ratio, a miss.

The target also allows "agents at their cap" in place of liquidations. A run does not record
it for the leveraged crowd: the only such column, ``funds_at_cap``, is the share of value funds
at their cap and is empty in the calm preset, which has no value funds; and its leveraged
traders hold their starting positions (no strategy), so whether one is at the cap is fixed at
the start and is the same in every minute. Liquidations alone are used.

The seeds were fixed before any of them was run (``TARGET_SEEDS``, ``HELD_OUT_SEEDS``). ``--out``
writes ``minutes.csv`` (every minute's return and liquidations, per cap and seed, from which
every number here can be recomputed), ``caps.csv`` (the per-cap statistics and bands),
``targets.md`` and ``hill.png`` (Hill against the cap, log x, with bands).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from experiments.batch.preregistered import (
    add_prices_option,
    bootstrap_band,
    checked_overrides,
    map_in_workers,
    parse_seeds,
    target_row,
)
from experiments.options import SET_HELP, add_set_option
from experiments.reports.distributions import markdown_table
from experiments.reports.horizons import tail_mask
from experiments.run.runner import run_scenario
from experiments.run.stylized_facts import excess_kurtosis, hill_tail_index
from model.scenario import Scenario, load_scenario

# fixed on 2026-12-07, before any run of these seeds
TARGET_SEEDS = tuple(range(6101, 6121))
HELD_OUT_SEEDS = tuple(range(10101, 10121))
CAPS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)  # population.max_leverage
AT = 20.0  # the cap at which the range, the asymmetry and the liquidations are judged
BURN_IN, DURATION = 300.0, 7200.0  # seconds, as target 5 (calm_targets)
MINUTE = 60.0
FRACTION = 0.025  # the Hill estimator's tail: the largest 2.5% of |r|
RHO_BAR, HILL_LOW, HILL_HIGH, RATE_BAR = -0.8, 2.0, 5.0, 3.0
SWEPT = ("population.max_leverage", "prices.makers_know_value", "duration")

Band = tuple[float, float]
Statistic = Callable[[np.ndarray, np.ndarray], float]


def scenario(
    cap: float,
    prices: str = "flow",
    duration: float = DURATION,
    extra: dict[str, Any] | None = None,
) -> Scenario:
    """The calm preset at leverage cap ``cap``, prices made by trading (``flow``) or told
    (``value``), ``duration`` seconds after the burn-in; ``extra``: further settings."""
    settings = {
        **(extra or {}),
        "prices.makers_know_value": prices == "value",
        "population.max_leverage": cap,
        "duration": BURN_IN + duration,
    }
    return load_scenario("calm", settings)


def minute_series(
    timeseries: pd.DataFrame, burn_in: float = BURN_IN
) -> tuple[np.ndarray, np.ndarray]:
    """One-minute log returns of the mark from ``burn_in`` on, and the liquidation events in each
    minute (those of the steps that end after the minute's start and no later than its end)."""
    time = timeseries["time"].to_numpy(dtype=float)
    mark = timeseries["mark"].to_numpy(dtype=float)
    events = (timeseries["liq_count_long"] + timeseries["liq_count_short"]).to_numpy(dtype=float)
    n = int((time[-1] - burn_in) // MINUTE) if len(time) else 0
    if n < 1:
        return np.array([]), np.array([])
    grid = burn_in + MINUTE * np.arange(n + 1)
    rows = np.searchsorted(time, grid + 1e-9, side="right") - 1  # the last row at or before
    if rows[0] < 0:
        raise ValueError(f"the series starts after the burn-in ({time[0]:g} s > {burn_in:g} s)")
    return np.diff(np.log(mark[rows])), np.diff(np.cumsum(events)[rows])


def run_minutes(task: tuple[float, int, Scenario]) -> tuple[float, int, np.ndarray, np.ndarray]:
    """Run one (cap, seed, scenario) task (in a worker): its `minute_series`."""
    cap, seed, sc = task
    returns, liquidations = minute_series(run_scenario(sc, np.random.SeedSequence(seed)).timeseries)
    return cap, seed, returns, liquidations


def run(
    seeds: Sequence[int],
    caps: Sequence[float],
    prices: str,
    duration: float,
    workers: int | None,
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per (cap, seed, minute): the minute's return and liquidation events."""
    tasks = [(cap, seed, scenario(cap, prices, duration, extra)) for cap in caps for seed in seeds]
    frames = [
        pd.DataFrame(
            {
                "cap": cap,
                "seed": seed,
                "minute": np.arange(len(r)),
                "return": r,
                "liquidations": liq,
            }
        )
        for cap, seed, r, liq in map_in_workers(run_minutes, tasks, workers)
    ]
    return pd.concat(frames, ignore_index=True)


def arrays(minutes: pd.DataFrame) -> tuple[list[float], np.ndarray, np.ndarray]:
    """The caps, and the returns and liquidations as caps × seeds × minutes arrays (every seed
    cut to the shortest run)."""
    caps = sorted(minutes["cap"].unique().tolist())
    seeds = sorted(minutes["seed"].unique().tolist())
    width = int(minutes.groupby(["cap", "seed"]).size().min())
    out = []
    for column in ("return", "liquidations"):
        table = minutes.pivot_table(index=["cap", "seed"], columns="minute", values=column)
        out.append(table.to_numpy(dtype=float)[:, :width].reshape(len(caps), len(seeds), width))
    return caps, out[0], out[1]


def tail_rate_ratio(returns: np.ndarray, liquidations: np.ndarray) -> float:
    """Liquidation events per tail minute (the ones whose |r| is among the k largest the Hill
    index uses) over events per minute, pooled; NaN with no tail or no liquidation."""
    r, events = np.ravel(returns), np.ravel(liquidations)
    tail = tail_mask(r, FRACTION)
    base = float(events.mean()) if events.size else 0.0
    if not tail.any() or not base > 0:
        return float("nan")
    return float(events[tail].mean() / base)


def hill(tail: str = "both") -> Statistic:
    """The pooled Hill index of one cap's seeds × minutes returns (``tail``: both, negative or
    positive)."""
    return lambda returns, liquidations: hill_tail_index(np.ravel(returns), FRACTION, tail)


def asymmetry(returns: np.ndarray, liquidations: np.ndarray) -> float:
    """Hill index of the negative tail less the positive tail's (below 0: the negative heavier)."""
    return hill("negative")(returns, liquidations) - hill("positive")(returns, liquidations)


def spearman(caps: Sequence[float], values: Sequence[float]) -> float:
    """Spearman's ρ of ``values`` against ``caps``; NaN when a value is missing or all tie."""
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)) or np.ptp(v) == 0:
        return float("nan")
    return float(spearmanr(caps, v).statistic)


def hill_rho(caps: Sequence[float], returns: np.ndarray) -> float:
    """Spearman's ρ of the pooled Hill index (caps × seeds × minutes returns) against the cap."""
    return spearman(caps, [hill_tail_index(r.ravel(), FRACTION) for r in returns])


def seed_band(stat: Callable[[np.ndarray], float], n_seeds: int) -> Band:
    """90% band of ``stat`` of the seeds drawn (an index array), resampling whole seeds;
    resamples without a value are left out, and no value at all gives NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN resample set
        return bootstrap_band(np.arange(n_seeds), stat, ignore_nan=True)


def band_of(stat: Statistic, returns: np.ndarray, liquidations: np.ndarray) -> Band:
    """`seed_band` of ``stat`` of one cap's seeds × minutes returns and liquidations."""
    return seed_band(lambda idx: stat(returns[idx], liquidations[idx]), len(returns))


def per_cap(caps: Sequence[float], returns: np.ndarray, liquidations: np.ndarray) -> pd.DataFrame:
    """One row per cap: pooled Hill index with its band, each tail's Hill index with its band,
    excess kurtosis, liquidation events, and their rate in the tail minutes over all minutes."""
    columns: dict[str, Statistic] = {
        "Hill": hill(),
        "Hill down": hill("negative"),
        "Hill up": hill("positive"),
        "down − up": asymmetry,
        "tail/all liquidation rate": tail_rate_ratio,
    }
    rows = []
    for c, cap in enumerate(caps):
        r, liq = returns[c], liquidations[c]
        row: dict[str, Any] = {"cap": cap, "minutes": int(r.size)}
        for name, stat in columns.items():
            low, high = band_of(stat, r, liq)
            row |= {name: stat(r, liq), f"{name} 5%": low, f"{name} 95%": high}
        row["excess kurtosis"] = excess_kurtosis(r.ravel())
        row["liquidations"] = float(liq.sum())
        row["minutes with a liquidation"] = float((liq > 0).mean()) if liq.size else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def targets(
    caps: Sequence[float], returns: np.ndarray, liquidations: np.ndarray
) -> list[dict[str, Any]]:
    """Target 6's rows, from the caps × seeds × minutes returns and liquidation events."""
    n = returns.shape[1]
    rho = hill_rho(caps, returns)
    rows = [
        target_row(
            "6 calm tails: Spearman ρ, Hill against cap",
            rho,
            seed_band(lambda idx: hill_rho(caps, returns[:, idx]), n),
            f"≤ {RHO_BAR:g}",
            rho <= RHO_BAR,
        )
    ]
    at = list(caps).index(AT)
    r, liq = returns[at], liquidations[at]

    def judged(stat: Statistic) -> tuple[float, Band]:
        return stat(r, liq), band_of(stat, r, liq)

    value, band = judged(hill())
    rows.append(
        target_row(
            f"6 calm tails: Hill index, 1 min, {AT:g}x",
            value,
            band,
            f"in [{HILL_LOW:g}, {HILL_HIGH:g}]",
            HILL_LOW <= value <= HILL_HIGH,
        )
    )
    value, band = judged(asymmetry)
    rows.append(
        target_row(
            f"6 calm tails: Hill down − up, {AT:g}x", value, band, "< 0 (down heavier)", value < 0
        )
    )
    value, band = judged(tail_rate_ratio)
    rows.append(
        target_row(
            f"6 calm tails: liquidations, tail/all minutes, {AT:g}x",
            value,
            band,
            f"≥ {RATE_BAR:g}",
            value >= RATE_BAR,
        )
    )
    return rows


def plot(table: pd.DataFrame, path: Path) -> Path:
    """The pooled one-minute Hill index against the cap (log x) with its band, each tail's, and
    the target's range at 20x."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    from experiments.run.plots import save_figure

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    x = table["cap"].to_numpy(dtype=float)
    styles = (("Hill", "both tails", "o-"), ("Hill down", "down", "v--"), ("Hill up", "up", "^:"))
    for i, (column, label, style) in enumerate(styles):
        colour = f"C{i}"
        ax.plot(x, table[column], style, color=colour, label=label)
        ax.fill_between(
            x, table[f"{column} 5%"], table[f"{column} 95%"], color=colour, alpha=0.15, lw=0
        )
    ax.axhspan(HILL_LOW, HILL_HIGH, color="0.9", zorder=0, label=f"target at {AT:g}x")
    ax.axvline(AT, color="0.6", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(x))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticklabels([f"{c:g}x" for c in x])
    ax.set(
        xlabel="leverage cap (population.max_leverage)",
        ylabel="Hill index (2.5%), 1-min returns pooled",
        title="Calm market: one-minute tail index against the leverage cap (lower: fatter)",
    )
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="targets", help="targets, held-out or N,M,...")
    parser.add_argument(
        "--duration",
        type=float,
        default=DURATION,
        help=f"seconds of returns after the {BURN_IN:g} s burn-in (default {DURATION:g})",
    )
    add_prices_option(parser)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--out", type=Path, help="write minutes.csv, caps.csv, targets.md, hill.png"
    )
    add_set_option(parser, SET_HELP + "; not the target's")
    args = parser.parse_args(argv)
    seeds = parse_seeds(parser, args.seeds, TARGET_SEEDS, HELD_OUT_SEEDS)
    if not args.duration >= MINUTE:
        parser.error(f"--duration must be at least {MINUTE:g} s, got {args.duration:g}")

    def check(settings: dict[str, Any]) -> None:
        fixed = sorted(set(settings) & set(SWEPT))
        if fixed:
            raise ValueError(f"--set may not change {', '.join(fixed)} (the command sets it)")
        scenario(AT, args.prices, args.duration, settings)

    extra = checked_overrides(parser, args.overrides, check)
    print(f"prices: {args.prices}; seeds: {','.join(map(str, seeds))}", file=sys.stderr)
    minutes = run(seeds, CAPS, args.prices, args.duration, args.workers, extra)
    caps, returns, liquidations = arrays(minutes)
    table = per_cap(caps, returns, liquidations)
    text = "\n".join(markdown_table(pd.DataFrame(targets(caps, returns, liquidations))))
    print(text)
    print()
    shown = ["cap", "Hill", "Hill 5%", "Hill 95%", "Hill down", "Hill up", "excess kurtosis"]
    shown += ["liquidations", "tail/all liquidation rate"]
    print("\n".join(markdown_table(table[shown])))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        minutes.to_csv(args.out / "minutes.csv", index=False)
        table.to_csv(args.out / "caps.csv", index=False)
        (args.out / "targets.md").write_text(text + "\n")
        plot(table, args.out / "hill.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
