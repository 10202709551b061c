"""Every reason a summary gives for a field it cannot compute is true of the run: each preset
is run (seed 1) and each reason is checked against the run's events, time series and
settings by a check written apart from `experiments.run.metrics.null_reasons`."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest

from experiments.run.metrics import null_reasons
from experiments.run.runner import RunResult, run_scenario
from model.scenario import Scenario, available_scenarios, load_scenario


@cache
def run(preset: str) -> tuple[Scenario, RunResult]:
    scenario = load_scenario(preset)
    return scenario, run_scenario(scenario, seed=1, snapshots=False)


def kinds(result: RunResult, *names: str):
    return result.events[result.events["kind"].isin(names)]


def trigger_starts(scenario: Scenario) -> list[float]:
    return [s.start for s in scenario.index.shocks] + [f.start for f in scenario.flow_shocks]


def triggers_inside(scenario: Scenario) -> bool:
    return any(start < scenario.duration for start in trigger_starts(scenario))


def mark_after_first_trigger(scenario: Scenario, result: RunResult) -> tuple[float, np.ndarray]:
    ts = result.timeseries
    start = min(trigger_starts(scenario))
    after = np.flatnonzero(ts["time"].to_numpy() > start)
    mark = ts["mark"].to_numpy(dtype=float)
    return (mark[after[0] - 1] if after[0] > 0 else mark[after[0]]), mark[after[0] :]


def never_regained_half(scenario: Scenario, result: RunResult) -> bool:
    before, window = mark_after_first_trigger(scenario, result)
    trough = int(np.nanargmin(window))
    fall = before - window[trough]
    return fall > 0 and not (window[trough:] >= window[trough] + fall / 2.0).any()


def row_at_trough(scenario: Scenario, result: RunResult):
    ts = result.timeseries
    start = min(trigger_starts(scenario))
    after = ts[ts["time"] > start]
    return after.iloc[int(np.nanargmin(after["mark"].to_numpy(dtype=float)))]


def basis_never_back(scenario: Scenario, result: RunResult, reason: str) -> bool:
    ts = result.timeseries
    ends = [s.start + s.duration for s in scenario.index.shocks]
    ends += [f.start + f.duration for f in scenario.flow_shocks]
    band = 0.01 if "1.0%" in reason else 0.005
    mid = ((ts["best_bid"] + ts["best_ask"]) / 2.0).fillna(ts["last"])
    gap = (mid / ts["index"] - 1.0).abs()
    return not ((ts["time"] >= max(ends)) & (gap < band)).any()


def socialised(result: RunResult) -> float:
    return float(kinds(result, "adl", "haircut")["socialised"].sum())


def shortfall(result: RunResult) -> float:
    return float(kinds(result, "shortfall")["notional"].sum())


Check = Callable[[Scenario, RunResult], bool]
# each reason's opening words, and what must then be true of the run
CHECKS: dict[str, Check] = {
    "ADL did not fire": lambda s, r: kinds(r, "adl", "haircut").empty,
    "the ADL policy closes no position": lambda s, r: (
        kinds(r, "adl").empty and not kinds(r, "haircut").empty
    ),
    "ADL fired, but no position was liquidated": lambda s, r: (
        not kinds(r, "adl").empty and kinds(r, "liquidation").empty
    ),
    "ADL took": lambda s, r: socialised(r) > 0 and shortfall(r) <= 0,
    "ADL fired (": lambda s, r: not kinds(r, "adl", "haircut").empty,
    "no position was liquidated": lambda s, r: kinds(r, "liquidation")["notional"].sum() <= 0,
    "no step had both a bid and an ask": lambda s, r: (
        not (r.timeseries["best_bid"].notna() & r.timeseries["best_ask"].notna()).any()
    ),
    "one-step returns need steps of one length": lambda s, r: r.timeseries["dt"].nunique() > 1,
    "the mark never fell": lambda s, r: not (np.diff(r.timeseries["mark"].to_numpy()) < 0).any(),
    "the scenario has no order-flow trigger": lambda s, r: not s.flow_shocks,
    "the scenario has no trigger": lambda s, r: not triggers_inside(s),
    "the scenario has no shock": lambda s, r: not triggers_inside(s),
    "the book was one-sided at the mark's trough": lambda s, r: math.isnan(
        row_at_trough(s, r)["spread_bps"]
    ),
    "the book had bids but no ask": lambda s, r: math.isnan(row_at_trough(s, r)["best_ask"]),
    "the mark did not fall": lambda s, r: (
        mark_after_first_trigger(s, r)[1].min() >= mark_after_first_trigger(s, r)[0]
    ),
    "the mark never regained half": never_regained_half,
    "the venue has one contract": lambda s, r: len(s.contracts) == 1,
    "the first contract's mark never fell": lambda s, r: (
        len(s.contracts) > 1 and not (np.diff(r.timeseries["mark"].to_numpy()) < 0).any()
    ),
}


def took_no_profit(scenario: Scenario, result: RunResult, reason: str) -> bool:
    fired = not kinds(result, "adl", "haircut").empty
    zero_over_zero = "(0 / 0)" not in reason or shortfall(result) <= 0
    return fired and socialised(result) <= 0 and zero_over_zero


def needed_budget(result: RunResult) -> float:
    fills = kinds(result, "adl")
    haircuts = kinds(result, "haircut")
    gap = (fills["mark_price"] - fills["fill_price"]).abs() * fills["qty"]
    return float(gap.sum() + haircuts["socialised"].sum())


def holds(scenario: Scenario, result: RunResult, reason: str) -> bool:
    if reason.startswith("ADL fired (") and "took no profit" in reason:
        return took_no_profit(scenario, result, reason)
    if reason.startswith("ADL fired (") and "needed budget" in reason:
        return needed_budget(result) <= 0
    if reason.startswith("the scenario has no shock"):  # no shock, or the basis never came back
        return not triggers_inside(scenario) or basis_never_back(scenario, result, reason)
    openings = [opening for opening in CHECKS if reason.startswith(opening)]
    assert openings, f"no check for the reason {reason!r}: add one to CHECKS"
    return all(CHECKS[opening](scenario, result) for opening in openings)


@pytest.mark.parametrize("preset", available_scenarios())
def test_every_null_fields_reason_is_true_of_the_run(preset):
    scenario, result = run(preset)
    reasons = null_reasons(result.summary, result.timeseries)
    for field, reason in reasons.items():
        assert reason != "not a finite number in this run", field  # every NaN is explained
        assert holds(scenario, result, reason), (preset, field, reason)


def test_adl_reasons_say_what_adl_did():
    from experiments.run.metrics import _adl_reason

    base = {
        "adl_accounts_hit": 0,
        "adl_count": 0,
        "adl_loss_socialised": 0.0,
        "adl_shortfall_needed": 0.0,
        "liquidations_count": 3,
    }
    assert _adl_reason("adl_gini", base).startswith("ADL did not fire")
    fired = {**base, "adl_accounts_hit": 4, "adl_count": 28}
    assert "took no profit" in _adl_reason("adl_socialised_per_needed", fired)
    assert "(0 / 0)" in _adl_reason("adl_socialised_per_needed", fired)
    assert "needed budget" in _adl_reason("adl_over_utilisation", fired)
    unbounded = {**fired, "adl_loss_socialised": 120.0}
    assert _adl_reason("adl_socialised_per_needed", unbounded).startswith("ADL took 120 USDT")
    haircuts = {**fired, "adl_count": 0}
    assert "closes no position" in _adl_reason("adl_median_leverage", haircuts)
