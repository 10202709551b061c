"""Hedgers: many low-leverage holders of the other side of the crowd's net position."""

import numpy as np
import pytest

from agents.hedger import position_sizes, pour, split_lots
from model.scenario import Hedgers

HEDGERS = {"population.counterparties": "hedgers", "population.leveraged": 200}


def lots_of(model, traders):
    """Summed signed lots of ``traders``, per contract."""
    return model.ledger.lots[[t.account for t in traders]].sum(axis=0)


def each_leverage(model, traders):
    """Mark notional over equity of every trader in ``traders``."""
    ledger = model.ledger
    accounts = [t.account for t in traders]
    notional = (np.abs(ledger.lots[accounts]) * ledger.lot * model.mark).sum(axis=1)
    return notional / model.risk.cross_equity[accounts]


@pytest.mark.parametrize(("preset", "bias"), [("calm", 0.8), ("calm", 0.2), ("flash-crash", 1.0)])
def test_hedgers_hold_the_other_side_of_the_crowds_net_position(build, preset, bias):
    model = build(preset, {**HEDGERS, "population.long_bias": bias})
    pop = model.population
    crowd, hedgers = lots_of(model, pop.leveraged), lots_of(model, pop.hedgers)
    assert not pop.carry  # they replace the ten carry accounts
    assert crowd[0] != 0 and np.array_equal(hedgers, -crowd)
    assert not model.ledger.lots.sum(axis=0).any()  # open interest balances
    net_side = -np.sign(crowd[0])
    # every hedger holds its share of the net position, on the side opposite the crowd
    assert all(np.sign(t.position(0)) == net_side for t in pop.hedgers)


def test_hedgers_are_many_and_sized_from_their_distribution(build):
    model = build("flash-crash", {**HEDGERS, "population.hedgers.notional_median": 20_000.0})
    pop = model.population
    ledger = model.ledger
    sizes = np.abs(ledger.lots[[t.account for t in pop.hedgers], 0]) * ledger.lot[0] * model.mark[0]
    net = abs(lots_of(model, pop.leveraged)[0]) * ledger.lot[0] * model.mark[0]
    # their number follows from the crowd's net position and the drawn sizes
    assert len(pop.hedgers) > 50
    assert len(pop.hedgers) == pytest.approx(net / sizes.mean(), rel=0.01)
    assert 10_000.0 < np.median(sizes) < 40_000.0


def test_hedgers_hold_at_their_drawn_low_leverage(build):
    model = build("flash-crash", {**HEDGERS, "population.hedgers.leverage_median": 0.25})
    each = each_leverage(model, model.population.hedgers)
    assert 0.15 < np.median(each) < 0.4  # lognormal around the median (log-std 0.5)
    assert each.max() < 2.0
    crowd = each_leverage(model, model.population.leveraged)
    assert np.median(crowd) > 20 * np.median(each)


def test_hedgers_balance_each_contract_separately(build):
    model = build("cross-margin-contagion", HEDGERS)
    pop = model.population
    crowd, hedgers = lots_of(model, pop.leveraged), lots_of(model, pop.hedgers)
    assert np.all(crowd != 0) and np.array_equal(hedgers, -crowd)


def test_hedgers_never_trade(build):
    model = build("calm", HEDGERS)
    pop = model.population
    accounts = [t.account for t in pop.hedgers]
    before = model.ledger.lots[accounts].copy()
    for _ in range(60):
        model.step()
    assert np.array_equal(model.ledger.lots[accounts], before)
    assert all(not model.exchange.books[0].orders_of(a) for a in accounts)


def test_carry_counterparties_are_the_default(build):
    model = build("calm")
    assert len(model.population.carry) == 10 and not model.population.hedgers


def test_position_sizes_cover_the_net_notional_exactly():
    rng = np.random.default_rng(5)
    sizes = position_sizes(rng, 1e6, Hedgers(notional_median=30_000.0, notional_sigma=1.0))
    assert sizes.sum() == pytest.approx(1e6) and (sizes > 0).all()
    assert len(sizes) > 10
    assert position_sizes(rng, 0.0, Hedgers()).size == 0


def test_split_lots_keeps_the_total_and_the_proportions():
    parts = split_lots(np.array([1.0, 2.0, 7.0]), 101)
    assert parts.sum() == 101 and list(parts) == [10, 20, 71]
    assert split_lots(np.array([1.0, 1.0]), 0).sum() == 0


def test_pour_splits_positions_where_a_hedger_fills_up():
    pieces = pour([(1, 0, 5, 100.0), (2, 0, 4, 101.0)], np.array([3, 6]))
    assert pieces == [(0, 1, 0, 3, 100.0), (1, 1, 0, 2, 100.0), (1, 2, 0, 4, 101.0)]
    with pytest.raises(ValueError, match="capacity"):
        pour([(1, 0, -5, 100.0)], np.array([2]))
