"""Persistent noise demand (TFG's noise traders): an Ornstein–Uhlenbeck position traded at
market, which pushes the price away from value for a while."""

import numpy as np
import pytest

from agents.noise_demand import NoiseDemand
from model.scenario import load_scenario
from model.simulation import CascadeModel

QUIET = {
    "duration": 900.0,
    "population.leveraged": 20,
    "population.whales": 0,
    "population.noise": 10,
    "population.momentum": 0,
}


def run(overrides):
    model = CascadeModel(load_scenario("calm", {**QUIET, **overrides}), audit=True)
    targets, held = [], []
    while model.running:
        model.step()
        for demand in model.population.noise_demand:
            targets.append(demand.target)
            held.append(demand.position(0) * float(model.ledger.lot[0]) * float(model.mark[0]))
    return model, np.array(targets), np.array(held)


def test_off_by_default():
    model, targets, _ = run({})
    assert model.population.noise_demand == []
    assert not any(isinstance(a, NoiseDemand) for a in model.agents)
    assert targets.size == 0


def test_position_follows_an_ou_target_and_moves_the_price():
    std, halflife = 4_000_000.0, 60.0
    model, targets, held = run(
        {
            "population.noise_demand.std": std,
            "population.noise_demand.halflife": halflife,
            "spot.learning_bps": 100.0,
        }
    )
    # one agent per contract, trading the target at market every step: within a few lots
    assert len(model.population.noise_demand) == 1
    assert np.abs(held - targets).max() < 0.01 * std
    # Ornstein–Uhlenbeck around 0: each step keeps 0.5**(dt/halflife) of the target and adds a
    # normal shock of std·sqrt(1 − keep²), so that the stationary spread is std
    keep = 0.5 ** (1.0 / halflife)
    before, after = targets[:-1], targets[1:]
    # (900 steps: the regression slope is within ~0.01 of keep; the shocks pin the rule down)
    assert (before @ after) / (before @ before) == pytest.approx(keep, abs=0.02)
    shocks = after - keep * before
    assert shocks.std() == pytest.approx(std * np.sqrt(1.0 - keep**2), rel=0.1)
    assert abs(shocks.mean()) < 0.1 * shocks.std()
    assert abs(np.corrcoef(shocks[:-1], shocks[1:])[0, 1]) < 0.1  # independent draws
    assert 0.4 * std < targets.std() < 1.6 * std
    # its buying lifts the price above value and its selling pushes it below
    ts = model.datacollector.get_model_vars_dataframe()
    gap = np.log(ts["index"].to_numpy() / ts["fundamental"].to_numpy())
    assert np.corrcoef(targets, gap)[0, 1] > 0.5


def test_negative_std_is_refused():
    with pytest.raises(ValueError, match="noise_demand"):
        load_scenario("calm", {"population.noise_demand.std": -1.0})


@pytest.mark.parametrize("counterparties", ["carry", "hedgers"])
def test_starts_holding_its_stationary_draw_opened_off_the_book(counterparties):
    std = 4_000_000.0
    model = CascadeModel(
        load_scenario(
            "calm",
            {
                **QUIET,
                "population.noise_demand.std": std,
                "population.noise_demand.halflife": 600.0,
                "population.counterparties": counterparties,
            },
        ),
        audit=True,
    )
    (demand,) = model.population.noise_demand
    price = model.config.contracts[0].initial_price
    held = demand.position(0)
    assert held != 0 and held == demand.lots_wanted(price)
    assert abs(held * float(model.ledger.lot[0]) * price - demand.target) < 0.01 * std
    assert model.exchange.books[0].last_price is None  # nothing traded to get there
    assert not model.risk.any_breach
    model.step()  # the first step trades only the target's one-step move, not the whole draw
    moved = abs(demand.position(0) - held) * float(model.ledger.lot[0]) * price
    assert moved < 0.2 * std
