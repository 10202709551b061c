"""How large must a liquidation be to matter for the length of a step?

Adaptive steps (`model.stepping`) ignore accounts and fills smaller than
``stepping.material_notional``: such an account may be liquidated one long step later than with
one-second steps, and the question is whether its liquidation order could move the price by
more than the market moves anyway. This command runs a scenario at one-second steps and, at
chosen times, prints how far a market sell of each given notional would walk the perpetual's
bids (its average fill against the best bid, in bps; the book is only read) beside the mark's
standard deviation per second over the last 30 s.

    python -m experiments.perf.materiality --scenario flash-crash --seed 703
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from experiments.options import add_set_option
from model.overrides import parse_overrides
from model.scenario import ScenarioError, load_scenario
from model.simulation import CascadeModel

WINDOW = 30  # seconds of one-second mark returns behind each standard deviation
TIMES = (300.0, 590.0, 640.0, 660.0, 700.0, 750.0, 800.0, 900.0, 1200.0)
NOTIONALS = (250_000.0, 1_000_000.0, 4_000_000.0)


def walk_bps(model: CascadeModel, notional: float, contract: int = 0) -> float:
    """How far (bps below the best bid) the average fill of a market sell of ``notional`` USDT
    lies on the perpetual's book now; NaN when the bids cannot fill it."""
    book = model.market.exchange.books[contract]
    best = book.best_bid()
    price = book.impact_price(-1, notional)
    if best is None or price is None:
        return math.nan
    return (1.0 - price / (best * book.tick_size)) * 1e4


def measure(
    scenario_name: str,
    seed: int,
    times: list[float],
    notionals: list[float],
    overrides: dict[str, object] | None = None,
) -> list[dict[str, float]]:
    """One row per time: the walk of each notional (bps) and the mark's one-second standard
    deviation over the last WINDOW seconds (bps), in a run at fixed one-second steps."""
    scenario = load_scenario(scenario_name, {**(overrides or {}), "stepping.policy": "fixed"})
    model = CascadeModel(scenario, rng=np.random.SeedSequence(seed))
    wanted = sorted(times)
    marks: list[float] = []
    rows = []
    while model.running and wanted:
        model.step()
        marks.append(float(model.market.mark[0]))
        if model.clock + 1e-9 >= wanted[0]:
            wanted.pop(0)
            returns = np.diff(np.log(marks[-(WINDOW + 1) :]))
            row = {"time": model.clock, "mark sd (bps/s)": float(np.std(returns)) * 1e4}
            for notional in notionals:
                row[f"{notional / 1e6:g}M walk (bps)"] = walk_bps(model, notional)
            rows.append(row)
    return rows


def table(rows: list[dict[str, float]]) -> list[str]:
    """The rows of `measure` as a Markdown table."""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    for row in rows:
        cells = [f"{row[c]:g}" if c == "time" else f"{row[c]:.1f}" for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="flash-crash")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--times", default=",".join(f"{t:g}" for t in TIMES), help="seconds, comma-separated"
    )
    parser.add_argument(
        "--notional",
        default=",".join(f"{n:g}" for n in NOTIONALS),
        help="USDT sold, comma-separated",
    )
    add_set_option(parser)
    args = parser.parse_args(argv)
    try:
        times = [float(t) for t in args.times.split(",")]
        notionals = [float(n) for n in args.notional.split(",")]
        overrides = parse_overrides(args.overrides)
        load_scenario(args.scenario, overrides)
    except (ValueError, ScenarioError) as exc:
        parser.error(str(exc))
    if any(n <= 0 for n in notionals) or any(t <= 0 for t in times):
        parser.error("--times and --notional must be positive")
    rows = measure(args.scenario, args.seed, times, notionals, overrides)
    if not rows:
        print("no row: every time is after the run's end", file=sys.stderr)
        return 1
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
