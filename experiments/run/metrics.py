"""The summary of one run, computed from the model's three frames (docs/CONTRACTS.md)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from experiments.run.stylized_facts import (
    autocorrelation,
    excess_kurtosis,
    hill_tail_index,
    log_returns,
    skewness,
)

SUMMARY_FIELDS = [
    "scenario",
    "seed",
    "steps",
    "liquidations_count",
    "partial_liquidations_count",
    "full_liquidations_count",
    "liquidations_notional",
    "long_liquidations_notional",
    "short_liquidations_notional",
    "liquidations_book_notional",
    "liquidations_book_share",
    "takeover_notional",
    "adl_count",
    "adl_notional",
    "insurance_fund_start",
    "insurance_fund_min",
    "insurance_fund_end",
    "bad_debt",
    "max_drawdown_pct",
    "index_drawdown_pct",
    "index_overshoot_pct",
    "index_gap_end_pct",
    "max_runup_pct",
    "index_runup_pct",
    "index_runup_overshoot_pct",
    "basis_recovery_seconds",
    "basis_within_1pct_seconds",
    "mark_drops_with_liquidation",
    "max_mark_index_gap_pct",
    "max_spread_bps",
    "median_spread_bps",
    "cascades_count",
    "largest_cascade_liquidations",
    "largest_cascade_notional",
    "return_hill_2_5pct",
    "return_excess_kurtosis",
    "return_skewness",
    "abs_return_acf_lag1",
    "adl_loss_socialised",
    "adl_shortfall_needed",
    "adl_shortfall_covered",
    "adl_over_utilisation",
    "adl_accounts_hit",
    "adl_largest_share",
    "adl_gini",
    "adl_liquidation_ratio",
    "first_adl_delay_seconds",
    "liquidations_before_first_adl_share",
    "adl_in_profit_share",
    "adl_median_leverage",
    "conservation_error",
    "wall_seconds",
]

FIELD_MEANINGS = {
    "scenario": "scenario name",
    "seed": "root seed of the run",
    "steps": "model steps simulated",
    "liquidations_count": "liquidation steps (partial + full)",
    "partial_liquidations_count": "liquidations that left part of the position open",
    "full_liquidations_count": "liquidations that closed the position",
    "liquidations_notional": "USDT notional liquidated",
    "long_liquidations_notional": "USDT notional of long positions liquidated",
    "short_liquidations_notional": "USDT notional of short positions liquidated",
    "liquidations_book_notional": "USDT notional of liquidation orders filled in the book",
    "liquidations_book_share": "share of liquidated notional filled in the book (NaN: none)",
    "takeover_notional": "USDT notional taken over at the bankruptcy price (fund, backstop, ADL)",
    "adl_count": "ADL fills",
    "adl_notional": "USDT notional closed by ADL",
    "insurance_fund_start": "insurance fund(s) at the start (USDT)",
    "insurance_fund_min": "lowest insurance fund balance (USDT)",
    "insurance_fund_end": "insurance fund(s) at the end (USDT)",
    "bad_debt": "losses nobody could cover, written off (USDT)",
    "max_drawdown_pct": "largest peak-to-trough fall of the mark price (%)",
    "index_drawdown_pct": "largest peak-to-trough fall of the index (%)",
    "index_overshoot_pct": "index drawdown minus the fundamental value's fall over the same "
    "window (%; 0 when the index is the fundamental value)",
    "index_gap_end_pct": "(index / fundamental value − 1) at the end of the run (%)",
    "max_runup_pct": "largest trough-to-peak rise of the mark price (%; a squeeze's drawdown)",
    "index_runup_pct": "largest trough-to-peak rise of the index (%)",
    "index_runup_overshoot_pct": "index run-up minus the fundamental value's rise over the same "
    "window (%; 0 when the index is the fundamental value)",
    "basis_recovery_seconds": "seconds after the last shock ends until |perp mid − index| / index "
    "is back below 0.5% (0: it never left; NaN: no shock, or it never came back)",
    "basis_within_1pct_seconds": "the same with a 1% band: seconds after the last shock ends "
    "until the perpetual's mid is back within 1% of the index (0: it never left; NaN: no shock, "
    "or it never came back)",
    "mark_drops_with_liquidation": "share of the 10 largest one-step mark drops with a "
    "liquidation within one second",
    "max_mark_index_gap_pct": "largest |mark − index| / index (%)",
    "max_spread_bps": "widest quoted spread (bps)",
    "median_spread_bps": "median quoted spread (bps)",
    "cascades_count": "cascades of at least two linked liquidations",
    "largest_cascade_liquidations": "liquidations in the largest cascade",
    "largest_cascade_notional": "USDT notional of the largest cascade",
    "return_hill_2_5pct": "Hill tail index of |one-step mid log returns|, largest 2.5%",
    "return_excess_kurtosis": "excess kurtosis of one-step mid log returns",
    "return_skewness": "skewness of one-step mid log returns",
    "abs_return_acf_lag1": "autocorrelation of |one-step mid log returns| at lag 1",
    "adl_loss_socialised": "winners' profit closed by ADL or haircut (USDT)",
    "adl_shortfall_needed": "loss the venue could not cover itself when ADL fired (USDT)",
    "adl_shortfall_covered": "what ADL'd winners paid against the mark (USDT)",
    "adl_over_utilisation": "loss socialised / loss needed (NaN when neither, inf when none needed)",
    "adl_accounts_hit": "winners closed or haircut by ADL",
    "adl_largest_share": "largest share of the socialised loss borne by one account",
    "adl_gini": "Gini coefficient of the socialised loss over the accounts hit",
    "adl_liquidation_ratio": "ADL notional / liquidated notional (NaN: nothing liquidated)",
    "first_adl_delay_seconds": "seconds from the first liquidation to the first ADL fill "
    "(NaN: no ADL fill)",
    "liquidations_before_first_adl_share": "share of the run's liquidations that came before "
    "the first ADL fill (NaN: no ADL fill)",
    "adl_in_profit_share": "share of ADL fills whose counterparty was in profit on the lots "
    "closed (NaN: no ADL fill)",
    "adl_median_leverage": "median effective leverage (position notional / margin balance of "
    "its pool) of the counterparties of ADL fills (NaN: no ADL fill)",
    "conservation_error": "largest relative money-conservation error over the run",
    "wall_seconds": "wall-clock seconds the run took",
}


SPREAD_FIELDS = ("max_spread_bps", "median_spread_bps")
BASIS_BAND = 0.005  # the basis counts as recovered within 0.5% (spec validation, recovery)
LARGEST_DROPS = 10
ADL_RATIO_FIELDS = ("adl_over_utilisation", "adl_largest_share", "adl_gini")
EVENT_FIELDS = (
    "first_adl_delay_seconds",
    "liquidations_before_first_adl_share",
    "adl_in_profit_share",
    "adl_median_leverage",
)
RECOVERY_BANDS = {"basis_recovery_seconds": BASIS_BAND, "basis_within_1pct_seconds": 0.01}


def null_reasons(summary: dict[str, Any], timeseries: pd.DataFrame) -> dict[str, str]:
    """Why each field of ``summary`` that is not a finite number could not be computed.

    ``summary.json`` writes such a field as ``null`` (JSON has no NaN) and these reasons next to
    it under ``null_reasons``.
    """
    reasons: dict[str, str] = {}
    two_sided = int((timeseries["best_bid"].notna() & timeseries["best_ask"].notna()).sum())
    for key, value in summary.items():
        if not isinstance(value, float) or math.isfinite(value):
            continue
        if key in SPREAD_FIELDS:
            reasons[key] = "no step had both a bid and an ask on the book"
        elif key in RECOVERY_BANDS:
            reasons[key] = (
                "the scenario has no shock (index.shocks or flow_shocks), or the perpetual never "
                f"came back within {RECOVERY_BANDS[key]:.1%} of the index after the last one ended"
            )
        elif key == "mark_drops_with_liquidation":
            reasons[key] = "the mark never fell from one step to the next"
        elif key == "liquidations_book_share":
            reasons[key] = "no position was liquidated in this run"
        elif key in ADL_RATIO_FIELDS:
            reasons[key] = "no loss was socialised in this run (ADL did not fire)"
        elif key in EVENT_FIELDS:
            reasons[key] = "no ADL fill in this run (ADL did not fire, or a haircut policy)"
        elif key == "adl_liquidation_ratio":
            reasons[key] = "no position was liquidated in this run"
        elif key in RETURN_FIELDS:
            reasons[key] = (
                f"not defined for this run's one-step mid returns ({len(timeseries)} steps, "
                f"{two_sided} with both a bid and an ask; the first 10% are dropped): too few "
                "returns, or the mid price did not move"
            )
        else:
            reasons[key] = "not a finite number in this run"
    return reasons


def json_summary(summary: dict[str, Any], timeseries: pd.DataFrame) -> dict[str, Any]:
    """The summary as ``summary.json`` holds it: NaN and ±inf become ``None`` (JSON ``null``),
    and a ``null_reasons`` entry says why, when there is any."""
    reasons = null_reasons(summary, timeseries)
    out: dict[str, Any] = {k: (None if k in reasons else v) for k, v in summary.items()}
    if reasons:
        out["null_reasons"] = reasons
    return out


def max_drawdown_pct(prices: pd.Series) -> float:
    """Largest peak-to-trough fall, in percent."""
    values = prices.to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0
    peak = np.maximum.accumulate(values)
    return float(((peak - values) / peak).max() * 100.0)


def return_statistics(timeseries: pd.DataFrame) -> dict[str, float]:
    """Tail and clustering statistics of the mid price's one-step log returns, measured as
    shared/spec/validation.md prescribes (first 10% of steps dropped as burn-in; see
    `experiments.run.stylized_facts`). NaN when the book never had both sides."""
    mid = ((timeseries["best_bid"] + timeseries["best_ask"]) / 2.0).to_numpy(dtype=float)
    if not np.isfinite(mid).any():
        return dict.fromkeys(RETURN_FIELDS, float("nan"))
    r = log_returns(mid)
    return {
        "return_hill_2_5pct": hill_tail_index(r, 0.025),
        "return_excess_kurtosis": excess_kurtosis(r),
        "return_skewness": skewness(r),
        "abs_return_acf_lag1": float(autocorrelation(np.abs(r), [1])[0]),
    }


RETURN_FIELDS = (
    "return_hill_2_5pct",
    "return_excess_kurtosis",
    "return_skewness",
    "abs_return_acf_lag1",
)


def _drawdown_window(prices: pd.Series) -> tuple[float, int, int]:
    """Largest peak-to-trough fall (%) and the positions of its peak and trough."""
    values = prices.to_numpy(dtype=float)
    if not len(values) or not np.isfinite(values).any():
        return 0.0, 0, 0
    peaks = np.fmax.accumulate(values)
    falls = 1.0 - values / peaks
    trough = int(np.nanargmax(falls))
    peak = int(np.flatnonzero(values[: trough + 1] == peaks[trough])[0])
    return float(falls[trough] * 100.0), peak, trough


def _runup_window(prices: pd.Series) -> tuple[float, int, int]:
    """Largest trough-to-peak rise (%) and the positions of its trough and peak."""
    values = prices.to_numpy(dtype=float)
    if not len(values) or not np.isfinite(values).any():
        return 0.0, 0, 0
    troughs = np.fmin.accumulate(values)
    rises = values / troughs - 1.0
    peak = int(np.nanargmax(rises))
    trough = int(np.flatnonzero(values[: peak + 1] == troughs[peak])[0])
    return float(rises[peak] * 100.0), trough, peak


def index_feedback(timeseries: pd.DataFrame) -> dict[str, float]:
    """How far the index fell (and rose) beyond the fundamental value over the same window, and
    where it ended against it."""
    index, fundamental = timeseries["index"], timeseries.get("fundamental", timeseries["index"])
    drawdown, peak, trough = _drawdown_window(index)
    runup, low, high = _runup_window(index)
    f = fundamental.to_numpy(dtype=float)
    fundamental_fall = (1.0 - f[trough] / f[peak]) * 100.0 if len(f) else 0.0
    fundamental_rise = (f[high] / f[low] - 1.0) * 100.0 if len(f) else 0.0
    end = float((index.iloc[-1] / fundamental.iloc[-1] - 1.0) * 100.0) if len(f) else 0.0
    return {
        "index_drawdown_pct": drawdown,
        "index_overshoot_pct": drawdown - fundamental_fall,
        "index_gap_end_pct": end,
        "index_runup_pct": runup,
        "index_runup_overshoot_pct": runup - fundamental_rise,
    }


def max_runup_pct(prices: pd.Series) -> float:
    """Largest trough-to-peak rise, in percent (0 for a price that never rises; NaN skipped)."""
    return _runup_window(prices)[0]


def perp_mid(timeseries: pd.DataFrame) -> pd.Series:
    """The perpetual's mid per step, else its last trade (one side of the book empty)."""
    return ((timeseries["best_bid"] + timeseries["best_ask"]) / 2.0).fillna(timeseries["last"])


def basis_recovery_seconds(
    timeseries: pd.DataFrame, shock_end: float | None, band: float = BASIS_BAND
) -> float:
    """Seconds from ``shock_end`` until the perpetual's mid (else last) is back within ``band``
    (0.5% unless given) of the index; 0 if it was within then, NaN with no shock or if it never
    comes back."""
    if shock_end is None or not len(timeseries):
        return float("nan")
    gap = (perp_mid(timeseries) / timeseries["index"] - 1.0).abs()
    after = timeseries["time"] >= shock_end
    inside = after & (gap < band)
    if not inside.any():
        return float("nan")
    return float(max(0.0, timeseries.loc[inside, "time"].iloc[0] - shock_end))


def drops_with_liquidation(timeseries: pd.DataFrame, liquidations: pd.DataFrame) -> float:
    """Share of the largest one-step mark drops with a liquidation within one second (TFG:
    large drops coincide with margin calls; spec validation, attribution)."""
    mark = timeseries["mark"].to_numpy(dtype=float)
    if len(mark) < 2:
        return float("nan")
    change = np.diff(np.log(mark))
    order = np.argsort(change, kind="stable")[:LARGEST_DROPS]
    drops = order[change[order] < 0]
    if not len(drops):
        return float("nan")
    times = timeseries["time"].to_numpy(dtype=float)[drops + 1]
    liq_times = np.sort(liquidations["time"].to_numpy(dtype=float))
    return float(np.mean(near(times, liq_times, 1.0)))


def near(times: np.ndarray, events: np.ndarray, window: float) -> np.ndarray:
    """For each time, whether some event lies within ``window`` of it (``events`` sorted)."""
    if not events.size or not times.size:
        return np.zeros(times.size, dtype=bool)
    i = np.searchsorted(events, times)
    before = events[np.clip(i - 1, 0, events.size - 1)]
    after = events[np.clip(i, 0, events.size - 1)]
    return np.minimum(np.abs(times - before), np.abs(after - times)) <= window


def book_share(liquidations: pd.DataFrame) -> dict[str, float]:
    """How much liquidated notional the book absorbed (its orders filled) and how much was taken
    over at the bankruptcy price instead."""
    by = liquidations.groupby("closed_by")["notional"].sum() if len(liquidations) else pd.Series()
    book = float(by.get("book", 0.0))
    total = float(liquidations["notional"].sum()) if len(liquidations) else 0.0
    return {
        "liquidations_book_notional": book,
        "liquidations_book_share": book / total if total > 0 else float("nan"),
        "takeover_notional": float(by.get("fund", 0.0)),
    }


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative amounts (0: all equal; near 1: one takes all)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0 or x.sum() <= 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return float((2.0 * (ranks * x).sum()) / (n * x.sum()) - (n + 1.0) / n)


def adl_study(events: pd.DataFrame) -> dict[str, float]:
    """How much loss ADL socialised, against how much was needed, and who paid (Chitra, arXiv
    2512.01112): ``shortfall`` events carry what the venue could not cover itself; ``adl``
    fills and ``haircut`` events carry the winner's profit taken (``socialised``) and what the
    winner paid against the mark (``covered``)."""
    hits = events[events["kind"].isin(["adl", "haircut"])]
    needed = float(events.loc[events["kind"] == "shortfall", "notional"].sum())
    socialised = float(hits["socialised"].sum())
    over = float("inf") if socialised > 0 else float("nan")  # when nothing was needed
    if needed > 0:
        over = socialised / needed
    per_account = hits.groupby("counterparty")["socialised"].sum()
    total = float(per_account.sum())
    return {
        "adl_loss_socialised": socialised,
        "adl_shortfall_needed": needed,
        "adl_shortfall_covered": float(hits["covered"].sum()),
        "adl_over_utilisation": over,
        "adl_accounts_hit": int(hits["counterparty"].nunique()),
        "adl_largest_share": float(per_account.max() / total) if total > 0 else float("nan"),
        "adl_gini": gini(per_account.to_numpy()),
    }


def adl_against_event(events: pd.DataFrame) -> dict[str, float]:
    """The measures the 2025-10-10 reconstruction compares with the event (spec §7: ADL /
    liquidated notional, the first ADL 61.7 s after the first liquidation, 710 of 63,637
    liquidations before it, 99.4% of ADL'd positions in profit, their median leverage ≈ 0.2x).
    Liquidations count before the first ADL when they came in an earlier step."""
    liq = events[events["kind"] == "liquidation"]
    adl = events[events["kind"] == "adl"]
    liquidated = float(liq["notional"].sum())
    out = {
        "adl_liquidation_ratio": float(adl["notional"].sum()) / liquidated
        if liquidated > 0
        else float("nan"),
        **dict.fromkeys(EVENT_FIELDS, float("nan")),
    }
    if adl.empty:
        return out
    first = float(adl["time"].min())
    if len(liq):
        out["first_adl_delay_seconds"] = first - float(liq["time"].min())
        out["liquidations_before_first_adl_share"] = float((liq["time"] < first).mean())
    out["adl_in_profit_share"] = float((adl["counterparty_upnl"] > 0).mean())
    out["adl_median_leverage"] = float(adl["counterparty_leverage"].median())
    return out


def summarize(
    timeseries: pd.DataFrame,
    events: pd.DataFrame,
    cascades: pd.DataFrame,
    *,
    scenario: str,
    seed: int,
    insurance_fund_start: float,
    conservation_error: float,
    wall_seconds: float,
    shock_end: float | None = None,
) -> dict[str, Any]:
    """Every summary field of one run (``SUMMARY_FIELDS``)."""
    liq = events[events["kind"] == "liquidation"]
    adl = events[events["kind"] == "adl"]
    bad = events[events["kind"] == "bad_debt"]
    spread = timeseries["spread_bps"].dropna()
    gap = (timeseries["mark"] - timeseries["index"]).abs() / timeseries["index"] * 100.0
    fund = timeseries["insurance_fund"]
    biggest = cascades.sort_values(["n_liquidations", "notional"]).tail(1)
    summary = {
        "scenario": scenario,
        "seed": int(seed),
        "steps": len(timeseries),
        "liquidations_count": len(liq),
        "partial_liquidations_count": int(liq["partial"].sum()),
        "full_liquidations_count": int((~liq["partial"].astype(bool)).sum()),
        "liquidations_notional": float(liq["notional"].sum()),
        "long_liquidations_notional": float(liq.loc[liq["side"] > 0, "notional"].sum()),
        "short_liquidations_notional": float(liq.loc[liq["side"] < 0, "notional"].sum()),
        **book_share(liq),
        "adl_count": len(adl),
        "adl_notional": float(adl["notional"].sum()),
        "insurance_fund_start": float(insurance_fund_start),
        "insurance_fund_min": float(min(insurance_fund_start, fund.min())) if len(fund) else 0.0,
        "insurance_fund_end": float(fund.iloc[-1]) if len(fund) else float(insurance_fund_start),
        "bad_debt": float(bad["notional"].sum()),
        "max_drawdown_pct": max_drawdown_pct(timeseries["mark"]),
        "max_runup_pct": max_runup_pct(timeseries["mark"]),
        **index_feedback(timeseries),
        **{
            field: basis_recovery_seconds(timeseries, shock_end, band)
            for field, band in RECOVERY_BANDS.items()
        },
        "mark_drops_with_liquidation": drops_with_liquidation(timeseries, liq),
        "max_mark_index_gap_pct": float(gap.max()) if len(gap) else 0.0,
        "max_spread_bps": float(spread.max()) if len(spread) else float("nan"),
        "median_spread_bps": float(spread.median()) if len(spread) else float("nan"),
        "cascades_count": len(cascades),
        "largest_cascade_liquidations": int(biggest["n_liquidations"].sum()),
        "largest_cascade_notional": float(biggest["notional"].sum()),
        **return_statistics(timeseries),
        **adl_study(events),
        **adl_against_event(events),
        "conservation_error": float(conservation_error),
        "wall_seconds": float(wall_seconds),
    }
    return {k: summary[k] for k in SUMMARY_FIELDS}
