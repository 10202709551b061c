"""Where a cascade starts: the same sell program against more or fewer dip buyers on the perpetual.

The price-formation targets' sell program (`experiments.batch.price_targets`: the calm market, a
long-heavy crowd, a perpetual sell program of a share of the starting open interest over 60 s),
at median leverage 2x and 25x, with ``prices.informed_perp_traders`` informed traders on the
perpetual (`agents.informed_perp`: dip buyers who know the value) for each count asked, on the
same seeds. Per count it reports the median fall of the mark at both leverages, the paired ratio
of the falls (25x over 2x) with its 90% band, and the share of seeds on which the 25x crowd's
liquidations exceed the trigger: where that share drops from most seeds to few, the program no
longer sets off a cascade.

    python -m experiments.batch.dip_buyers                        # 0, 1, 2, 3, 5, 8 traders
    python -m experiments.batch.dip_buyers --counts 0,5 --seeds 1,2 --out DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.batch import price_targets as pt
from experiments.batch.executor import Job
from experiments.batch.preregistered import (
    BANDS,
    bootstrap_band,
    checked_overrides,
    parse_seeds,
    run_jobs,
)
from experiments.options import add_set_option
from experiments.reports.distributions import markdown_table

COUNTS = (0, 1, 2, 3, 5, 8)
KEY = "prices.informed_perp_traders"


def run(
    seeds: list[int],
    counts: list[int],
    share: float,
    duration: float,
    workers: int | None,
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per (seed, count, leverage): the fall and the liquidated notional per trigger."""
    jobs: list[Job] = []
    meta: list[tuple[int, int, float]] = []
    base = pt.base_scenario(pt.HIGH, duration, "flow", extra)
    for s_index, seed in enumerate(seeds):
        trigger = share * pt.starting_open_interest(seed, base)
        for count in counts:
            for leverage in (pt.LOW, pt.HIGH):
                settings = {**(extra or {}), KEY: count}
                scenario = pt.arm_scenario(
                    pt.Arm(leverage, share), trigger, duration, "flow", settings
                )
                meta.append((seed, count, leverage))
                seq = np.random.SeedSequence(seed)
                jobs.append(Job(len(jobs), counts.index(count), s_index, seq, scenario))
    labels = [f"seed {seed}, {count} traders, {leverage:g}x" for seed, count, leverage in meta]
    records = run_jobs(jobs, labels, workers)
    rows = [
        {
            "seed": seed,
            "traders": count,
            "leverage": leverage,
            "drawdown_pct": record["summary"]["trigger_drawdown_pct"],
            "liquidated_per_trigger": record["summary"]["liquidated_per_trigger"],
        }
        for (seed, count, leverage), record in zip(meta, records, strict=True)
    ]
    return pd.DataFrame(rows).sort_values(["traders", "seed", "leverage"]).reset_index(drop=True)


def table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per count of dip buyers: median falls, the paired ratio with its band, and the
    share of seeds whose 25x liquidations exceed the trigger (with its band)."""
    rows = []
    for count, sub in runs.groupby("traders"):
        falls = sub.pivot(index="seed", columns="leverage", values="drawdown_pct")
        liq = sub[sub["leverage"] == pt.HIGH]["liquidated_per_trigger"].to_numpy(float)
        ratio = (falls[pt.HIGH] / falls[pt.LOW]).to_numpy(float)
        cascades = (liq > 1.0).astype(float)
        r_lo, r_hi = bootstrap_band(ratio, np.median)
        c_lo, c_hi = bootstrap_band(cascades, np.mean)
        rows.append(
            {
                "dip buyers": int(count),  # type: ignore[call-overload]
                "fall 2x (%)": float(falls[pt.LOW].median()),
                "fall 25x (%)": float(falls[pt.HIGH].median()),
                "ratio 25x/2x": float(np.median(ratio)),
                "ratio 5%": r_lo,
                "ratio 95%": r_hi,
                "liquidated > trigger at 25x": float(cascades.mean()),
                "share 5%": c_lo,
                "share 95%": c_hi,
            }
        )
    return pd.DataFrame(rows)


def plot(runs: pd.DataFrame, path: Path) -> None:
    """The falls at both leverages, and the share of seeds that cascade, against the count."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.6), layout="constrained")
    for leverage in (pt.LOW, pt.HIGH):
        grouped = runs[runs["leverage"] == leverage].groupby("traders")["drawdown_pct"]
        med = grouped.median()
        lo, hi = grouped.quantile(BANDS[0]), grouped.quantile(BANDS[1])
        left.plot(med.index, med.values, marker="o", label=f"median leverage {leverage:g}x")
        left.fill_between(med.index, lo.values, hi.values, alpha=0.2)
    left.set_xlabel("informed traders on the perpetual")
    left.set_ylabel("fall of the mark, % (median, 5–95%)")
    left.legend()
    high = runs[runs["leverage"] == pt.HIGH]
    share = high.groupby("traders")["liquidated_per_trigger"].apply(lambda x: float((x > 1).mean()))
    right.plot(share.index, share.values, marker="o", color="C1")
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("informed traders on the perpetual")
    right.set_ylabel("share of seeds: liquidated > trigger at 25x")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        default="targets",
        help="targets / held-out (the price targets' seeds) or a list N,M,...",
    )
    parser.add_argument(
        "--counts",
        default=",".join(map(str, COUNTS)),
        help="informed traders on the perpetual, comma-separated",
    )
    parser.add_argument("--share", type=float, default=0.4, help="of the open interest, in (0, 1]")
    parser.add_argument(
        "--duration", type=float, default=pt.DEFAULT_DURATION, help="seconds per run"
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, help="write runs.csv, table.md and the plot here")
    add_set_option(parser)
    args = parser.parse_args(argv)
    seeds = parse_seeds(parser, args.seeds, pt.TARGET_SEEDS, pt.HELD_OUT_SEEDS)
    try:
        counts = sorted({int(c) for c in args.counts.split(",")})
    except ValueError:
        parser.error(f"--counts takes comma-separated whole numbers, got {args.counts!r}")
    if min(counts) < 0:
        parser.error("--counts must be 0 or more")
    if not 0 < args.share <= 1:
        parser.error("--share must be in (0, 1]")
    if args.duration <= pt.TRIGGER_START + pt.TRIGGER_SECONDS:
        parser.error(f"--duration must exceed {pt.TRIGGER_START + pt.TRIGGER_SECONDS:g} s")
    extra = checked_overrides(
        parser,
        args.overrides,
        lambda settings: pt.arm_scenario(
            pt.Arm(pt.HIGH, args.share), 1.0, args.duration, "flow", settings
        ),
    )
    print(f"seeds: {','.join(map(str, seeds))}; dip buyers: {counts}", file=sys.stderr)
    runs = run(seeds, counts, args.share, args.duration, args.workers, extra)
    text = "\n".join(markdown_table(table(runs).round(3)))
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        runs.to_csv(args.out / "runs.csv", index=False)
        (args.out / "table.md").write_text(text + "\n")
        plot(runs, args.out / "dip_buyers.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
