"""The crash measures: the fall from the trigger, the trough, the recovery, the amplification."""

import math

import numpy as np
import pandas as pd
import pytest

from experiments.run.crash import CRASH_FIELDS, crash_measures
from experiments.run.runner import run_scenario
from model.scenario import load_scenario


def series(marks, start_time=1.0):
    """One row per second: the mark, a spread and bid depth that move with the row."""
    n = len(marks)
    return pd.DataFrame(
        {
            "time": start_time + np.arange(n, dtype=float),
            "mark": np.asarray(marks, dtype=float),
            "spread_bps": 1.0 + np.arange(n, dtype=float),
            "depth_bid": 1000.0 * (1 + np.arange(n, dtype=float)),
        }
    )


NO_LIQUIDATIONS = pd.DataFrame({"time": [], "notional": []})


def test_a_fall_its_trough_and_the_half_recovery():
    # steps end at 1..8 s; the trigger starts at 2 s: the fall is from the mark at 2 s (100)
    ts = series([100, 100, 97, 92, 90, 93, 95, 96])
    liq = pd.DataFrame({"time": [1.0, 3.0, 4.0], "notional": [7.0, 20.0, 30.0]})
    out = crash_measures(ts, liq, start=2.0, trigger_notional=40.0)
    assert out["trigger_drawdown_pct"] == pytest.approx(10.0)
    assert out["trough_spread_bps"] == 5.0 and out["trough_depth_bid"] == 5000.0  # row of 90
    assert out["recovery_halflife_seconds"] == 2.0  # 95 (half of the 10 back) two rows later
    assert out["liquidated_per_trigger"] == pytest.approx(50.0 / 40.0)  # not the one before
    assert out["trigger_notional"] == 40.0


def test_seconds_with_an_empty_side_count_each_step_for_its_length():
    # steps end at 1..6 s; the trigger starts at 2 s: rows ending at 3..6 s count
    ts = series([100, 100, 97, 92, 90, 93])
    ts["dt"] = [1.0, 1.0, 1.0, 5.0, 1.0, 10.0]
    ts["best_bid"] = [99.0, np.nan, np.nan, np.nan, 89.0, np.nan]
    ts["best_ask"] = [101.0, 101.0, 98.0, 93.0, np.nan, 94.0]
    out = crash_measures(ts, NO_LIQUIDATIONS, start=2.0, trigger_notional=0.0)
    assert out["bid_empty_seconds"] == 1.0 + 5.0 + 10.0  # not the row before the trigger
    assert out["ask_empty_seconds"] == 1.0


def test_no_trigger_no_crash_measures():
    out = crash_measures(series([100, 99, 101]), NO_LIQUIDATIONS, None, 0.0)
    assert set(out) == set(CRASH_FIELDS) and all(math.isnan(v) for v in out.values())


def test_a_scheduled_shock_has_a_fall_but_no_trigger_notional():
    out = crash_measures(series([100, 100, 96, 95]), NO_LIQUIDATIONS, 2.0, 0.0)
    assert out["trigger_drawdown_pct"] == pytest.approx(5.0)
    assert math.isnan(out["trigger_notional"]) and math.isnan(out["liquidated_per_trigger"])
    assert math.isnan(out["recovery_halflife_seconds"])  # never regained half


def test_a_price_that_only_rises_has_no_fall_and_no_recovery():
    out = crash_measures(series([100, 100, 101, 102]), NO_LIQUIDATIONS, 2.0, 5.0)
    assert out["trigger_drawdown_pct"] == 0.0
    assert math.isnan(out["recovery_halflife_seconds"])


def test_a_sell_program_in_a_run_is_measured_from_its_start():
    scenario = load_scenario(
        "calm",
        {
            "population.leveraged": 40,
            "duration": 240.0,
            "flow_shocks": [{"start": 60.0, "duration": 30.0, "notional": -8_000_000.0}],
        },
    )
    summary = run_scenario(scenario, 3).summary
    assert summary["trigger_notional"] == 8_000_000.0
    assert summary["trigger_drawdown_pct"] > 0.0  # a sell program moves the mark down
    assert summary["liquidated_per_trigger"] >= 0.0
    assert summary["trough_depth_bid"] >= 0.0
