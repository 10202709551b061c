"""Momentum traders: buy after rises, sell after falls, exit when the move reverses."""

import numpy as np
import pytest

from agents.history import PriceHistory
from agents.momentum import STAKE, THRESHOLD
from agents.population import MOMENTUM_LOOKBACK


def react(model, trader, ret):
    """The trader sees ``ret`` as contract 0's return over its lookback, and acts."""
    trader.signal = (0, ret)
    trader.act(model.view, trader.gateway)


def momentum_market(build, desk_for, n=1):
    """``n`` momentum traders facing a deep book around 60,000, and nobody else."""
    model = build("calm", {"population.momentum": n}, bare=True)
    desk_for(model).quote(59_995.0, 60_005.0)
    return model, model.population.momentum


@pytest.mark.parametrize("move", [1, -1])
def test_momentum_trades_with_the_move(build, desk_for, move):
    model, (trader,) = momentum_market(build, desk_for)
    react(model, trader, move * 2 * THRESHOLD)
    assert np.sign(trader.position(0)) == move
    # sized at STAKE of the deposit's buying power
    notional = abs(trader.position(0)) * model.ledger.lot[0] * 60_000.0
    assert notional == pytest.approx(trader.capital * trader.leverage * STAKE, rel=0.01)


def test_momentum_ignores_moves_below_the_threshold(build, desk_for):
    model, (trader,) = momentum_market(build, desk_for)
    for ret in (0.5 * THRESHOLD, -0.5 * THRESHOLD, 0.0, float("nan")):
        react(model, trader, ret)
    assert trader.position(0) == 0


def test_momentum_exits_when_the_move_reverses_and_holds_while_it_continues(
    build, desk_for, monkeypatch
):
    monkeypatch.setattr("agents.momentum.STAKE", 0.2)  # margin to spare for a second trade
    model, (trader,) = momentum_market(build, desk_for)
    react(model, trader, 2 * THRESHOLD)
    held = trader.position(0)
    react(model, trader, 3 * THRESHOLD)  # the move goes on: it holds, it does not add
    assert trader.position(0) == held
    react(model, trader, -2 * THRESHOLD)  # reversal: out, not straight into a short
    assert trader.position(0) == 0
    react(model, trader, -2 * THRESHOLD)  # the fall continues from flat: now it sells
    assert trader.position(0) < 0


def test_population_feeds_momentum_traders_the_lookback_return(build, desk_for, monkeypatch):
    # every momentum trader acts this step, so the test sees what they were told
    monkeypatch.setattr("agents.population.MOMENTUM_RATE", 1.0)
    model, traders = momentum_market(build, desk_for, n=20)
    pop = model.population
    mids = model.view.prices()[0]
    pop.mid_history = PriceHistory(MOMENTUM_LOOKBACK)
    for t in range(-31, 0):  # a book 1% lower over the whole lookback
        pop.mid_history.append(float(t), mids * 0.99)
    pop.trade_perp(0.0)
    assert all(t.position(0) > 0 for t in traders)

    pop.mid_history = PriceHistory(MOMENTUM_LOOKBACK)
    for t in range(-30, 1):  # the same book 1% higher back then: a fall
        pop.mid_history.append(float(t), mids * 1.01)
    pop.trade_perp(1.0)
    assert all(t.position(0) == 0 for t in traders)
