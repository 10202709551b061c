"""The ADL policy study: a sweep over ``venue.adl.ranking`` compared on paired seeds.

Chitra (arXiv 2512.01112) separates how much loss ADL socialises from who pays. Per run the
summary carries both (`experiments.run.metrics.adl_study`); this module turns a sweep over the
policies into one table (median and 90% band across seeds per policy) and one plot
(over-utilisation per policy, each seed's policies joined by a line), and checks the paper's
claim on every paired seed: the minimal policy socialises no more, relative to what was
needed, than any other.

    python -m experiments.reports.adl_study DIR [--plot PATH]

DIR is a ``cascade sweep`` directory over ``venue.adl.ranking`` alone (its ``sweep.parquet``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.reports.distributions import markdown_table, ok_runs
from experiments.run.plots import save_figure

POLICY_KEY = "venue.adl.ranking"
STUDY_FIELDS = [
    "adl_loss_socialised",
    "adl_shortfall_needed",
    "adl_shortfall_covered",
    "adl_paid_against_mark",
    "adl_notional",
    "adl_profit_taken",
    "adl_needed_budget",
    "adl_overshoot",
    "adl_over_utilisation",
    "adl_socialised_per_needed",
    "adl_accounts_hit",
    "adl_largest_share",
    "adl_gini",
    "bad_debt",
]
BAND = (0.05, 0.95)
FLOAT_RTOL = 1e-12  # rounding of a ratio of float sums, far below any policy difference


def _band(values: pd.Series) -> str:
    """``median [5%, 95%]`` of the finite values (n/a when there are none)."""
    finite = values[np.isfinite(values)]
    if finite.empty:
        return "inf" if (values == np.inf).any() else "n/a"
    low, mid, high = finite.quantile([BAND[0], 0.5, BAND[1]])
    return f"{mid:.3g} [{low:.3g}, {high:.3g}]"


def policy_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per policy (in grid order): runs, then median [5%, 95%] of every study field."""
    rows = []
    for policy, group in runs.groupby(POLICY_KEY, sort=False):
        row: dict[str, object] = {"policy": policy, "runs": len(group)}
        for field in STUDY_FIELDS:
            row[field] = _band(group[field].astype(float))
        rows.append(row)
    return pd.DataFrame(rows)


def paired_over_utilisation(
    runs: pd.DataFrame, field: str = "adl_over_utilisation"
) -> pd.DataFrame:
    """Over-utilisation (``field``) per seed (rows) and policy (columns); runs where it is not
    defined (NaN) are left out of comparisons."""
    return runs.pivot_table(index="seed_index", columns=POLICY_KEY, values=field, sort=False)


def minimal_is_least(
    runs: pd.DataFrame, policy: str = "minimal", field: str = "adl_over_utilisation"
) -> pd.Series:
    """Per paired seed: True when ``policy``'s over-utilisation (``field``) is ≤ every other
    policy's (seeds where it is undefined for ``policy`` are left out).

    Ratios are compared up to `FLOAT_RTOL`: a haircut policy's ratio is a sum of haircuts over a
    sum of the same shortfalls, added in another order, so two policies that socialise exactly
    what was needed can differ in the last bit (1 + 2.2e-16 against 1.0).
    """
    table = paired_over_utilisation(runs, field)
    if policy not in table.columns and policy in set(runs[POLICY_KEY]):
        return pd.Series(dtype=bool)  # no seed where it is defined: nothing socialised, none needed
    if policy not in table.columns:
        raise ValueError(f"the sweep has no {policy!r} policy; got {list(table.columns)}")
    own = table[policy].dropna()
    others = table.drop(columns=policy).loc[own.index]
    return (others.ge(own * (1.0 - FLOAT_RTOL), axis=0) | others.isna()).all(axis=1)


def policy_plot(runs: pd.DataFrame, path: Path) -> Path:
    """Over-utilisation (log scale) per policy; grey lines join one seed's runs."""
    table = paired_over_utilisation(runs).replace(np.inf, np.nan)
    policies = list(table.columns)
    x = np.arange(len(policies))
    fig, ax = plt.subplots(figsize=(7, 4))
    for _, row in table.iterrows():
        ax.plot(x, row.to_numpy(dtype=float), color="0.75", lw=0.8, zorder=1)
    medians = table.median()
    ax.scatter(x, medians.to_numpy(dtype=float), color="tab:red", zorder=3, label="median")
    ax.axhline(1.0, color="k", ls=":", lw=1, label="socialised = needed")
    ax.set_yscale("log")
    ax.set_xticks(x, [str(p) for p in policies])
    ax.set(
        xlabel=POLICY_KEY,
        ylabel="loss socialised / loss needed",
        title=f"ADL over-utilisation per policy ({len(table)} paired seeds)",
    )
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    """Print the policy table and the paired-seed check of a sweep; optionally write the plot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="a cascade sweep directory over the policies")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="also write the plot here")
    args = parser.parse_args(argv)
    path = args.directory / "sweep.parquet"
    if not path.is_file():
        print(f"error: {str(path)!r} does not exist (a cascade sweep directory?)", file=sys.stderr)
        return 2
    runs = ok_runs(pd.read_parquet(path))
    if POLICY_KEY not in runs:
        print(f"error: {str(path)!r} is not a sweep over {POLICY_KEY}", file=sys.stderr)
        return 2
    print("\n".join(markdown_table(policy_table(runs))))
    if "minimal" in set(runs[POLICY_KEY]):
        least = minimal_is_least(runs)
        print(
            f"\nMinimal policy's over-utilisation ≤ every other policy's on {int(least.sum())} "
            f"of {len(least)} paired seeds where it is defined."
        )
    if args.plot:
        print(f"wrote {policy_plot(runs, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
