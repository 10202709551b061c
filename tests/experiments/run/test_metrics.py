"""The summary of a run: every field present, return statistics measured on the mid."""

import numpy as np
import pandas as pd
import pytest

from experiments.run.metrics import (
    SUMMARY_FIELDS,
    index_feedback,
    max_drawdown_pct,
    max_runup_pct,
    return_statistics,
)
from experiments.run.stylized_facts import stylized_facts


def book_path(n=20_000, seed=3, df=None):
    rng = np.random.default_rng(seed)
    draws = rng.standard_t(df, n) if df else rng.standard_normal(n)
    mid = 60_000.0 * np.exp(np.cumsum(1e-4 * draws))
    return pd.DataFrame({"best_bid": mid - 0.05, "best_ask": mid + 0.05})


def test_return_statistics_are_the_stylized_facts_of_the_mid():
    ts = book_path()
    stats = return_statistics(ts)
    facts = stylized_facts(((ts["best_bid"] + ts["best_ask"]) / 2).to_numpy())
    assert stats["return_hill_2_5pct"] == pytest.approx(facts["hill_2.5pct"])
    assert stats["return_excess_kurtosis"] == pytest.approx(facts["excess_kurtosis"])
    assert stats["return_skewness"] == pytest.approx(facts["skewness"])
    assert stats["abs_return_acf_lag1"] == pytest.approx(facts["abs_acf_lag1"])


def test_gaussian_mid_has_thin_tails_and_student_t_fat_ones():
    gauss = return_statistics(book_path())
    fat = return_statistics(book_path(df=3))
    assert gauss["return_hill_2_5pct"] > 5.5  # spec: Gaussian ≈ 7.3 at 2.5%
    assert 2.0 < fat["return_hill_2_5pct"] < 4.0  # spec: Student-t(3) ≈ 2.8
    assert abs(gauss["return_excess_kurtosis"]) < 0.5


def test_a_book_that_never_had_both_sides_gives_nan():
    ts = pd.DataFrame({"best_bid": [np.nan] * 50, "best_ask": [60_000.0] * 50})
    assert all(np.isnan(v) for v in return_statistics(ts).values())


def test_max_drawdown_is_peak_to_trough_percent():
    assert max_drawdown_pct(pd.Series([100.0, 120.0, 90.0, 110.0, 60.0])) == pytest.approx(50.0)


def test_max_runup_is_trough_to_peak_percent():
    assert max_runup_pct(pd.Series([100.0, 80.0, 120.0, 60.0, 90.0])) == pytest.approx(50.0)
    assert max_runup_pct(pd.Series([100.0, 90.0, 80.0])) == 0.0
    assert max_runup_pct(pd.Series([np.nan, 50.0, np.nan, 75.0])) == pytest.approx(50.0)


def test_index_runup_overshoot_is_the_rise_beyond_the_fundamental_over_the_same_window():
    # the fundamental rises 10% (100 → 110) between the index's trough (step 1) and peak
    # (step 3); the index rises 20% there (100 → 120) and falls back: an overshoot of 10 points
    ts = pd.DataFrame(
        {
            "fundamental": [100.0, 100.0, 105.0, 110.0, 110.0],
            "index": [101.0, 100.0, 110.0, 120.0, 111.0],
        }
    )
    fb = index_feedback(ts)
    assert fb["index_runup_pct"] == pytest.approx(20.0)
    assert fb["index_runup_overshoot_pct"] == pytest.approx(10.0)
    assert fb["index_gap_end_pct"] == pytest.approx(100.0 * (111.0 / 110.0 - 1.0))
    # mirror image: a fall, and no rise beyond the fundamental's
    down = pd.DataFrame({"fundamental": [100.0, 90.0, 90.0], "index": [100.0, 85.0, 90.0]})
    fb = index_feedback(down)
    assert fb["index_drawdown_pct"] == pytest.approx(15.0)
    assert fb["index_overshoot_pct"] == pytest.approx(5.0)
    assert fb["index_runup_pct"] == pytest.approx(100.0 * (90.0 / 85.0 - 1.0))
    assert fb["index_runup_overshoot_pct"] == pytest.approx(100.0 * (90.0 / 85.0 - 1.0))


def test_summary_fields_are_unique():
    assert len(SUMMARY_FIELDS) == len(set(SUMMARY_FIELDS))


def test_adl_study_fields_from_the_event_log():
    from experiments.run.metrics import adl_study, gini
    from model.events import EventLog

    log = EventLog()
    log.add("shortfall", 1.0, 7, 0, notional=100.0)
    log.add("adl", 1.0, 7, 0, notional=5_000.0, counterparty=1, socialised=300.0, covered=60.0)
    log.add("adl", 1.0, 7, 0, notional=2_000.0, counterparty=2, socialised=100.0, covered=40.0)
    log.add("haircut", 2.0, 9, 0, notional=50.0, counterparty=2, socialised=50.0, covered=50.0)
    study = adl_study(log.to_frame())
    assert study["adl_loss_socialised"] == pytest.approx(450.0)
    assert study["adl_shortfall_needed"] == pytest.approx(100.0)
    assert study["adl_shortfall_covered"] == pytest.approx(150.0)
    assert study["adl_socialised_per_needed"] == pytest.approx(4.5)
    assert study["adl_accounts_hit"] == 2
    assert study["adl_largest_share"] == pytest.approx(300.0 / 450.0)
    # two accounts paying 300 and 150: mean absolute difference 150 / (2 × mean 225) = 1/6
    assert study["adl_gini"] == pytest.approx(1.0 / 6.0)
    assert gini(np.array([1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 10.0])) == pytest.approx(2.0 / 3.0)


def test_adl_study_without_adl_is_nan_and_inf_when_nothing_was_needed():
    from experiments.run.metrics import adl_study
    from model.events import EventLog

    empty = adl_study(EventLog().to_frame())
    assert np.isnan(empty["adl_socialised_per_needed"]) and empty["adl_accounts_hit"] == 0
    assert np.isnan(empty["adl_over_utilisation"]) and empty["adl_overshoot"] == 0.0
    log = EventLog()
    log.add("shortfall", 1.0, 7, 0, notional=0.0)  # the fund could pay but was not allowed to
    log.add("adl", 1.0, 7, 0, counterparty=1, socialised=10.0)
    assert adl_study(log.to_frame())["adl_socialised_per_needed"] == np.inf


def test_chitras_needed_budget_production_haircut_and_overshoot_by_round():
    """Two rounds (fills 10 s apart). A bankrupt long (side +1) of 2 BTC is closed against a
    short winner at its bankruptcy price 100 above the mark: B = 100 · 2. The mark falls 50
    more by the round's end, so holding the short would have been worth 50 · 2 more: H = 300.
    In the second round a fill 20 below the mark on 1 BTC, and the price back up 30 by the
    round's end: B = 20, H = (1 · (price_end − fill)) for the long winner = 50. The price at a
    round's end is the last trade, else the mark."""
    import pandas as pd

    from experiments.run.metrics import adl_study
    from model.events import EventLog

    log = EventLog()
    log.add(
        "adl",
        100.0,
        7,
        0,
        side=1,
        qty=2.0,
        fill_price=60_100.0,
        mark_price=60_000.0,
        counterparty=1,
    )
    log.add(
        "adl",
        110.0,
        7,
        0,
        side=-1,
        qty=1.0,
        fill_price=59_980.0,
        mark_price=60_000.0,
        counterparty=2,
    )
    series = pd.DataFrame(
        {
            "time": [100.0, 101.0, 110.0, 111.0],
            "mark": [60_000.0, 59_990.0, 60_000.0, 60_030.0],
            "last": [60_000.0, 59_950.0, 60_000.0, np.nan],
        }
    )
    study = adl_study(log.to_frame(), series)
    assert study["adl_needed_budget"] == pytest.approx(200.0 + 20.0)
    # short winner: −2 · (59,950 − 60,100) = 300; long winner: 1 · (60,030 − 59,980) = 50
    assert study["adl_profit_taken"] == pytest.approx(350.0)
    assert study["adl_overshoot"] == pytest.approx(100.0 + 30.0)
    assert study["adl_over_utilisation"] == pytest.approx(350.0 / 220.0)
    # without the series each winner is valued at the mark of its fill: H = B fill by fill
    plain = adl_study(log.to_frame())
    assert plain["adl_profit_taken"] == pytest.approx(220.0)
    assert plain["adl_overshoot"] == 0.0


def test_the_event_measures_from_the_event_log():
    from experiments.run.metrics import adl_against_event
    from model.events import EventLog

    log = EventLog()
    for t in (10.0, 11.0, 11.0, 40.0):  # three liquidations before the first ADL, one with it
        log.add("liquidation", t, 1, 0, notional=1_000.0)
    log.add("liquidation", 70.0, 1, 0, notional=6_000.0)
    for t, notional, upnl, leverage, account in (
        (40.0, 2_000.0, 50.0, 0.2, 1),
        (41.0, 1_000.0, -5.0, 3.0, 2),
        (42.0, 1_000.0, 20.0, 0.4, 3),
    ):
        log.add(
            "adl",
            t,
            9,
            0,
            notional=notional,
            counterparty=account,
            counterparty_upnl=upnl,
            counterparty_leverage=leverage,
        )
    out = adl_against_event(log.to_frame())
    assert out["adl_liquidation_ratio"] == pytest.approx(4_000.0 / 10_000.0)
    assert out["first_adl_delay_seconds"] == pytest.approx(30.0)
    assert out["liquidations_before_first_adl_share"] == pytest.approx(3 / 5)
    assert out["adl_in_profit_share"] == pytest.approx(2 / 3)
    assert out["adl_median_leverage"] == pytest.approx(0.4)
    assert out["adl_fill_median_leverage"] == pytest.approx(0.4)


def test_the_median_leverage_of_adl_counts_each_account_once_at_its_first_hit():
    from experiments.run.metrics import adl_against_event
    from model.events import EventLog

    log = EventLog()
    log.add("liquidation", 1.0, 1, 0, notional=1_000.0)
    # account 3 is hit three times, its leverage falling as ADL cuts it; 4 and 5 once each
    for t, account, leverage in ((5.0, 3, 5.0), (6.0, 3, 4.0), (7.0, 3, 3.0), (8.0, 4, 0.2)):
        log.add("adl", t, 9, 0, counterparty=account, counterparty_leverage=leverage)
    log.add("adl", 9.0, 9, 0, counterparty=5, counterparty_leverage=0.3)
    out = adl_against_event(log.to_frame())
    assert out["adl_median_leverage"] == pytest.approx(0.3)  # of 5.0, 0.2, 0.3
    assert out["adl_fill_median_leverage"] == pytest.approx(3.0)  # of 5, 4, 3, 0.2, 0.3


def test_what_winners_paid_against_the_mark_and_the_shortfall_they_covered():
    from experiments.run.metrics import adl_study
    from model.events import EventLog

    log = EventLog()
    log.add("adl", 1.0, 7, 0, counterparty=1, socialised=10.0, covered=80.0)
    log.add("adl", 2.0, 7, 0, counterparty=2, socialised=10.0, covered=-30.0)  # better than mark
    study = adl_study(log.to_frame())
    assert study["adl_paid_against_mark"] == pytest.approx(50.0)
    assert study["adl_shortfall_covered"] == pytest.approx(80.0)  # never below 0


def test_the_event_measures_without_adl_are_nan():
    from experiments.run.metrics import adl_against_event
    from model.events import EventLog

    log = EventLog()
    log.add("liquidation", 10.0, 1, 0, notional=1_000.0)
    out = adl_against_event(log.to_frame())
    assert out["adl_liquidation_ratio"] == 0.0
    assert all(np.isnan(v) for k, v in out.items() if k != "adl_liquidation_ratio")
    assert np.isnan(adl_against_event(EventLog().to_frame())["adl_liquidation_ratio"])


def test_basis_recovery_takes_its_band():
    from experiments.run.metrics import basis_recovery_seconds

    gap = np.array([0.0, 0.02, 0.012, 0.008, 0.004, 0.0])  # perp below the index by this share
    ts = pd.DataFrame(
        {
            "time": np.arange(6.0) * 60.0,
            "index": 100.0,
            "best_bid": 100.0 * (1 - gap) - 0.01,
            "best_ask": 100.0 * (1 - gap) + 0.01,
            "last": 100.0,
        }
    )
    assert basis_recovery_seconds(ts, 60.0) == pytest.approx(180.0)  # within 0.5% at 240 s
    assert basis_recovery_seconds(ts, 60.0, 0.01) == pytest.approx(120.0)
    assert np.isnan(basis_recovery_seconds(ts, None, 0.01))


def test_time_statistics_weigh_each_row_by_the_seconds_it_covers():
    from experiments.run.measures import time_weighted_median, uniform_steps

    fixed = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "spread": [1.0, 2.0, 3.0, 10.0]})
    assert uniform_steps(fixed)
    assert time_weighted_median(fixed["spread"], fixed) == 2.5  # the plain median
    # adaptive rows: the 10-second calm row at 1 bp outweighs three busy one-second rows
    adaptive = pd.DataFrame({"time": [10.0, 11.0, 12.0, 13.0], "spread": [1.0, 5.0, 6.0, 7.0]})
    assert not uniform_steps(adaptive)
    assert time_weighted_median(adaptive["spread"], adaptive) == 1.0
    gaps = pd.DataFrame({"time": [10.0, 11.0, 12.0], "spread": [float("nan"), 5.0, 6.0]})
    assert time_weighted_median(gaps["spread"], gaps) == 5.0  # NaN rows are left out


def test_an_adaptive_run_gives_no_one_step_return_statistics_and_says_why():
    from experiments.run.measures import RETURN_FIELDS
    from experiments.run.metrics import json_summary
    from experiments.run.runner import run_scenario
    from model.scenario import load_scenario

    program = {"start": 300.0, "duration": 30.0, "notional": -1e6}
    settings = {"stepping.policy": "adaptive", "duration": 600.0, "flow_shocks": [program]}
    result = run_scenario(load_scenario("calm", settings), 1)
    assert result.summary["steps"] < 600  # long steps while calm, one-second ones around it
    summary = json_summary(result.summary, result.timeseries)
    for field in RETURN_FIELDS:
        assert summary[field] is None
        assert "adaptive steps" in summary["null_reasons"][field]
    assert summary["median_spread_bps"] is not None


def test_the_share_of_adl_fills_against_accounts_holding_several_contracts():
    from experiments.run.metrics import adl_against_event
    from model.events import EventLog

    log = EventLog()
    log.add("liquidation", 1.0, 1, 0, notional=1_000.0)
    for t, holdings in ((5.0, 1), (6.0, 2), (7.0, 3), (8.0, 1)):
        log.add("adl", t, 9, 0, counterparty=int(t), counterparty_contracts=holdings)
    assert adl_against_event(log.to_frame())["adl_multi_contract_share"] == pytest.approx(0.5)
