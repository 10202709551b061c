"""Does every preset still show what it is for? Each preset's purpose, on pre-registered paired
seeds, with prices made by trading or told to the makers.

    python -m experiments.batch.preset_purposes                   # the 20 target seeds
    python -m experiments.batch.preset_purposes --seeds held-out
    python -m experiments.batch.preset_purposes --prices value    # the scripted baseline
    python -m experiments.batch.preset_purposes --only flash-crash,calm --seeds 1,2

The preset table (docs/scenarios.md) says what each preset is for. Each purpose becomes one or
two checks over seeds, each with a bar on the share of seeds where it holds:

* ``flash-crash``: a long cascade (≥ 5 linked liquidations) on ≥ 80% of seeds, and liquidation
  orders in the book deepen the fall beyond impact-free close-outs (``venue.liquidation.impact
  = off_book``, same seed) on ≥ 80%;
* ``short-squeeze``: shorts are liquidated and no long is, after the trigger, on every seed, and
  the book's liquidation orders lift the mark further than close-outs off the book on ≥ 80%;
* ``oct-10-2025``: the backstop's losses reach ADL on ≥ 80% of seeds, and, on the seeds where
  ADL fired, the ADL'd are the winning side (shorts, ≥ 90% of fills) on ≥ 80% of them;
* ``cross-margin-contagion``: only ETH is hit, yet there are more BTC liquidation events (a
  partial liquidation counts each time) with the preset's cross accounts than when every
  account is isolated, on ≥ 80% of seeds;
* ``calm`` and ``no-leverage``: no liquidation and no ADL on every seed.

``--prices flow`` and ``value`` set ``prices.makers_know_value`` for every run; by default each
preset runs as it is (prices made by trading, the presets' default). The seeds were fixed before
any run of them (``TARGET_SEEDS``, ``HELD_OUT_SEEDS``); bands are 90% bootstrap intervals over
seeds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.batch.preregistered import bootstrap_band, map_in_workers, parse_seeds, target_row
from experiments.reports.distributions import markdown_table
from experiments.run.runner import run_scenario
from model.scenario import load_scenario

# fixed on 2026-12-07, before any run of these seeds
TARGET_SEEDS = tuple(range(3101, 3121))
HELD_OUT_SEEDS = tuple(range(11101, 11121))
BAR = 0.8  # share of seeds on which a comparison must hold
OFF_BOOK = {"venue.liquidation.impact": "off_book"}

# each arm: (preset, overrides); the measures of one run are a flat dict (``measure``)
ARMS: dict[str, tuple[str, dict[str, Any]]] = {
    "flash-crash": ("flash-crash", {}),
    "flash-crash off_book": ("flash-crash", OFF_BOOK),
    "short-squeeze": ("short-squeeze", {}),
    "short-squeeze off_book": ("short-squeeze", OFF_BOOK),
    "oct-10-2025": ("oct-10-2025", {}),
    "cross-margin-contagion": ("cross-margin-contagion", {}),
    "cross-margin-contagion isolated": (
        "cross-margin-contagion",
        {"population.isolated_share": 1.0},
    ),
    "calm": ("calm", {}),
    "no-leverage": ("no-leverage", {}),
}


def measure(arm: str, prices: str | None, seed: int) -> dict[str, Any]:
    """Run one arm on one seed (in a worker) and keep what the checks read."""
    preset, extra = ARMS[arm]
    if prices is not None:
        extra = {**extra, "prices.makers_know_value": prices == "value"}
    scenario = load_scenario(preset, extra)
    result = run_scenario(scenario, np.random.SeedSequence(seed))
    s, events = result.summary, result.events
    liquidations = events[events["kind"] == "liquidation"]
    adl = events[events["kind"] == "adl"]
    start = scenario.shock_start
    after = liquidations if start is None else liquidations[liquidations["time"] >= start]
    return {
        "arm": arm,
        "seed": seed,
        "liquidations": len(liquidations),
        "adl": len(adl),
        # an ADL event's side is the bankrupt position's: longs (1) when shorts are closed
        "adl_long_bankrupt_share": float((adl["side"] == 1).mean()) if len(adl) else np.nan,
        "largest_cascade": s["largest_cascade_liquidations"],
        "drawdown": s["max_drawdown_pct"],
        "runup": s["max_runup_pct"],
        "longs_after_trigger": int((after["side"] == 1).sum()),
        "shorts_after_trigger": int((after["side"] == -1).sum()),
        "btc_liquidations": int((liquidations["contract"] == 0).sum()),
    }


def share_check(label: str, holds: np.ndarray, bar: float) -> dict[str, Any]:
    """A check that holds on a share of seeds (``holds``: one bool per seed)."""
    values = np.asarray(holds, dtype=float)
    share = float(values.mean())
    band = bootstrap_band(values, lambda rows: float(rows.mean()))
    return target_row(label, share, band, f"≥ {bar:g} of seeds", share >= bar - 1e-12)


def checks(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per check, over the arms present in ``runs`` (one row per arm and seed)."""
    table = runs.set_index(["arm", "seed"]).sort_index()
    arms = set(runs["arm"])

    def column(arm: str, field: str) -> pd.Series:
        return table.loc[arm, field]

    rows = []

    def paired(label: str, a: str, b: str, field: str, better: Callable[[Any, Any], Any]) -> None:
        if a in arms and b in arms:
            left, right = column(a, field).align(column(b, field), join="inner")
            rows.append(share_check(label, np.asarray(better(left, right)), BAR))

    if "flash-crash" in arms:
        holds = column("flash-crash", "largest_cascade") >= 5
        rows.append(share_check("flash-crash: a cascade of ≥ 5 linked liquidations", holds, BAR))
    paired(
        "flash-crash: the book's orders deepen the fall (drawdown book > off_book)",
        "flash-crash",
        "flash-crash off_book",
        "drawdown",
        lambda a, b: a > b,
    )
    if "short-squeeze" in arms:
        squeeze = table.loc["short-squeeze"]
        holds = (squeeze["shorts_after_trigger"] > 0) & (squeeze["longs_after_trigger"] == 0)
        rows.append(share_check("short-squeeze: shorts liquidated, no long", holds, 1.0))
    paired(
        "short-squeeze: the book's orders lift the mark further (run-up book > off_book)",
        "short-squeeze",
        "short-squeeze off_book",
        "runup",
        lambda a, b: a > b,
    )
    if "oct-10-2025" in arms:
        octo = table.loc["oct-10-2025"]
        rows.append(share_check("oct-10-2025: losses reach ADL", octo["adl"] > 0, BAR))
        fired = octo.loc[octo["adl"] > 0, "adl_long_bankrupt_share"]
        if len(fired):
            rows.append(
                share_check(
                    "oct-10-2025: ≥ 90% of ADL fills close shorts (seeds with ADL)",
                    fired >= 0.9,
                    BAR,
                )
            )
    paired(
        "cross-margin-contagion: more BTC liquidations with cross accounts than all isolated",
        "cross-margin-contagion",
        "cross-margin-contagion isolated",
        "btc_liquidations",
        lambda a, b: a > b,
    )
    for quiet in ("calm", "no-leverage"):
        if quiet in arms:
            q = table.loc[quiet]
            holds = (q["liquidations"] == 0) & (q["adl"] == 0)
            rows.append(share_check(f"{quiet}: no liquidation and no ADL", holds, 1.0))
    return rows


def medians(runs: pd.DataFrame) -> pd.DataFrame:
    """Median of each measure per arm, for the report."""
    fields = ["liquidations", "adl", "largest_cascade", "drawdown", "runup", "btc_liquidations"]
    return runs.groupby("arm", sort=False)[fields].median().reset_index()


def _measure_task(task: tuple[str, str | None, int]) -> dict[str, Any]:
    return measure(*task)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="targets", help="targets, held-out or N,M,...")
    parser.add_argument(
        "--prices",
        choices=("preset", "flow", "value"),
        default="preset",
        help="preset: as each preset sets it (default); flow or value: for every run",
    )
    parser.add_argument("--only", default=None, help="comma-separated presets (default: all)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write runs.csv and checks.md")
    parser.add_argument(
        "--runs", type=Path, default=None, help="re-make the tables from a runs.csv written before"
    )
    args = parser.parse_args(argv)
    if args.runs is not None:
        runs = pd.read_csv(args.runs)
        print("\n".join(markdown_table(pd.DataFrame(checks(runs)))))
        return 0
    seeds = parse_seeds(parser, args.seeds, TARGET_SEEDS, HELD_OUT_SEEDS)
    arms = list(ARMS)
    if args.only:
        wanted = {p.strip() for p in args.only.split(",")}
        unknown = wanted - {preset for preset, _ in ARMS.values()}
        if unknown:
            parser.error(f"--only: unknown preset(s) {', '.join(sorted(unknown))}")
        arms = [a for a in arms if ARMS[a][0] in wanted]
    prices = None if args.prices == "preset" else args.prices
    print(f"prices: {args.prices}; seeds: {','.join(map(str, seeds))}", file=sys.stderr)
    tasks = [(arm, prices, seed) for arm in arms for seed in seeds]
    runs = pd.DataFrame(map_in_workers(_measure_task, tasks, args.workers))
    table = markdown_table(pd.DataFrame(checks(runs)))
    print("\n".join(table))
    print()
    print("\n".join(markdown_table(medians(runs))))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        runs.to_csv(args.out / "runs.csv", index=False)
        (args.out / "checks.md").write_text("\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
