"""Per-trader outcomes: who was liquidated, with the set-up each trader started with."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.run.traders import TRADER_COLUMNS, run_traders, trader_outcomes, trader_setup
from model.scenario import load_scenario
from model.simulation import CascadeModel

SMALL_CRASH = {
    "population.leveraged": 80,
    "population.noise": 20,
    "population.momentum": 5,
    "duration": 200.0,
    "index.shocks.0.start": 60.0,
    "population.defences.stop_loss_share": 0.3,
    "prices.makers_know_value": True,  # the scripted fall: a known size inside the 200 s
}


@pytest.fixture(scope="module")
def crash():
    scenario = load_scenario("flash-crash", SMALL_CRASH)
    model = CascadeModel(scenario, rng=3)
    setup = trader_setup(model)
    model.run()
    return model, setup, trader_outcomes(model, setup)


def test_one_row_per_leveraged_trader_with_its_starting_set_up(crash):
    model, setup, out = crash
    leveraged = model.population.leveraged
    assert list(out.columns) == TRADER_COLUMNS
    assert len(out) == len(leveraged) == 80 + model.config.population.whales
    assert out["account"].tolist() == [t.account for t in leveraged]
    assert out["leverage"].tolist() == [t.leverage for t in leveraged]
    assert out["stop_loss"].tolist() == [t.stop_loss_pct is not None for t in leveraged]
    # read before the first step: the sides drawn, whatever happened later
    assert (out["side"] == setup["side"]).all()
    assert out["isolated"].any() and not out["isolated"].all()


def test_liquidated_are_exactly_the_accounts_in_the_liquidation_events(crash):
    model, _, out = crash
    events = model.events.to_frame()
    liquidated = set(events.loc[events["kind"] == "liquidation", "account"]) & set(out["account"])
    assert liquidated, "the crash should liquidate someone"
    assert set(out.loc[out["liquidated"], "account"]) == liquidated
    assert (out["liquidated"] == (out["liquidations"] > 0)).all()
    assert out.loc[out["liquidated"], "first_liquidation"].notna().all()
    assert out.loc[~out["liquidated"], "first_liquidation"].isna().all()
    # the crash is a fall: liquidated traders are longs
    assert (out.loc[out["liquidated"], "side"] > 0).all()


def test_stops_and_equity(crash):
    model, _, out = crash
    assert not out.loc[~out["stop_loss"], "stopped"].any()  # only a trader with a stop can stop
    assert out.loc[out["stop_loss"], "stopped"].any()
    assert (out["equity_end"] >= -1e-6).all()
    ledger = model.ledger
    first = out.iloc[0]
    account = int(first["account"])
    expected = (
        ledger.wallet[account]
        + ledger.iso_margin[account].sum()
        + ledger.upnl(model.mark, np.array([account])).sum()
        + model.population.leveraged[0].reserve
    )
    assert first["equity_end"] == pytest.approx(expected)
    assert np.allclose(out["return_pct"], (out["equity_end"] / out["capital"] - 1) * 100)


def test_run_traders_is_the_same_run_on_the_same_seed():
    scenario = load_scenario("flash-crash", {**SMALL_CRASH, "duration": 130.0})
    a, b = (
        run_traders(scenario, np.random.SeedSequence(5)),
        run_traders(scenario, np.random.SeedSequence(5)),
    )
    assert a.equals(b)
