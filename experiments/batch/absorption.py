"""Who took the other side of a sell program: position changes by kind of trader.

A sell program has to be bought by someone. This runs one arm of the price-formation targets
(`experiments.batch.price_targets`: the calm market, a long-heavy crowd at a median leverage, a
perpetual sell program of a share of the starting open interest over 60 s) and reports, for each
kind of trader, how much its perpetual position and its spot coins changed from the program's
start to given times (USDT at the mark of each time). The venue's own accounts (insurance fund,
backstop) are one row; an ``unattributed`` row would show anything held by no agent (it is zero).
On each seed the perpetual changes sum to zero (every fill has two sides), and so do the spot
changes; the command prints their medians over seeds, counting a seed where a kind did not
trade as zero. It shows which liquidity a program runs through: the arbitrageurs' capacity and the
informed traders' pace first, then the latent book far from the price.

    python -m experiments.batch.absorption --leverage 2 --share 0.4 --seeds 1,2
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from experiments.batch import price_targets as pt
from experiments.batch.preregistered import checked_overrides, parse_seeds
from experiments.options import add_set_option
from experiments.reports.distributions import markdown_table
from model.simulation import CascadeModel

VENUE = "venue (fund, backstop)"
UNATTRIBUTED = "unattributed"


def holdings(model: CascadeModel, contract: int = 0) -> tuple[dict[str, float], dict[str, float]]:
    """Base units of the perpetual held and spot coins held, summed by kind of trader (the
    venue's own accounts as one kind)."""
    ledger = model.ledger
    lots = ledger.lots[:, contract].astype(float) * float(ledger.lot[contract])
    perp: dict[str, float] = defaultdict(float)
    coins: dict[str, float] = defaultdict(float)
    owned = np.zeros(len(lots), dtype=bool)
    for account, kind in model.population.account_kinds().items():
        perp[kind] += float(lots[account])
        owned[account] = True
    spot = model.spot
    for agent in model.agents:
        kind = str(getattr(agent, "kind", type(agent).__name__))
        spot_account = getattr(agent, "spot_account", None)
        if spot_account is None:  # a sell or buy program on spot keeps it in its gateway
            spot_account = getattr(getattr(agent, "spot_gateway", None), "account", None)
        if spot is not None and isinstance(spot_account, int | np.integer):
            coins[kind] += float(spot.coins[spot_account, contract])
    system = ledger.system[: len(lots)] & ~owned
    perp[VENUE] += float(lots[system].sum())
    # whatever no agent and no venue account holds (zero unless an account was missed)
    perp[UNATTRIBUTED] = float(lots.sum()) - sum(perp.values())
    if spot is not None:
        coins[UNATTRIBUTED] = float(spot.coins[:, contract].sum()) - sum(coins.values())
    return dict(perp), dict(coins)


def absorption(
    leverage: float,
    share: float,
    seed: int,
    at: list[float],
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per (time, kind), every kind present at the start or then (zeros included, so
    that medians over seeds count the seeds where a kind did nothing): the change of the
    perpetual position and of the spot coins since the program's start, in USDT at the mark of
    that time, and the mark's fall so far. ``at``: simulated times after ``TRIGGER_START``."""
    if not at or min(at) <= pt.TRIGGER_START:
        raise ValueError("every time must be after the program's start")
    duration = max(max(at), pt.TRIGGER_START + pt.TRIGGER_SECONDS) + 1.0
    base = pt.base_scenario(pt.HIGH, duration, "flow", extra)
    trigger = share * pt.starting_open_interest(seed, base)
    scenario = pt.arm_scenario(pt.Arm(leverage, share), trigger, duration, "flow", extra)
    model = CascadeModel(scenario, rng=np.random.SeedSequence(seed))
    while model.running and model.clock < pt.TRIGGER_START - 1e-9:
        model.step()
    start_perp, start_coins = holdings(model)
    start_mark = float(model.mark[0])
    rows = []
    for t in sorted(at):
        while model.running and model.clock < t - 1e-9:
            model.step()
        perp, coins = holdings(model)
        mark = float(model.mark[0])
        for kind in sorted(set(perp) | set(coins) | set(start_perp) | set(start_coins)):
            d_perp = perp.get(kind, 0.0) - start_perp.get(kind, 0.0)
            d_coins = coins.get(kind, 0.0) - start_coins.get(kind, 0.0)
            rows.append(
                {
                    "seed": seed,
                    "seconds after start": model.clock - pt.TRIGGER_START,
                    "kind": kind,
                    "perp (M USDT)": d_perp * mark / 1e6,
                    "spot (M USDT)": d_coins * mark / 1e6,
                    "fall (%)": (1.0 - mark / start_mark) * 100.0,
                    "trigger (M USDT)": trigger / 1e6,
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leverage", type=float, default=pt.LOW, help="the crowd's median")
    parser.add_argument("--share", type=float, default=0.4, help="of the open interest, in (0, 1]")
    parser.add_argument(
        "--seeds",
        default="1",
        help="comma-separated, or targets / held-out (the price targets' seeds)",
    )
    parser.add_argument(
        "--at",
        default="60,240",
        help="seconds after the program's start, comma-separated, each above 0 (the program "
        "lasts 60 s)",
    )
    add_set_option(parser)
    args = parser.parse_args(argv)
    seeds = parse_seeds(parser, args.seeds, pt.TARGET_SEEDS, pt.HELD_OUT_SEEDS)
    if any(seed < 0 for seed in seeds):
        parser.error("--seeds must be non-negative")
    try:
        after = [float(s) for s in args.at.split(",")]
    except ValueError:
        parser.error(f"--at takes comma-separated numbers of seconds, got {args.at!r}")
    if min(after) <= 0:
        parser.error("--at: every time must be after the program's start (above 0)")
    if not 0 < args.share <= 1:
        parser.error("--share must be in (0, 1]")
    at = [pt.TRIGGER_START + t for t in after]
    extra = checked_overrides(
        parser,
        args.overrides,
        lambda settings: pt.arm_scenario(
            pt.Arm(args.leverage, args.share), 1.0, max(at) + 61.0, "flow", settings
        ),
    )
    frames = []
    for seed in seeds:
        print(f"seed {seed} ...", file=sys.stderr, flush=True)
        frames.append(absorption(args.leverage, args.share, seed, at, extra))
    rows = pd.concat(frames, ignore_index=True)
    print(
        f"A sell program of {args.share:.0%} of open interest over 60 s, crowd at median "
        f"{args.leverage:g}x; position changes since its start (medians over seeds "
        f"{','.join(map(str, seeds))}):\n"
    )
    table = (
        rows.groupby(["seconds after start", "kind"])[["perp (M USDT)", "spot (M USDT)"]]
        .median()
        .round(2)
        .reset_index()
    )
    moved = (table["perp (M USDT)"] != 0) | (table["spot (M USDT)"] != 0)
    print("\n".join(markdown_table(table[moved])))
    per_seed = rows.groupby(["seconds after start", "seed"])["fall (%)"].first()
    falls = per_seed.groupby(level=0).median().round(2)
    print("\nmedian fall of the mark (%): " + ", ".join(f"{t:g} s: {v}" for t, v in falls.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
