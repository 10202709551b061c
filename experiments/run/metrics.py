"""The summary of one run, computed from the model's three frames (docs/CONTRACTS.md): its
fields and what they mean, why a field may be null in ``summary.json``, and `summarize`, which
assembles the measures of `experiments.run.measures`."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pandas as pd

from experiments.run.crash import CRASH_FIELDS, CRASH_MEANINGS, CRASH_NULL_REASONS, crash_measures
from experiments.run.measures import (
    ADL_RATIO_FIELDS,
    BASIS_BAND,
    EVENT_FIELDS,
    LARGEST_DROPS,
    RECOVERY_BANDS,
    RETURN_FIELDS,
    adl_against_event,
    adl_study,
    basis_recovery_seconds,
    book_share,
    drops_with_liquidation,
    gini,
    index_feedback,
    max_drawdown_pct,
    max_runup_pct,
    near,
    perp_mid,
    return_statistics,
    time_weighted_median,
    uniform_steps,
)

# The measures keep their old import path (experiments.run.metrics).
__all__ = [
    "ADL_RATIO_FIELDS",
    "BASIS_BAND",
    "EVENT_FIELDS",
    "FIELD_MEANINGS",
    "LARGEST_DROPS",
    "OTHER_CONTRACT_FIELDS",
    "RECOVERY_BANDS",
    "RETURN_FIELDS",
    "SPREAD_FIELDS",
    "SUMMARY_FIELDS",
    "adl_against_event",
    "adl_study",
    "basis_recovery_seconds",
    "book_share",
    "drops_with_liquidation",
    "gini",
    "index_feedback",
    "json_summary",
    "max_drawdown_pct",
    "max_runup_pct",
    "near",
    "null_reasons",
    "perp_mid",
    "return_statistics",
    "summarize",
]

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
    "other_contracts_median_drawdown_pct",
    "other_contracts_drawdown_over_first",
    "max_runup_pct",
    "index_runup_pct",
    "index_runup_overshoot_pct",
    "basis_recovery_seconds",
    "basis_within_1pct_seconds",
    *CRASH_FIELDS,
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
    "adl_paid_against_mark",
    "adl_profit_taken",
    "adl_needed_budget",
    "adl_overshoot",
    "adl_over_utilisation",
    "adl_socialised_per_needed",
    "adl_accounts_hit",
    "adl_largest_share",
    "adl_gini",
    "adl_liquidation_ratio",
    "first_adl_delay_seconds",
    "liquidations_before_first_adl_share",
    "adl_in_profit_share",
    "adl_median_leverage",
    "adl_fill_median_leverage",
    "adl_multi_contract_share",
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
    "other_contracts_median_drawdown_pct": "median over the contracts after the first (the "
    "altcoins of a multi-asset venue) of each one's largest peak-to-trough fall of its mark (%)",
    "other_contracts_drawdown_over_first": "other_contracts_median_drawdown_pct over the first "
    "contract's max_drawdown_pct (above 1: the other contracts fell further)",
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
    "median_spread_bps": "median quoted spread (bps), over time (each step weighs its length)",
    "cascades_count": "cascades of at least two linked liquidations",
    "largest_cascade_liquidations": "liquidations in the largest cascade",
    "largest_cascade_notional": "USDT notional of the largest cascade",
    "return_hill_2_5pct": "Hill tail index of |one-step mid log returns|, largest 2.5%",
    "return_excess_kurtosis": "excess kurtosis of one-step mid log returns",
    "return_skewness": "skewness of one-step mid log returns",
    "abs_return_acf_lag1": "autocorrelation of |one-step mid log returns| at lag 1",
    "adl_loss_socialised": "winners' profit closed by ADL or haircut (USDT)",
    "adl_shortfall_needed": "loss the venue could not cover itself when ADL fired (USDT)",
    "adl_shortfall_covered": "loss beyond the mark that ADL'd winners took off the venue: what "
    "they paid against the mark, summed over the fills where they paid (USDT, ≥ 0)",
    "adl_paid_against_mark": "what ADL'd winners paid against the mark over all fills, "
    "Σ side·qty·(fill − mark) (USDT; negative when fills were better for them than the mark)",
    "adl_profit_taken": "what ADL took from winners, Chitra's H summed over rounds: per winner "
    "and round, the equity it would have had at the round's end without ADL minus what it had "
    "(USDT)",
    "adl_needed_budget": "Chitra's needed budget B summed over rounds: Σ |mark − fill price| · "
    "qty over ADL fills, plus haircut cash (USDT)",
    "adl_overshoot": "Chitra's overshoot: Σ over rounds of (H − B)₊ (USDT)",
    "adl_over_utilisation": "ADL taken / needed, Σ H / Σ B over rounds (NaN when B is 0)",
    "adl_socialised_per_needed": "loss socialised / loss the venue could not cover itself (NaN "
    "when neither, inf when none needed)",
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
    "adl_median_leverage": "median over the accounts ADL closed of their effective leverage "
    "(position notional / margin balance of its pool) when ADL first reached them (NaN: no ADL "
    "fill)",
    "adl_fill_median_leverage": "median effective leverage of the counterparties of ADL fills, "
    "one value per fill (an account hit several times counts several times; NaN: no ADL fill)",
    "adl_multi_contract_share": "share of ADL fills whose counterparty held positions in two or "
    "more contracts when ADL reached it (NaN: no ADL fill)",
    "conservation_error": "largest relative money-conservation error over the run",
    "wall_seconds": "wall-clock seconds the run took",
    **CRASH_MEANINGS,
}


SPREAD_FIELDS = ("max_spread_bps", "median_spread_bps")


OTHER_CONTRACT_FIELDS = (
    "other_contracts_median_drawdown_pct",
    "other_contracts_drawdown_over_first",
)


def other_contracts_drawdown(timeseries: pd.DataFrame, first: float) -> dict[str, float]:
    """How far the contracts after the first fell (the median of their marks' largest
    drawdowns), and that over ``first``, the first contract's (its ``max_drawdown_pct``); NaN
    on a one-contract venue."""
    out = dict.fromkeys(OTHER_CONTRACT_FIELDS, float("nan"))
    columns = []
    c = 1
    while f"mark_{c}" in timeseries:
        columns.append(f"mark_{c}")
        c += 1
    if not columns:
        return out
    median = float(statistics.median(max_drawdown_pct(timeseries[col]) for col in columns))
    out["other_contracts_median_drawdown_pct"] = median
    if first > 0:
        out["other_contracts_drawdown_over_first"] = median / first
    return out


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
        elif key in CRASH_NULL_REASONS:
            reasons[key] = _crash_reason(key, summary)
        elif key in OTHER_CONTRACT_FIELDS:
            reasons[key] = (
                "the venue has one contract (the measure compares the other contracts with the "
                "first)"
                if "mark_1" not in timeseries
                else "the first contract's mark never fell, so there is nothing to compare with"
            )
        elif key == "mark_drops_with_liquidation":
            reasons[key] = "the mark never fell from one step to the next"
        elif key == "liquidations_book_share":
            reasons[key] = "no position was liquidated in this run"
        elif key in ADL_RATIO_FIELDS or key in EVENT_FIELDS:
            reasons[key] = _adl_reason(key, summary)
        elif key == "adl_liquidation_ratio":
            reasons[key] = "no position was liquidated in this run"
        elif key in RETURN_FIELDS and not uniform_steps(timeseries):
            reasons[key] = (
                "one-step returns need steps of one length, and this run took adaptive steps "
                "(stepping.policy = adaptive): run it with fixed steps for this field"
            )
        elif key in RETURN_FIELDS:
            reasons[key] = (
                f"not defined for this run's one-step mid returns ({len(timeseries)} steps, "
                f"{two_sided} with both a bid and an ask; the first 10% are dropped): too few "
                "returns, or the mid price did not move"
            )
        else:
            reasons[key] = "not a finite number in this run"
    return reasons


def _crash_reason(key: str, summary: dict[str, Any]) -> str:
    """Why a crash measure is not a number: which of its conditions failed in this run
    (`experiments.run.crash`)."""
    if key in ("trigger_notional", "liquidated_per_trigger"):
        return CRASH_NULL_REASONS[key]
    fall = summary.get("trigger_drawdown_pct", float("nan"))
    if not math.isfinite(fall):
        return "the scenario has no trigger (index.shocks or flow_shocks) inside the run"
    if key == "trough_spread_bps":
        return "the book was one-sided at the mark's trough after the first trigger"
    if key == "trough_depth_bid":
        return (
            "the book had bids but no ask at the mark's trough after the first trigger: no mid "
            "to measure depth around"
        )
    if key == "recovery_halflife_seconds":
        if fall <= 0:
            return "the mark did not fall below its level before the first trigger"
        return "the mark never regained half of its fall before the run ended"
    return CRASH_NULL_REASONS[key]


def _adl_reason(key: str, summary: dict[str, Any]) -> str:
    """Why an ADL measure is not a number, from what the run's ADL did (the summary's counts)."""
    hit, fills = int(summary["adl_accounts_hit"]), int(summary["adl_count"])
    socialised, needed = summary["adl_loss_socialised"], summary["adl_shortfall_needed"]
    if hit == 0:
        return "ADL did not fire in this run (no ADL fill and no haircut)"
    if key in EVENT_FIELDS:
        if fills == 0:
            return f"the ADL policy closes no position (haircuts of {hit} accounts): no ADL fill"
        first_fields = ("first_adl_delay_seconds", "liquidations_before_first_adl_share")
        if key in first_fields and summary["liquidations_count"] == 0:
            return "ADL fired, but no position was liquidated in this run"
        return "not a finite number in this run"
    if key == "adl_over_utilisation":
        return (
            f"ADL fired ({fills} fills, {hit} accounts) but its needed budget Σ |mark − fill "
            "price| · qty is 0: every fill was at the mark"
        )
    if socialised <= 0:
        took = f"ADL fired ({fills} fills, {hit} accounts) but took no profit: the lots it "
        took += "closed were not in profit at the mark"
        if key == "adl_socialised_per_needed":
            return took + ", and the venue recorded no shortfall it could not cover (0 / 0)"
        return took + ", so there is no loss to share"
    if key == "adl_socialised_per_needed" and needed <= 0:
        return (
            f"ADL took {socialised:,.0f} USDT of winners' profit while the venue recorded no "
            "shortfall it could not cover itself (the fund could pay, but the venue's rules "
            "passed positions to ADL): the ratio has no finite value"
        )
    return "not a finite number in this run"


def json_summary(summary: dict[str, Any], timeseries: pd.DataFrame) -> dict[str, Any]:
    """The summary as ``summary.json`` holds it: NaN and ±inf become ``None`` (JSON ``null``),
    and a ``null_reasons`` entry says why, when there is any."""
    reasons = null_reasons(summary, timeseries)
    out: dict[str, Any] = {k: (None if k in reasons else v) for k, v in summary.items()}
    if reasons:
        out["null_reasons"] = reasons
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
    shock_start: float | None = None,
    trigger_notional: float = 0.0,
) -> dict[str, Any]:
    """Every summary field of one run (``SUMMARY_FIELDS``); ``shock_start`` and ``shock_end``:
    when the first trigger starts and the last ends, ``trigger_notional``: USDT of order-flow
    triggers (`experiments.run.crash`)."""
    liq = events[events["kind"] == "liquidation"]
    adl = events[events["kind"] == "adl"]
    bad = events[events["kind"] == "bad_debt"]
    spread = timeseries["spread_bps"].dropna()
    gap = (timeseries["mark"] - timeseries["index"]).abs() / timeseries["index"] * 100.0
    fund = timeseries["insurance_fund"]
    biggest = cascades.sort_values(["n_liquidations", "notional"]).tail(1)
    drawdown = max_drawdown_pct(timeseries["mark"])
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
        "max_drawdown_pct": drawdown,
        "max_runup_pct": max_runup_pct(timeseries["mark"]),
        **other_contracts_drawdown(timeseries, drawdown),
        **index_feedback(timeseries),
        **{
            field: basis_recovery_seconds(timeseries, shock_end, band)
            for field, band in RECOVERY_BANDS.items()
        },
        **crash_measures(timeseries, liq, shock_start, trigger_notional),
        "mark_drops_with_liquidation": drops_with_liquidation(timeseries, liq),
        "max_mark_index_gap_pct": float(gap.max()) if len(gap) else 0.0,
        "max_spread_bps": float(spread.max()) if len(spread) else float("nan"),
        "median_spread_bps": time_weighted_median(timeseries["spread_bps"], timeseries),
        "cascades_count": len(cascades),
        "largest_cascade_liquidations": int(biggest["n_liquidations"].sum()),
        "largest_cascade_notional": float(biggest["notional"].sum()),
        **return_statistics(timeseries),
        **adl_study(events, timeseries),
        **adl_against_event(events),
        "conservation_error": float(conservation_error),
        "wall_seconds": float(wall_seconds),
    }
    return {k: summary[k] for k in SUMMARY_FIELDS}
