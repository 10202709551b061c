"""What a crash did, measured from its trigger: the fall, what it cost at the trough, how fast
the price came back, how many liquidations the trigger set off, and how long the perpetual's
book had no bid (or no ask) at all.

A run with a trigger (a scheduled shock of the value signal or an order-flow shock:
``index.shocks``, ``flow_shocks``) is described by these rather than by tail indices: a tail
index or kurtosis describes a stationary series, not one that contains a crash (the spec's
validation notes, "A tail index or kurtosis describes a stationary series"). The trough is the
lowest mark at or after the first trigger's start; the fall is measured from the mark just
before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CRASH_FIELDS = (
    "trigger_notional",
    "trigger_drawdown_pct",
    "liquidated_per_trigger",
    "trough_spread_bps",
    "trough_depth_bid",
    "recovery_halflife_seconds",
    "bid_empty_seconds",
    "ask_empty_seconds",
)


def crash_measures(
    timeseries: pd.DataFrame,
    liquidations: pd.DataFrame,
    start: float | None,
    trigger_notional: float,
) -> dict[str, float]:
    """The crash fields (``CRASH_FIELDS``) of one run.

    Args:
        timeseries: the run's recorded rows (``time`` is the end of each step).
        liquidations: the run's liquidation events.
        start: when the first trigger starts (seconds); None: the run has no trigger.
        trigger_notional: USDT of order-flow triggers (0: none; the scheduled shocks of the
            value signal have no notional).
    """
    out = dict.fromkeys(CRASH_FIELDS, float("nan"))
    if trigger_notional > 0:
        out["trigger_notional"] = float(trigger_notional)
    if start is None or timeseries.empty:
        return out
    time = timeseries["time"].to_numpy(dtype=float)
    mark = timeseries["mark"].to_numpy(dtype=float)
    after = np.flatnonzero(time > start)
    if not after.size:
        return out
    first = int(after[0])
    before = mark[first - 1] if first > 0 else mark[first]
    window = mark[first:]
    trough = first + int(np.nanargmin(window))
    fall = before - mark[trough]
    out["trigger_drawdown_pct"] = float(max(0.0, fall) / before * 100.0)
    out["trough_spread_bps"] = float(timeseries["spread_bps"].iloc[trough])
    out["trough_depth_bid"] = float(timeseries["depth_bid"].iloc[trough])
    # seconds after the trigger's start that ended with one side of the book empty: each row
    # counts for its step's length (adaptive steps), or one second where no length is recorded
    if "best_bid" in timeseries.columns and "best_ask" in timeseries.columns:
        lengths = (
            timeseries["dt"].to_numpy(dtype=float)[first:]
            if "dt" in timeseries.columns
            else np.ones(len(window))
        )
        for field, column in (("bid_empty_seconds", "best_bid"), ("ask_empty_seconds", "best_ask")):
            empty = ~np.isfinite(timeseries[column].to_numpy(dtype=float)[first:])
            out[field] = float(lengths[empty].sum())
    if trigger_notional > 0:
        liquidated = liquidations.loc[liquidations["time"] >= start, "notional"].sum()
        out["liquidated_per_trigger"] = float(liquidated / trigger_notional)
    if fall > 0:
        back = np.flatnonzero(mark[trough:] >= mark[trough] + fall / 2.0)
        if back.size:
            out["recovery_halflife_seconds"] = float(time[trough + int(back[0])] - time[trough])
    return out


CRASH_MEANINGS = {
    "trigger_notional": "USDT of order-flow triggers (flow_shocks, sells and buys alike)",
    "trigger_drawdown_pct": "the mark's fall from just before the first trigger (a scheduled "
    "shock or an order-flow shock) to its lowest point after it, percent",
    "liquidated_per_trigger": "liquidated notional from the first trigger on, over the "
    "trigger's notional: above 1, the cascade amplified its trigger",
    "trough_spread_bps": "the perpetual's spread at the mark's trough after the first trigger",
    "trough_depth_bid": "USDT of bids within 1% of the mid at the mark's trough",
    "recovery_halflife_seconds": "seconds from the mark's trough until it had regained half of "
    "its fall since the first trigger",
    "bid_empty_seconds": "seconds from the first trigger's start to the end of the run whose "
    "step ended with no bid in the perpetual's book",
    "ask_empty_seconds": "seconds from the first trigger's start to the end of the run whose "
    "step ended with no ask in the perpetual's book",
}

CRASH_NULL_REASONS = {
    "trigger_notional": "the scenario has no order-flow trigger (flow_shocks)",
    "trigger_drawdown_pct": "the scenario has no trigger (index.shocks or flow_shocks) inside "
    "the run",
    "liquidated_per_trigger": "the scenario has no order-flow trigger (flow_shocks)",
    "trough_spread_bps": "no trigger inside the run, or the book was one-sided at the trough",
    "trough_depth_bid": "no trigger inside the run, or the book was one-sided at the trough",
    "recovery_halflife_seconds": "no trigger inside the run, the mark did not fall after it, or "
    "it never regained half of its fall before the run ended",
    "bid_empty_seconds": "the scenario has no trigger (index.shocks or flow_shocks) inside the run",
    "ask_empty_seconds": "the scenario has no trigger (index.shocks or flow_shocks) inside the run",
}
