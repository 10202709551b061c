"""A Monte Carlo experiment side by side with the 2025-10-10 event on Hyperliquid.

The targets of issue 11 for the reconstruction (``oct-10-2025``), each with the event's value
from the public on-chain reconstruction of 21:15-21:27 UTC (spec §7: 63,637 liquidations of
$5.51B, 34,983 ADL fills of $2.10B, the first ADL 61.7 s after the first liquidation, 99.4% of
ADL'd positions in profit, their median leverage about 0.2x) and the range a reconstruction must
land in. A target is hit when the median over the runs lies in its range; the table also counts
the runs that do, and reports a miss as a miss. On a venue of several contracts
(``oct-10-2025-assets``) two rows of issue 27 follow: the altcoins' median drawdown over BTC's
(a hit above 1) and the share of ADL fills whose counterparty held several contracts (reported).

    python -m experiments.reports.event_targets DIR

DIR is a ``cascade mc`` (or ``cascade sweep``) directory holding ``runs.parquet``.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.reports.distributions import markdown_table

BAND = (0.05, 0.95)


@dataclass(frozen=True)
class Target:
    """One summary field, the event's value (None: no public figure) and the range to hit."""

    field: str
    label: str
    event: float | None
    low: float
    high: float
    multi_contract: bool = False  # only for runs on several contracts
    reported: bool = False  # no range to hit: the value is reported
    above: bool = False  # the range excludes ``low``: the value must be strictly above it

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Which of ``values`` lie in the range (NaN never does)."""
        low = values > self.low if self.above else values >= self.low
        return low & (values <= self.high)


# spec §7 (Hyperliquid, 2025-10-10 21:15-21:27 UTC); ranges from issue 11
TARGETS = (
    Target("adl_liquidation_ratio", "ADL / liquidated notional", 2.10 / 5.51, 0.25, 0.5),
    Target("first_adl_delay_seconds", "first ADL after first liquidation (s)", 61.7, 30.0, 120.0),
    Target(
        "liquidations_before_first_adl_share",
        "liquidations before the first ADL (share)",
        710 / 63_637,
        0.005,
        0.10,
    ),
    Target("adl_in_profit_share", "ADL'd positions in profit (share)", 0.994, 0.95, 1.0),
    Target("adl_median_leverage", "median leverage of ADL'd positions (x)", 0.2, 0.1, 0.5),
    Target(
        "basis_within_1pct_seconds",
        "perp back within 1% of the index after the shock (s)",
        None,
        0.0,
        900.0,
    ),
    # issue 27, on a venue of several contracts (rows left out for a one-contract run):
    # altcoins fell far more than BTC (Hyperliquid's co-founder: many altcoins fell more than
    # 50%; BTC 13.1% on Hyperliquid), and ADL's counterparties held several contracts
    Target(
        "other_contracts_drawdown_over_first",
        "altcoins' median drawdown over BTC's (x)",
        None,
        1.0,
        math.inf,
        multi_contract=True,
        above=True,  # strictly further than the first contract
    ),
    Target(
        "adl_multi_contract_share",
        "ADL fills whose counterparty holds several contracts (share)",
        None,
        0.0,
        1.0,
        multi_contract=True,
        reported=True,
    ),
)


def _range(target: Target) -> str:
    if math.isinf(target.high):
        return f"{'>' if target.above else '≥'} {target.low:g}"
    return f"{'(' if target.above else '['}{target.low:g}, {target.high:g}]"


def _fmt(value: float) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3g}"


def target_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per target: median [5%, 95%] over the runs, the event's value, the range, how
    many runs land in it, and hit or miss (the median in the range). A run where a field is NaN
    (no ADL; the perpetual never came back) counts as outside the range."""
    rows = []
    several = "other_contracts_median_drawdown_pct" in runs and bool(
        runs["other_contracts_median_drawdown_pct"].notna().any()
    )
    for target in TARGETS:
        if target.multi_contract and (not several or target.field not in runs):
            continue
        values = runs[target.field].astype(float).to_numpy()
        finite = values[np.isfinite(values)]
        inside = target.contains(values)
        median = float(np.median(values)) if len(finite) == len(values) else float("nan")
        if len(finite) and len(finite) == len(values):
            low, high = np.quantile(finite, BAND)
            band = f"[{_fmt(low)}, {_fmt(high)}]"
        else:
            band = f"{len(values) - len(finite)} of {len(values)} runs undefined"
        hit = bool(target.contains(np.array([median]))[0])
        rows.append(
            {
                "target": target.label,
                "field": target.field,
                "median": _fmt(median),
                "90% band": band,
                "event": "—" if target.event is None else _fmt(target.event),
                "range": "—" if target.reported else _range(target),
                "runs in range": "—"
                if target.reported
                else f"{int(inside.sum())} of {len(values)}",
                "hit": "reported" if target.reported else ("hit" if hit else "miss"),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    path = args.directory / "runs.parquet"
    if not path.is_file():
        print(f"error: {str(path)!r} does not exist (a cascade mc directory?)", file=sys.stderr)
        return 2
    runs = pd.read_parquet(path)
    if "status" in runs:
        runs = runs[runs["status"] == "ok"]
    print("\n".join(markdown_table(target_table(runs))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
