"""Returns at several horizons over the kept time series of an experiment.

One run of an hour has only 60 one-minute returns, too few for a tail index, so the 60-second
statistics pool the returns of every run (each run's returns standardised by its own standard
deviation first, so a calm seed and a wild one count alike). The perpetual's and the index's
returns are compared at each horizon: in a calm market arbitrage should make their standard
deviations about equal (spec validation, "Feedback").

    python -m experiments.reports.horizons DIR [DIR ...] [--horizon 1 --horizon 60] [--by KEY]
        [--burn-in 0.1] [--bootstrap 1000] [--plot FILE.png]

DIR is a ``cascade mc`` or ``cascade sweep`` directory written with ``--keep-series``; several
DIRs (the same setting run with other seeds) are pooled as one experiment. With
``--by KEY`` (a swept setting, e.g. ``population.max_leverage``) the runs are pooled per value of
that setting: one block of rows per grid point; repeat ``--by`` to pool per combination of
several swept settings. ``--burn-in`` sets the share of each run dropped first (0.1): traders
who start flat (value funds, trend followers) take some minutes to build their positions.
Runs with value funds add the share of funds at their leverage cap (the ``funds_at_cap``
column) and the share of time the perpetual is above the fundamental value, each over all
windows and over the windows of the Hill tail. ``--plot`` (with one ``--by``) draws the pooled tail index of each tail and the excess kurtosis
against the setting, one line per horizon.

A Hill index pooled over a few thousand returns has only a few dozen in its tail, and whether
it lies inside a target band, or which tail is the heavier, can be chance. ``--bootstrap N``
adds 90% bands: the runs are resampled with replacement N times (whole runs, so the dependence
within a run stays: a cluster bootstrap over seeds) and the pooled statistics recomputed; it
reports the 5th and 95th percentiles of the two-sided Hill index and of down − up (the down
tail's Hill index less the up tail's: negative when the down tail is the heavier), and the
share of resamples in which the down tail is the heavier.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.reports.distributions import markdown_table
from experiments.run.measures import perp_mid, require_uniform_steps
from experiments.run.stylized_facts import excess_kurtosis, hill_tail_index, log_returns

HORIZONS = (1, 60)
BURN_IN = 0.1  # share of each run dropped before returns are taken
BOOTSTRAP_SEED = 0  # the resamples are drawn from this seed: the bands are reproducible


def horizon_returns(prices: np.ndarray, steps: int, burn_in: float = BURN_IN) -> np.ndarray:
    """Non-overlapping log returns over ``steps`` steps, after the ``burn_in`` share of the
    path."""
    one = log_returns(prices, burn_in)
    n = len(one) // steps
    return one[: n * steps].reshape(n, steps).sum(axis=1) if n else np.array([])


def horizon_means(values: np.ndarray, steps: int, burn_in: float = BURN_IN) -> np.ndarray:
    """Mean of a per-step series over the windows of `horizon_returns` (each window's rows from
    the one its return starts at)."""
    v = np.asarray(values, dtype=float)
    start = int(len(v) * burn_in)
    n = (len(v) - start - 1) // steps
    return v[start : start + n * steps].reshape(n, steps).mean(axis=1) if n > 0 else np.array([])


def tail_mask(r: np.ndarray, fraction: float = 0.025) -> np.ndarray:
    """The returns the two-sided Hill index uses: the ``fraction`` largest in size."""
    k = int(fraction * len(r))
    mask = np.zeros(len(r), dtype=bool)
    if k:
        mask[np.argsort(np.abs(r))[::-1][:k]] = True
    return mask


def bootstrap_bands(
    runs: list[np.ndarray], resamples: int, seed: int = BOOTSTRAP_SEED, fraction: float = 0.025
) -> dict[str, float]:
    """90% bands of the pooled Hill index and of down − up over ``resamples`` resamples of the
    runs' (standardised) returns, whole runs drawn with replacement; and the share of resamples
    with the down tail the heavier (its Hill index the lower)."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    rng = np.random.default_rng(seed)
    both, gap = np.empty(resamples), np.empty(resamples)
    for b in range(resamples):
        r = np.concatenate([runs[i] for i in rng.integers(len(runs), size=len(runs))])
        both[b] = hill_tail_index(r, fraction)
        gap[b] = hill_tail_index(r, fraction, tail="negative") - hill_tail_index(
            r, fraction, tail="positive"
        )

    # resamples whose tail is too short to estimate give NaN and are left out
    both, gap = both[np.isfinite(both)], gap[np.isfinite(gap)]

    def band(x: np.ndarray) -> list[float]:
        return np.percentile(x, [5, 95]).tolist() if x.size else [np.nan, np.nan]

    (lo, hi), (gap_lo, gap_hi) = band(both), band(gap)
    return {
        "Hill 2.5% 5%": float(lo),
        "Hill 2.5% 95%": float(hi),
        "down − up 5%": float(gap_lo),
        "down − up 95%": float(gap_hi),
        "down heavier": float(np.mean(gap < 0)) if gap.size else np.nan,
    }


def horizon_table(
    series: list[pd.DataFrame],
    horizons: tuple[int, ...] = HORIZONS,
    burn_in: float = BURN_IN,
    bootstrap: int = 0,
) -> pd.DataFrame:
    """Per horizon: the pooled standardised returns' excess kurtosis and Hill index (2.5%, and
    of each tail), and the median over runs of std(perp) / std(index). Runs with value funds
    (a ``funds_at_cap`` column) add the share of funds at their leverage cap, over all windows
    and over the windows of the Hill tail (the largest 2.5% of returns in size): whether the
    largest moves come while funds are at their cap (TFG's margin spiral); and the share of time
    the perpetual's mid is above the fundamental value (where long-only funds hold nothing),
    over all windows and over the tail's. ``bootstrap`` > 0 adds `bootstrap_bands` from that
    many resamples of the runs."""
    rows = []
    with_funds = bool(series) and all(
        "funds_at_cap" in ts and ts["funds_at_cap"].notna().any() for ts in series
    )
    for h in horizons:
        pooled, ratios, at_cap, above = [], [], [], []
        for ts in series:
            mid = perp_mid(ts).to_numpy(dtype=float)
            perp = horizon_returns(mid, h, burn_in)
            index = horizon_returns(ts["index"].to_numpy(dtype=float), h, burn_in)
            if len(perp) < 3 or not np.std(perp) > 0:
                continue
            pooled.append(perp / np.std(perp))
            if with_funds:
                at_cap.append(horizon_means(ts["funds_at_cap"].to_numpy(), h, burn_in))
                dear = mid > ts["fundamental"].to_numpy(dtype=float)
                above.append(horizon_means(dear, h, burn_in))
            if np.std(index) > 0:
                ratios.append(float(np.std(perp) / np.std(index)))
        if not pooled:
            continue
        r = np.concatenate(pooled)
        funds = {}
        if with_funds:
            share, dear, tail = np.concatenate(at_cap), np.concatenate(above), tail_mask(r)
            funds = {
                "funds at cap": float(np.nanmean(share)),
                "funds at cap, tail": float(np.nanmean(share[tail])),
                # long-only value funds hold nothing while the price is above value
                "above value": float(np.mean(dear)),
                "above value, tail": float(np.mean(dear[tail])),
            }
        down = hill_tail_index(r, 0.025, tail="negative")
        up = hill_tail_index(r, 0.025, tail="positive")
        bands = bootstrap_bands(pooled, bootstrap) if bootstrap else {}
        row = {
            "horizon (s)": h,
            "runs": len(pooled),
            "returns": len(r),
            "excess kurtosis": excess_kurtosis(r),
            "Hill 2.5%": hill_tail_index(r, 0.025),
        }
        if bands:
            row |= {key: bands[key] for key in ("Hill 2.5% 5%", "Hill 2.5% 95%")}
        row |= {"Hill 2.5% down": down, "Hill 2.5% up": up}
        if bands:
            row["down − up"] = down - up
            row |= {key: bands[key] for key in ("down − up 5%", "down − up 95%", "down heavier")}
        row["std perp / std index"] = float(np.median(ratios)) if ratios else float("nan")
        rows.append(row | funds)
    return pd.DataFrame(rows)


def load_series(directory: Path | list[Path], runs: list[int] | None = None) -> list[pd.DataFrame]:
    """Every kept time series under ``directory/runs/<i>/`` (or those of ``runs``), in run
    order; of several directories, each one's in turn (``runs`` then names runs of each)."""
    if isinstance(directory, list):
        return [ts for d in directory for ts in load_series(d, runs)]
    paths = sorted(
        (directory / "runs").glob("*/timeseries.parquet"), key=lambda p: int(p.parent.name)
    )
    if runs is not None:
        wanted = set(runs)
        paths = [p for p in paths if int(p.parent.name) in wanted]
    if not paths:
        raise ValueError(
            f"{str(directory)!r} holds no kept time series (runs/<i>/timeseries.parquet); "
            "run the experiment with --keep-series"
        )
    series = [pd.read_parquet(p) for p in paths]
    for path, ts in zip(paths, series, strict=True):
        require_uniform_steps(ts, path, "returns at a horizon of N steps")
    return series


def grouped_table(
    directory: Path | list[Path],
    by: str | list[str],
    horizons: tuple[int, ...] = HORIZONS,
    burn_in: float = BURN_IN,
    bootstrap: int = 0,
) -> pd.DataFrame:
    """`horizon_table` per value of the swept setting ``by`` (or per combination of the
    settings of a list), read from the experiment's table (``sweep.parquet``; of several sweep
    directories, their runs pooled), with the settings as the first columns."""
    keys = [by] if isinstance(by, str) else list(by)
    directories = directory if isinstance(directory, list) else [directory]
    tables: list[pd.DataFrame] = []
    for d in directories:
        table = d / "sweep.parquet"
        if not table.exists():
            raise ValueError(f"{str(d)!r} is not a sweep (no sweep.parquet) to group by {by!r}")
        tables.append(pd.read_parquet(table).assign(_directory=len(tables)))
    runs = pd.concat(tables, ignore_index=True)
    for key in keys:
        if key not in runs.columns:
            grid = [c for c in runs.columns if "." in c]
            raise ValueError(f"{key!r} is not a column of sweep.parquet; swept settings: {grid}")
    blocks = []
    for values, group in runs.groupby(keys, sort=True):
        series = [
            ts
            for d, rows in group.groupby("_directory", sort=True)
            for ts in load_series(directories[int(d)], rows["run"].tolist())
        ]
        block = horizon_table(series, horizons, burn_in, bootstrap)
        for i, (key, value) in enumerate(zip(keys, values, strict=True)):
            block.insert(i, key, value)
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True)


def horizons_plot(table: pd.DataFrame, by: str, path: Path) -> Path:
    """Pooled Hill index (2.5%) of the down and up tails, and excess kurtosis, against the swept
    setting ``by``, one colour per horizon (a `grouped_table`)."""
    import matplotlib.pyplot as plt

    from experiments.run.axes import setting_axis
    from experiments.run.plots import save_figure

    fig, (tails, kurt) = plt.subplots(1, 2, figsize=(10, 4))
    numeric = pd.api.types.is_numeric_dtype(table[by])
    for i, (horizon, rows) in enumerate(table.groupby("horizon (s)", sort=True)):
        x = rows[by] if numeric else rows[by].astype(str)
        colour = f"C{i}"
        tails.plot(x, rows["Hill 2.5% down"], "o-", color=colour, label=f"{horizon} s, down")
        tails.plot(
            x, rows["Hill 2.5% up"], "s--", color=colour, mfc="none", label=f"{horizon} s, up"
        )
        kurt.plot(x, rows["excess kurtosis"], "o-", color=colour, label=f"{horizon} s")
    if numeric and (table[by] > 0).all() and table[by].max() / table[by].min() >= 10:
        for ax in (tails, kurt):
            ax.set_xscale("log")
    tails.axhspan(2.0, 5.0, color="0.9", zorder=0, label="[2, 5]")
    tails.set(xlabel=by, ylabel="Hill index (2.5%), returns pooled over runs")
    tails.set_title("Tail index of each tail (lower: heavier)")
    kurt.axhline(0.0, color="0.5", lw=0.8)
    kurt.set(xlabel=by, ylabel="excess kurtosis, returns pooled over runs")
    kurt.set_title("Excess kurtosis")
    if numeric:
        for ax in (tails, kurt):
            setting_axis(ax.xaxis, table[by])
    tails.legend(fontsize=8)
    kurt.legend(fontsize=8)
    return save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "directory", type=Path, nargs="+", help="experiment directories, pooled as one"
    )
    parser.add_argument("--horizon", type=int, action="append", help="seconds (repeatable)")
    parser.add_argument(
        "--by",
        action="append",
        help="pool per value of this swept setting (a sweep directory; repeatable)",
    )
    parser.add_argument(
        "--burn-in",
        type=float,
        default=BURN_IN,
        help=f"share of each run dropped before returns are taken, in [0, 1) (default {BURN_IN})",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="N",
        help="add 90%% bands of the pooled Hill index and of down − up from N resamples of the "
        "runs (default 0: none)",
    )
    parser.add_argument(
        "--plot", type=Path, help="PNG of the tails and kurtosis against the --by setting"
    )
    args = parser.parse_args(argv)
    horizons = tuple(args.horizon or HORIZONS)
    if not 0.0 <= args.burn_in < 1.0:
        print(f"error: --burn-in must lie in [0, 1), got {args.burn_in:g}", file=sys.stderr)
        return 2
    if args.bootstrap < 0:
        print(f"error: --bootstrap must be ≥ 0, got {args.bootstrap}", file=sys.stderr)
        return 2
    if args.plot is not None and len(args.by or []) != 1:
        print("error: --plot needs exactly one --by setting to plot against", file=sys.stderr)
        return 2
    try:
        if args.by:
            table = grouped_table(args.directory, args.by, horizons, args.burn_in, args.bootstrap)
        else:
            series = load_series(args.directory)
            table = horizon_table(series, horizons, args.burn_in, args.bootstrap)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(markdown_table(table)))
    if args.plot is not None:
        print(f"wrote {horizons_plot(table, args.by[0], args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
