"""The measures a run's summary is made of, each a function of the run's frames: the price path
(drawdown, run-up, the index's overshoot of the fundamental value, basis recovery, one-step
return statistics), the liquidations (how much the book absorbed, drops that came with one) and
ADL (loss socialised against loss needed, who paid, the 2025-10-10 comparison).
`experiments.run.metrics` assembles them into the summary.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from experiments.run.stylized_facts import (
    autocorrelation,
    excess_kurtosis,
    hill_tail_index,
    log_returns,
    skewness,
)

BASIS_BAND = 0.005  # the basis counts as recovered within 0.5% (spec validation, recovery)
LARGEST_DROPS = 10
ADL_RATIO_FIELDS = (
    "adl_over_utilisation",
    "adl_socialised_per_needed",
    "adl_largest_share",
    "adl_gini",
)
ADL_ROUND_GAP = 5.0  # seconds without an ADL fill that end a round (Chitra, arXiv 2512.01112 v3)
EVENT_FIELDS = (
    "first_adl_delay_seconds",
    "liquidations_before_first_adl_share",
    "adl_in_profit_share",
    "adl_median_leverage",
    "adl_fill_median_leverage",
    "adl_multi_contract_share",
)
RECOVERY_BANDS = {"basis_recovery_seconds": BASIS_BAND, "basis_within_1pct_seconds": 0.01}


def max_drawdown_pct(prices: pd.Series) -> float:
    """Largest peak-to-trough fall, in percent."""
    values = prices.to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0
    peak = np.maximum.accumulate(values)
    return float(((peak - values) / peak).max() * 100.0)


def step_lengths(timeseries: pd.DataFrame) -> np.ndarray:
    """Seconds each recorded row covers: its ``dt`` column, or, in series recorded without it,
    the gaps between ``time``s (``time`` is the end of each step; the first step starts at 0,
    or, in rows whose times start at 0, is as long as the next)."""
    if "dt" in timeseries:
        return timeseries["dt"].to_numpy(dtype=float)
    time = timeseries["time"].to_numpy(dtype=float)
    if not len(time):
        return time
    gaps = np.diff(time)
    first = time[0] if time[0] > 0 or not len(gaps) else gaps[0]
    return np.concatenate([[first], gaps])


def uniform_steps(timeseries: pd.DataFrame) -> bool:
    """True when every row covers the same time (fixed steps): one-step returns are then
    returns over one horizon. Adaptive steps (`model.stepping`) give rows of several lengths."""
    if "time" not in timeseries and "dt" not in timeseries:  # taken as one step each
        return True
    lengths = step_lengths(timeseries)
    return bool(len(lengths) == 0 or np.allclose(lengths, lengths[0], rtol=1e-9, atol=1e-9))


def require_uniform_steps(timeseries: pd.DataFrame, source: object, need: str) -> None:
    """Refuse a series of uneven steps (adaptive steps) where ``need`` (what the caller
    computes) needs fixed ones; ``source`` names the series in the message.

    Raises:
        ValueError: the rows cover several lengths of time.
    """
    if not uniform_steps(timeseries):
        raise ValueError(
            f"{str(source)!r} has steps of several lengths (adaptive steps): {need} need fixed "
            "ones; rerun with --set stepping.policy=fixed"
        )


def time_weighted_median(values: pd.Series, timeseries: pd.DataFrame) -> float:
    """The median of ``values`` (indexed like ``timeseries``, NaN dropped) over time: each row
    weighs the seconds it covers. With fixed steps this is the plain median."""
    values = values.dropna()
    if not len(values):
        return float("nan")
    if uniform_steps(timeseries):
        return float(values.median())
    weights = pd.Series(step_lengths(timeseries), index=timeseries.index).loc[values.index]
    order = np.argsort(values.to_numpy(dtype=float), kind="stable")
    sorted_values = values.to_numpy(dtype=float)[order]
    cumulative = np.cumsum(weights.to_numpy(dtype=float)[order])
    return float(sorted_values[np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def return_statistics(timeseries: pd.DataFrame) -> dict[str, float]:
    """Tail and clustering statistics of the mid price's one-step log returns, measured as
    shared/spec/validation.md prescribes (first 10% of steps dropped as burn-in; see
    `experiments.run.stylized_facts`). NaN when the book never had both sides, or when the
    steps were not all of one length (adaptive steps: returns over different horizons)."""
    mid = ((timeseries["best_bid"] + timeseries["best_ask"]) / 2.0).to_numpy(dtype=float)
    if not np.isfinite(mid).any() or not uniform_steps(timeseries):
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


def adl_study(events: pd.DataFrame, timeseries: pd.DataFrame | None = None) -> dict[str, float]:
    """How much loss ADL socialised, against how much was needed, and who paid.

    Two accountings. The venue's: ``shortfall`` events carry what the venue could not cover
    itself; ``adl`` fills and ``haircut`` events carry the winner's profit on the closed lots
    at the mark (``socialised``) and what the winner paid against the mark (``covered``:
    negative when the fill was better for the winner than the mark); their ratio is
    ``adl_socialised_per_needed``. ``adl_paid_against_mark`` sums ``covered``;
    ``adl_shortfall_covered`` sums only what winners paid (the fills where ``covered`` > 0).

    Chitra's (arXiv 2512.01112 v3, and Chitra et al., arXiv 2602.15182, eqs. 5 and 15): the
    fills fall into rounds (a new round after ``ADL_ROUND_GAP`` seconds without a fill, across
    contracts); a round's needed budget is B = Σ |mark − fill price| · qty over its fills, and
    what the production policy took is H = Σ over winner accounts of the equity they would
    have had at the round's end without ADL minus what they had with it, (Σ Q·(price at the
    round's end − fill price) + fees)₊ for the signed quantities Q they were closed out of,
    the price path held fixed. The overshoot is Σ (H − B)₊ over rounds; over-utilisation is
    ΣH / ΣB. A haircut takes cash, not positions: its amount counts in both H and B. As in the
    paper's replay, the price at a round's end is the contract's last traded price (else its
    mark) in the first recorded row after the round's last fill (``timeseries``; without it,
    the mark at each fill, which makes H equal B fill by fill).
    """
    hits = events[events["kind"].isin(["adl", "haircut"])]
    needed = float(events.loc[events["kind"] == "shortfall", "notional"].sum())
    socialised = float(hits["socialised"].sum())
    per_needed = float("inf") if socialised > 0 else float("nan")  # when nothing was needed
    if needed > 0:
        per_needed = socialised / needed
    per_account = hits.groupby("counterparty")["socialised"].sum()
    total = float(per_account.sum())
    taken, budget, overshoot = production_haircut(hits, timeseries)
    return {
        "adl_loss_socialised": socialised,
        "adl_shortfall_needed": needed,
        "adl_shortfall_covered": float(hits["covered"].clip(lower=0.0).sum()),
        "adl_paid_against_mark": float(hits["covered"].sum()),
        "adl_profit_taken": taken,
        "adl_needed_budget": budget,
        "adl_overshoot": overshoot,
        "adl_over_utilisation": taken / budget if budget > 0 else float("nan"),
        "adl_socialised_per_needed": per_needed,
        "adl_accounts_hit": int(hits["counterparty"].nunique()),
        "adl_largest_share": float(per_account.max() / total) if total > 0 else float("nan"),
        "adl_gini": gini(per_account.to_numpy()),
    }


def production_haircut(
    hits: pd.DataFrame, timeseries: pd.DataFrame | None
) -> tuple[float, float, float]:
    """ΣH, ΣB and Σ (H − B)₊ over the ADL rounds of ``hits`` (`adl_study`)."""
    if hits.empty:
        return 0.0, 0.0, 0.0
    hits = hits.sort_values("time", kind="stable")
    time = hits["time"].to_numpy(dtype=float)
    rounds = np.concatenate([[0], np.cumsum(np.diff(time) > ADL_ROUND_GAP)])
    fill = hits["kind"].to_numpy() == "adl"
    qty = hits["qty"].to_numpy(dtype=float)
    price = hits["fill_price"].to_numpy(dtype=float)
    mark = hits["mark_price"].to_numpy(dtype=float)
    contract = hits["contract"].to_numpy(dtype=int)
    # the winner held the side opposite the closed position (``side``): Q = −side · qty
    held = -hits["side"].to_numpy(dtype=float) * qty
    fee = hits["fee"].fillna(0.0).to_numpy(dtype=float)
    end_mark = mark.copy()
    if timeseries is not None and len(timeseries):
        rows = timeseries["time"].to_numpy(dtype=float)
        for r in np.unique(rounds):
            inside = rounds == r
            at = min(int(np.searchsorted(rows, time[inside].max(), side="right")), len(rows) - 1)
            for c in np.unique(contract[inside]):
                suffix = "" if c == 0 else f"_{c}"
                last = float(timeseries[f"last{suffix}"].iloc[at])
                if not math.isfinite(last):
                    last = float(timeseries[f"mark{suffix}"].iloc[at])
                end_mark[inside & (contract == c)] = last
    cash = hits["socialised"].to_numpy(dtype=float)
    lost = np.where(fill, held * (end_mark - price) + fee, cash)
    need = np.where(fill, np.abs(mark - price) * qty, cash)
    frame = pd.DataFrame(
        {"round": rounds, "account": hits["counterparty"].to_numpy(), "lost": lost, "need": need}
    )
    per_winner = frame.groupby(["round", "account"])["lost"].sum().clip(lower=0.0)
    taken = per_winner.groupby(level="round").sum()
    budget = frame.groupby("round")["need"].sum()
    overshoot = float((taken - budget).clip(lower=0.0).sum())
    return float(taken.sum()), float(budget.sum()), overshoot


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
    # each account hit once, at its leverage when ADL first reached it (before its position
    # was cut); over fills, an account hit many times would count many times
    first_hits = adl.sort_values("time", kind="stable").drop_duplicates("counterparty")
    out["adl_median_leverage"] = float(first_hits["counterparty_leverage"].median())
    out["adl_fill_median_leverage"] = float(adl["counterparty_leverage"].median())
    if "counterparty_contracts" in adl:  # event logs written before the column have none
        out["adl_multi_contract_share"] = float((adl["counterparty_contracts"] >= 2).mean())
    return out
