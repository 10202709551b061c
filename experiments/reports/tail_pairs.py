"""Which returns make each run's tail, in the two arms of the liquidation ablation.

The ablation (spec validation, "Returns") asks whether impact-free close-outs raise the Hill
index of returns on paired seeds. When they do not, this report tells why: per seed, how many
of each arm's tail returns (the largest ``fraction`` in size, those the Hill index is taken over)
fall within ``window`` seconds of one of that arm's liquidations, and how many of the book arm's
tail returns are tail returns of the off_book arm too, at the same second. Both arms share their
random draws (`model.randomness`), so a low overlap means the books themselves have parted.

    python -m experiments.reports.tail_pairs DIR [DIR ...] [--fraction 0.025] [--window 1]
        [--burn-in 0.1] [--per-seed] [--plot FILE.png]

Each DIR is a ``cascade sweep`` with ``--grid venue.liquidation.impact=book,off_book`` written with
``--keep-series``. The Hill index is the one of the ``return_hill_2_5pct`` summary field: one-step
log returns of the perpetual's mid after the burn-in. ``--plot`` draws every seed's pair, the
book arm's Hill index against the off_book arm's, one colour per DIR: a seed above the diagonal
is one where impact-free close-outs thin the tail, as the spec's ablation expects.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.reports.amplification import IMPACT_KEY
from experiments.reports.distributions import markdown_table
from experiments.run.measures import near, require_uniform_steps
from experiments.run.stylized_facts import hill_tail_index, log_returns

FRACTION = 0.025
WINDOW = 1.0  # seconds between a tail return's end and a liquidation
BURN_IN = 0.1


def tail_times(
    timeseries: pd.DataFrame, fraction: float, burn_in: float
) -> tuple[float, np.ndarray]:
    """The Hill index of the run's one-step mid returns, and the end times of its tail returns
    (the ``fraction`` largest in size), sorted."""
    mid = ((timeseries["best_bid"] + timeseries["best_ask"]) / 2.0).to_numpy(dtype=float)
    r = log_returns(mid, burn_in)
    times = timeseries["time"].to_numpy(dtype=float)[len(mid) - len(r) :]
    k = int(fraction * len(r))
    tail = np.sort(times[np.argsort(-np.abs(r), kind="stable")[:k]])
    return hill_tail_index(r, fraction), tail


def _arm(run_dir: Path, fraction: float, window: float, burn_in: float) -> dict[str, object]:
    ts = pd.read_parquet(run_dir / "timeseries.parquet", columns=["time", "best_bid", "best_ask"])
    require_uniform_steps(ts, run_dir, "one-step returns")
    events = pd.read_parquet(run_dir / "events.parquet", columns=["kind", "time"])
    liquidations = np.sort(events.loc[events["kind"] == "liquidation", "time"].to_numpy(float))
    hill, tail = tail_times(ts, fraction, burn_in)
    return {
        "hill": hill,
        "tail": tail,
        "near": int(near(tail, liquidations, window).sum()),
        "liquidations": int(liquidations.size),
    }


def pair_table(
    directory: Path, fraction: float = FRACTION, window: float = WINDOW, burn_in: float = BURN_IN
) -> pd.DataFrame:
    """One row per seed: each arm's Hill index and liquidation events, its tail returns near a
    liquidation, and the share of the book arm's tail returns that are the off_book arm's too."""
    table = directory / "sweep.parquet"
    if not table.exists():
        raise ValueError(f"{str(directory)!r} is not a sweep (no sweep.parquet)")
    runs = pd.read_parquet(table)
    if IMPACT_KEY not in runs.columns:
        raise ValueError(f"{str(directory)!r} is not a sweep over {IMPACT_KEY}")
    run_of = runs.pivot_table(index="seed_index", columns=IMPACT_KEY, values="run", aggfunc="first")
    missing = {"book", "off_book"} - set(run_of.columns)
    if missing:
        raise ValueError(f"the sweep has no {' or '.join(sorted(missing))} arm")
    rows = []
    for seed, (book_run, off_run) in run_of[["book", "off_book"]].dropna().iterrows():
        arms = {}
        for name, run in (("book", book_run), ("off_book", off_run)):
            run_dir = directory / "runs" / str(int(run))
            if not (run_dir / "timeseries.parquet").exists():
                raise ValueError(
                    f"{str(run_dir)!r} holds no kept time series; run the sweep with --keep-series"
                )
            arms[name] = _arm(run_dir, fraction, window, burn_in)
        book, off = arms["book"], arms["off_book"]
        tail_b, tail_o = np.asarray(book["tail"]), np.asarray(off["tail"])
        rows.append(
            {
                "seed_index": int(seed),
                "hill book": book["hill"],
                "hill off_book": off["hill"],
                "tail returns": int(tail_b.size),
                "near a liquidation, book": book["near"],
                "near a liquidation, off_book": off["near"],
                "shared with off_book": (
                    np.intersect1d(tail_b, tail_o).size / tail_b.size if tail_b.size else np.nan
                ),
                "liquidations book": book["liquidations"],
                "liquidations off_book": off["liquidations"],
            }
        )
    return pd.DataFrame(rows)


def summary(pairs: pd.DataFrame) -> pd.DataFrame:
    """The medians and 5–95% bands of `pair_table`'s columns, and on how many seeds the off_book
    arm has the higher Hill index (the ablation's count), the lower, or the same."""
    rows = []
    for column in pairs.columns.drop("seed_index"):
        v = pairs[column].astype(float)
        rows.append(
            {
                "": column,
                "median": v.median(),
                "5%": v.quantile(0.05),
                "95%": v.quantile(0.95),
            }
        )
    up = pairs["hill off_book"] > pairs["hill book"]
    down = pairs["hill off_book"] < pairs["hill book"]
    rows.append(
        {
            "": "seeds: off_book raises Hill / lowers it / same",
            "median": f"{int(up.sum())} / {int(down.sum())} / {len(pairs) - int(up.sum() + down.sum())}",
            "5%": "",
            "95%": "",
        }
    )
    return pd.DataFrame(rows)


def pairs_plot(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Each seed's Hill index with liquidation orders in the book (x) and off it (y), one colour
    per experiment, with the diagonal: above it, impact-free close-outs thin the tail."""
    import matplotlib.pyplot as plt

    from experiments.run.plots import save_figure

    fig, ax = plt.subplots(figsize=(6, 5.5))
    values = []
    for i, (name, pairs) in enumerate(tables.items()):
        x, y = pairs["hill book"].astype(float), pairs["hill off_book"].astype(float)
        up = int((y > x).sum())
        ax.scatter(x, y, s=22, color=f"C{i}", label=f"{name}: {up} of {len(pairs)} above")
        values.extend([*x[np.isfinite(x)], *y[np.isfinite(y)]])
    if values:
        low, high = min(values) * 0.9, max(values) * 1.1
        ax.plot([low, high], [low, high], color="0.4", lw=1, ls="--", zorder=0)
        ax.set(xlim=(low, high), ylim=(low, high))
    ax.set(
        xlabel="Hill index (2.5%), liquidation orders in the book",
        ylabel="Hill index (2.5%), impact-free close-outs",
        title="Ablation, paired seeds (above the diagonal: off_book thins the tail)",
    )
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", type=Path, nargs="+", metavar="DIR")
    parser.add_argument("--fraction", type=float, default=FRACTION, help="tail share (0.025)")
    parser.add_argument("--window", type=float, default=WINDOW, help="seconds (1)")
    parser.add_argument("--burn-in", type=float, default=BURN_IN, help="share dropped (0.1)")
    parser.add_argument("--per-seed", action="store_true", help="print the per-seed table too")
    parser.add_argument("--plot", type=Path, help="PNG of every seed's pair of Hill indices")
    args = parser.parse_args(argv)
    if not 0.0 < args.fraction < 0.5:
        print(f"error: --fraction must lie in (0, 0.5), got {args.fraction:g}", file=sys.stderr)
        return 2
    if not args.window >= 0.0:
        print(f"error: --window must be ≥ 0 seconds, got {args.window:g}", file=sys.stderr)
        return 2
    if not 0.0 <= args.burn_in < 1.0:
        print(f"error: --burn-in must lie in [0, 1), got {args.burn_in:g}", file=sys.stderr)
        return 2
    tables = {}
    for directory in args.directories:
        try:
            pairs = pair_table(directory, args.fraction, args.window, args.burn_in)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if pairs.empty:
            print(f"error: no seed of {str(directory)!r} has both arms", file=sys.stderr)
            return 2
        tables[directory.name] = pairs
        if len(args.directories) > 1:
            print(f"## {directory}\n")
        if args.per_seed:
            print("\n".join(markdown_table(pairs)))
            print()
        print("\n".join(markdown_table(summary(pairs))))
        print()
    if args.plot is not None:
        print(f"wrote {pairs_plot(tables, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
