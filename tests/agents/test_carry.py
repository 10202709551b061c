"""Carry traders: the low-leverage other side of the crowd's net position, passive by default,
or sizing it by funding and basis."""

import numpy as np
import pytest

from agents.builders import CARRY_TRADERS
from agents.carry import CarryRules, expected_carry_bps, target_multiple
from model.scenario import load_scenario
from model.simulation import CascadeModel


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


def test_carry_traders_never_trade_by_default(build):
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


RULES = CarryRules(sensitivity=0.02, horizon=28_800.0, max_multiple=2.0, look=10.0, clip=250_000.0)


def test_a_short_earns_positive_funding_and_a_rich_perpetual():
    # 1 bp per 8 h over 8 h, plus 5 bp of premium collected once
    assert expected_carry_bps(-1, 1e-4, 28_800.0, 28_800.0, 5e-4) == pytest.approx(6.0)
    assert expected_carry_bps(1, 1e-4, 28_800.0, 28_800.0, 5e-4) == pytest.approx(-6.0)
    # hourly payments of the same rate: eight of them in 8 h
    assert expected_carry_bps(-1, 1e-4, 3_600.0, 28_800.0, 0.0) == pytest.approx(8.0)


def test_the_position_wanted_grows_with_carry_within_its_bounds():
    assert target_multiple(1.0, 1.0, RULES) == 1.0
    assert target_multiple(11.0, 1.0, RULES) == pytest.approx(1.2)  # 10 bp more: 20% more
    assert target_multiple(500.0, 1.0, RULES) == 2.0  # at most max_multiple
    assert target_multiple(-500.0, 1.0, RULES) == 0.0  # never the other way


def carry_run(sensitivity: float) -> tuple[float, float]:
    """A long crowd, a perpetual buy program of 20M over 5 minutes: the carry traders' position
    at the start and the end (USDT, shorts negative)."""
    program = {"start": 300.0, "duration": 300.0, "notional": 20_000_000.0}
    settings = {
        "population.long_bias": 0.8,
        "duration": 900.0,
        "flow_shocks": [program],
        "population.carry.sensitivity": sensitivity,
    }
    model = CascadeModel(load_scenario("calm", settings), rng=1)
    carry = model.population.carry
    lot, price = float(model.ledger.lot[0]), 60_000.0
    start = sum(t.position(0) for t in carry) * lot * price
    model.run()
    end = sum(t.position(0) for t in carry) * lot * price
    return start, end


def test_carry_traders_sell_into_a_rich_perpetual_and_hold_still_without_sensitivity():
    start, passive = carry_run(0.0)
    assert start < 0  # the long crowd's counterparties are short
    assert passive == pytest.approx(start)  # they never trade
    _, active = carry_run(0.02)
    assert active < start - 1_000_000.0  # they sold more than 1M more of it


def test_a_sensitivity_without_carry_counterparties_is_refused():
    with pytest.raises(ValueError, match=r"population\.carry\.sensitivity"):
        load_scenario("oct-10-2025", {"population.carry.sensitivity": 0.02})  # hedgers
