"""Informed traders on the perpetual (``prices.informed_perp_traders``): the value signal reaches
the perpetual's own book, within the informed traders' risk limits."""

from __future__ import annotations

import pytest

from agents.informed_perp import InformedPerpTrader
from model.gateway import TimeInForce
from model.scenario import load_scenario
from model.simulation import CascadeModel

NEWS = {"start": 60.0, "duration": 10.0, "change_pct": -5.0}


def news_run(perp: int, spot: int, seed: int, **extra: object) -> CascadeModel:
    """Calm, a 5% drop of the value signal at 60 s, ``perp`` informed traders on the perpetual
    and ``spot`` on the spot venues; the model after 360 s."""
    settings = {
        "index.shocks": [NEWS],
        "duration": 360.0,
        "spot.value_traders": spot,
        "prices.informed_perp_traders": perp,
        **extra,
    }
    model = CascadeModel(load_scenario("calm", settings), rng=seed)
    model.run()
    return model


def test_none_by_default_and_none_when_the_makers_are_told_the_value():
    assert not CascadeModel(
        load_scenario("calm", {"duration": 5.0}), rng=1
    ).population.perp_informed
    told = {"prices.makers_know_value": True, "prices.informed_perp_traders": 5, "duration": 5.0}
    assert not CascadeModel(load_scenario("calm", told), rng=1).population.perp_informed
    model = CascadeModel(
        load_scenario("calm", {"prices.informed_perp_traders": 3, "duration": 5.0}), rng=1
    )
    traders = model.population.perp_informed
    assert len(traders) == 3 and all(isinstance(t, InformedPerpTrader) for t in traders)
    assert len({t.account for t in traders}) == 3  # each its own account


@pytest.mark.parametrize("seed", [1, 2])
def test_news_reaches_the_perpetual_through_its_own_informed_traders(seed):
    """With no informed trader on spot, the perpetual's informed traders alone carry most of a
    5% news drop into the mark within five minutes, by selling the perpetual."""
    model = news_run(perp=5, spot=0, seed=seed)
    moved = float(model.mark[0]) / 60_000.0 - 1.0
    value = float(model.fundamental[0]) / 60_000.0 - 1.0
    assert value == pytest.approx(-0.05, abs=0.01)
    assert moved < 0.6 * value
    assert sum(t.position(0) for t in model.population.perp_informed) < 0  # they sold


def test_an_informed_trader_holds_no_more_than_its_risk_limit():
    """With no growth of the limit with the gap, each holds at most ``informed_max_position``
    (plus one lot of rounding), however wide the gap stays."""
    limit = 1_000_000.0
    model = news_run(
        perp=5,
        spot=0,
        seed=1,
        **{"prices.informed_max_position": limit, "prices.informed_position_per_bps": 0.0},
    )
    mark, lot = float(model.mark[0]), float(model.ledger.lot[0])
    held = [abs(t.position(0)) * lot * mark for t in model.population.perp_informed]
    assert max(held) > 0.5 * limit  # the gap was wide enough to fill the limit
    assert max(held) <= limit * 1.1  # the mark moved since the last fill


class Spy:
    """Records what a trader sends instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[tuple] = []

    def send(self, contract, side, lots, ticks, tif, **kwargs):
        self.sent.append((contract, side, lots, ticks, tif))


def one_trader(preset: str = "calm") -> tuple[CascadeModel, InformedPerpTrader]:
    model = CascadeModel(
        load_scenario(
            preset, {"prices.informed_perp_traders": 1, "duration": 30.0, "index.shocks": []}
        ),
        rng=1,
    )
    model.step()  # the makers quote
    return model, model.population.perp_informed[0]


@pytest.mark.parametrize("side", [1, -1])
def test_it_takes_the_quote_a_gap_away_with_its_clip_limited_short_of_the_value(side):
    model, trader = one_trader()
    view, rules, spy = model.view, trader.rules, Spy()
    book = view.books[0]
    best = (book.best_ask() if side > 0 else book.best_bid()) * view.tick[0]
    value = best * (1.0 + side * 0.0020)  # 20 bps through the quote
    trader.draw = (0, value)
    trader.act(view, spy)  # type: ignore[arg-type]
    assert len(spy.sent) == 1
    contract, sent_side, lots, ticks, tif = spy.sent[0]
    gap = side * (value - best) / value * 1e4
    clip = min(rules.max_clip, rules.clip_per_bps * (gap - rules.threshold_bps))
    assert (contract, sent_side, tif) == (0, side, TimeInForce.IOC)
    assert lots == view.to_lots(0, clip / best)
    assert ticks == view.to_ticks(0, value * (1.0 - side * rules.threshold_bps / 1e4))
    # inside the threshold it does nothing
    trader.draw = (0, best * (1.0 + side * 0.5 * rules.threshold_bps / 1e4))
    trader.act(view, spy)  # type: ignore[arg-type]
    assert len(spy.sent) == 1


def test_it_trades_the_contract_it_drew():
    model, trader = one_trader("cross-margin-contagion")
    view, spy = model.view, Spy()
    best = view.books[1].best_ask() * view.tick[1]
    trader.draw = (1, best * 1.002)
    trader.act(view, spy)  # type: ignore[arg-type]
    assert [s[:2] for s in spy.sent] == [(1, 1)]
    trader.draw = (1, 0.0)  # no value: nothing to trade on
    trader.act(view, spy)  # type: ignore[arg-type]
    assert len(spy.sent) == 1
