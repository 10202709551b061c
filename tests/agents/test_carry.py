"""Carry traders who size their position by what it earns: funding and the basis."""

from __future__ import annotations

import pytest

from agents.carry import CarryRules, expected_carry_bps, target_multiple
from model.scenario import load_scenario
from model.simulation import CascadeModel

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


def carry_run(sensitivity: float) -> tuple[float, float, float]:
    """A long crowd, a perpetual buy program of 20M over 5 minutes: the carry traders' position
    at the start and the end (USDT, shorts negative), and the premium at the end (bp)."""
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
    premium = float(model.view.prices()[0][0] / model.view.index[0] - 1.0) * 1e4
    return start, end, premium


def test_carry_traders_sell_into_a_rich_perpetual_and_hold_still_without_sensitivity():
    start, passive, premium_passive = carry_run(0.0)
    assert start < 0  # the long crowd's counterparties are short
    assert passive == pytest.approx(start)  # they never trade
    _, active, premium_active = carry_run(0.02)
    assert active < start - 1_000_000.0  # they sold more than 1M more of it
    assert premium_active < premium_passive  # and the perpetual is less rich for it
