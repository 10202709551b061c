"""How well do prices made by trading follow the value signal? The checks the flow mode's
numbers were chosen by (calm markets and news, never the crash targets).

    python -m experiments.batch.price_checks                       # the defaults, seeds 1,2,3
    python -m experiments.batch.price_checks --impact 3,6,10,15,20  # one row per impact_bps
    python -m experiments.batch.price_checks --set prices.informed_position_per_bps=10000

With ``prices.makers_know_value = false`` nobody but the informed spot traders sees the value
signal, so two things can go wrong: prices that lag the value (too little impact per trade, or
informed traders too slow or too small) and prices that run away from it (noise flow moving
them more than informed flow brings them back). Each row runs, on each seed:

* **calm**: the calm market for an hour (the first 5 minutes dropped): the mark's standard
  deviation of 1- and 5-minute log returns over the value signal's, the standard deviation of
  the gap between mark and value (bps), and the variance ratio of 10-minute to 1-minute returns;
* **news**: the calm market with a 5% drop of the value signal at 10 minutes (over 10 s): the
  share of the drop the mark has made 5 and 20 minutes later.

The medians over seeds are printed, one row per setting. Seeds 1, 2 and 3 are development seeds;
the crash targets (`experiments.batch.price_targets`) use other, pre-registered ones.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd

from experiments.batch.preregistered import map_in_workers
from experiments.options import add_set_option
from experiments.reports.distributions import markdown_table
from experiments.run.runner import run_scenario
from model.overrides import parse_overrides
from model.scenario import Scenario, ScenarioError, load_scenario

DEFAULT_SEEDS = (1, 2, 3)
CALM_SECONDS, BURN_IN = 3600.0, 300.0
NEWS_AT, NEWS_PCT, NEWS_SECONDS = 600.0, -5.0, 1800.0


def calm_scenario(extra: dict[str, Any]) -> Scenario:
    """The calm market for an hour, prices made by trading."""
    return load_scenario(
        "calm", {"prices.makers_know_value": False, "duration": CALM_SECONDS, **extra}
    )


def news_scenario(extra: dict[str, Any]) -> Scenario:
    """The calm market with a drop of the value signal (news only the informed see)."""
    shock = {"start": NEWS_AT, "duration": 10.0, "change_pct": NEWS_PCT}
    return load_scenario(
        "calm",
        {
            "prices.makers_know_value": False,
            "duration": NEWS_SECONDS,
            "index.shocks": [shock],
            **extra,
        },
    )


def calm_measures(timeseries: pd.DataFrame) -> dict[str, float]:
    """How the mark follows the value signal in a calm run (after the burn-in)."""
    ts = timeseries[timeseries["time"] > BURN_IN]
    mark = np.log(ts["mark"].to_numpy(dtype=float))
    value = np.log(ts["fundamental"].to_numpy(dtype=float))

    def std_ratio(every: int) -> float:
        return float(np.diff(mark[::every]).std() / np.diff(value[::every]).std())

    one, ten = np.diff(mark[::60]), np.diff(mark[::600])
    return {
        "1-min std / value's": std_ratio(60),
        "5-min std / value's": std_ratio(300),
        "gap sd (bps)": float(np.std(mark - value) * 1e4),
        "variance ratio 10/1 min": float(ten.var() / (10.0 * one.var())),
    }


def news_measures(timeseries: pd.DataFrame) -> dict[str, float]:
    """The share of the value signal's drop the mark has made 5 and 20 minutes after it."""
    time = timeseries["time"].to_numpy(dtype=float)
    mark = timeseries["mark"].to_numpy(dtype=float)
    value = timeseries["fundamental"].to_numpy(dtype=float)
    before = int(np.flatnonzero(time <= NEWS_AT)[-1])
    out = {}
    for minutes in (5, 20):
        at = int(np.flatnonzero(time >= NEWS_AT + 60.0 * minutes)[0])
        drop = np.log(value[at] / value[before])
        out[f"news in price at {minutes} min"] = float(np.log(mark[at] / mark[before]) / drop)
    return out


def measure(task: tuple[int, int, str, Scenario]) -> tuple[int, dict[str, float]]:
    """Run one (setting, seed, calm|news, scenario) task and measure it (in a worker)."""
    setting, seed, kind, scenario = task
    timeseries = run_scenario(scenario, np.random.SeedSequence(seed)).timeseries
    return setting, calm_measures(timeseries) if kind == "calm" else news_measures(timeseries)


def run_checks(
    settings: list[dict[str, Any]], seeds: list[int], workers: int | None
) -> pd.DataFrame:
    """One row per setting: the medians over seeds of the calm and news measures."""
    tasks = [
        (i, seed, kind, calm_scenario(extra) if kind == "calm" else news_scenario(extra))
        for i, extra in enumerate(settings)
        for seed in seeds
        for kind in ("calm", "news")
    ]
    merged: list[dict[str, list[float]]] = [{} for _ in settings]
    for i, measures in map_in_workers(measure, tasks, workers):
        for key, value in measures.items():
            merged[i].setdefault(key, []).append(value)
    rows = []
    for extra, values in zip(settings, merged, strict=True):
        label = ", ".join(f"{k}={v}" for k, v in extra.items()) or "defaults"
        rows.append({"setting": label, **{k: float(np.median(v)) for k, v in values.items()}})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default=",".join(map(str, DEFAULT_SEEDS)))
    parser.add_argument(
        "--impact", help="comma-separated prices.impact_bps values, one row each (a scan)"
    )
    add_set_option(parser)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
        extra = parse_overrides(args.overrides)
        impacts = [float(x) for x in args.impact.split(",")] if args.impact else []
        settings = [{**extra, "prices.impact_bps": x} for x in impacts] or [extra]
        for setting in settings:
            calm_scenario(setting)
    except (ValueError, ScenarioError) as exc:
        parser.error(str(exc))
    table = run_checks(settings, seeds, args.workers)
    print(f"seeds {','.join(map(str, seeds))}; medians over seeds")
    print("\n".join(markdown_table(table)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
