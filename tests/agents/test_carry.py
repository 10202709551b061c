"""Carry traders: the passive, low-leverage other side of the crowd's net position."""

import numpy as np
import pytest

from agents.builders import CARRY_TRADERS


def lots_of(model, traders):
    """Summed signed lots of ``traders``, per contract."""
    return model.ledger.lots[[t.account for t in traders]].sum(axis=0)


def effective_leverage(model, traders):
    """Total mark notional over total equity of ``traders``."""
    ledger = model.ledger
    accounts = [t.account for t in traders]
    notional = (np.abs(ledger.lots[accounts]) * ledger.lot * model.mark).sum()
    return notional / model.risk.cross_equity[accounts].sum()


@pytest.mark.parametrize(("preset", "bias"), [("calm", 0.8), ("calm", 0.2), ("flash-crash", 1.0)])
def test_carry_traders_hold_the_other_side_of_the_crowds_net_position(build, preset, bias):
    model = build(preset, {"population.leveraged": 200, "population.long_bias": bias})
    pop = model.population
    crowd, carry = lots_of(model, pop.leveraged), lots_of(model, pop.carry)
    assert len(pop.carry) == CARRY_TRADERS
    assert crowd[0] != 0 and np.sign(crowd[0]) == (1 if bias > 0.5 else -1)
    assert np.array_equal(carry, -crowd)  # open interest balances before the first step
    assert not model.ledger.lots.sum(axis=0).any()
    if bias == 1.0:  # a crowd of longs: every carry trader is short
        assert all(t.position(0) < 0 for t in pop.carry)


def test_carry_traders_balance_each_contract_separately(build):
    model = build("cross-margin-contagion", {"population.leveraged": 200})
    pop = model.population
    crowd, carry = lots_of(model, pop.leveraged), lots_of(model, pop.carry)
    assert np.all(crowd != 0)
    assert np.array_equal(carry, -crowd)


def test_carry_traders_hold_at_low_leverage(build):
    model = build("flash-crash", {"population.leveraged": 200, "population.whales": 0})
    pop = model.population
    crowd = effective_leverage(model, pop.leveraged)
    carry = effective_leverage(model, pop.carry)
    assert carry <= 1.0  # fully funded as a group, against a crowd at ~15x
    assert crowd > 5.0 and carry < crowd / 5
    each = [effective_leverage(model, [t]) for t in pop.carry]
    assert np.median(each) <= 1.0


def test_carry_traders_never_trade(build):
    model = build("calm")
    pop = model.population
    before = model.ledger.lots[[t.account for t in pop.carry]].copy()
    for _ in range(60):
        model.step()
    assert np.array_equal(model.ledger.lots[[t.account for t in pop.carry]], before)
    assert all(not model.exchange.books[0].orders_of(t.account) for t in pop.carry)


def test_every_carry_trader_is_near_1x_even_the_one_facing_a_whale(build):
    # capital follows what each carry trader takes, so the one matched with a whale is not
    # left at several times leverage (entries differ a little from the mark: hence 1.05)
    model = build("calm", {"population.leveraged": 40, "population.whales": 2})
    carry = model.population.carry
    assert all(model.risk.cross_equity[t.account] > 0 for t in carry)
    each = [effective_leverage(model, [t]) for t in carry]
    assert max(each) <= 1.05
