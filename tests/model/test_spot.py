"""Spot venues: fills swap coins for cash, nothing is created, best venue per side."""

import pytest

from model.orderbook import TimeInForce
from model.scenario import load_scenario
from model.spot import SpotMarkets


def market():
    spot = SpotMarkets([0.1], [0.001], n_venues=2)
    maker = spot.open_account(1e6, [10.0])
    taker = spot.open_account(1e6, [10.0])
    return spot, maker, taker


def test_a_fill_moves_coins_one_way_and_cash_the_other():
    spot, maker, taker = market()
    spot.post(maker, 0, 0, -1, 1_000, 600_000)  # 1 coin at 60,000
    result = spot.send(taker, 0, 0, 1, 1_000, None, TimeInForce.IOC)
    assert result.filled_qty == 1_000
    assert spot.coins[taker, 0] == pytest.approx(11.0)
    assert spot.coins[maker, 0] == pytest.approx(9.0)
    assert spot.cash[taker] == pytest.approx(1e6 - 60_000)
    assert spot.cash[maker] == pytest.approx(1e6 + 60_000)
    assert not spot.audit()
    assert spot.books[0][0].last_price == 600_000


def test_a_venue_price_is_its_mid_while_the_spread_is_narrow():
    spot, maker, taker = market()
    assert spot.price(0, 0) is None  # nothing quoted, nothing traded
    spot.post(maker, 0, 0, 1, 1_000, 599_900)
    assert spot.price(0, 0) is None  # one side and no trade: nothing to say
    spot.post(maker, 0, 0, -1, 1_000, 600_100)
    assert spot.price(0, 0) == pytest.approx(60_000.0)  # never traded: the mid
    spot.post(maker, 0, 0, 1, 1_000, 599_800)
    spot.send(taker, 0, 0, -1, 1_000, None, TimeInForce.IOC)  # sells at 59,990
    assert spot.price(0, 0) == pytest.approx(59_995.0)  # 5 bps wide: the mid
    spot.send(taker, 0, 0, -1, 1_000, None, TimeInForce.IOC)  # sells at 59,980
    assert spot.price(0, 0) == pytest.approx(59_980.0)  # one side left: its last trade
    spot.post(maker, 0, 0, 1, 1_000, 590_000)  # a bid far below: 1.7% wide
    assert spot.price(0, 0) == pytest.approx(59_980.0)  # the last trade, inside the spread


def test_a_stale_far_quote_does_not_move_a_venues_price():
    """A fast market takes every ask but one stale order 5% away: the venue's price stays at
    what it traded at, not the mid between that order and the bids."""
    spot, maker, taker = market()
    spot.post(maker, 0, 0, 1, 1_000, 599_000)
    spot.post(maker, 0, 0, -1, 1_000, 600_000)
    spot.post(taker, 0, 0, -1, 1_000, 630_000)  # a far ask left by someone
    spot.send(taker, 0, 0, 1, 1_000, None, TimeInForce.IOC)  # lifts the near ask at 60,000
    assert spot.books[0][0].mid() == pytest.approx(614_500)  # the mid jumped 2.4%
    assert spot.price(0, 0) == pytest.approx(60_000.0)
    spot.post(maker, 0, 0, -1, 1_000, 599_700)  # asks come back, narrow again
    assert spot.price(0, 0) == pytest.approx(59_935.0)  # the mid


def test_with_no_spread_allowed_a_venue_gives_its_last_trade_held_inside_the_spread():
    spot = SpotMarkets([0.1], [0.001], n_venues=1, wide_spread=0.0)
    maker = spot.open_account(1e6, [10.0])
    taker = spot.open_account(1e6, [10.0])
    spot.post(maker, 0, 0, 1, 1_000, 599_900)
    spot.post(maker, 0, 0, -1, 2_000, 600_100)
    assert spot.price(0, 0) == pytest.approx(60_000.0)  # never traded: the mid
    spot.send(taker, 0, 0, 1, 1_000, None, TimeInForce.IOC)  # buys at 60,010
    assert spot.price(0, 0) == pytest.approx(60_010.0)  # Binance's latest price
    spot.cancel_all(maker)
    spot.post(maker, 0, 0, 1, 1_000, 600_200)  # the book moved above the last trade
    spot.post(maker, 0, 0, -1, 1_000, 600_300)
    assert spot.price(0, 0) == pytest.approx(60_020.0)  # held at the best bid


def test_best_finds_the_venue_to_trade_against():
    spot, maker, _ = market()
    spot.post(maker, 0, 0, 1, 1_000, 599_000)
    spot.post(maker, 0, 1, 1, 1_000, 599_500)
    spot.post(maker, 0, 0, -1, 1_000, 600_200)
    spot.post(maker, 0, 1, -1, 1_000, 600_400)
    assert spot.best(0, -1) == (1, pytest.approx(59_950.0))  # the highest bid, for a seller
    assert spot.best(0, 1) == (0, pytest.approx(60_020.0))  # the lowest ask, for a buyer


def test_audit_finds_money_created_outside_a_fill():
    spot, maker, _ = market()
    spot.cash[maker] += 5.0
    assert any("cash" in p for p in spot.audit())
    spot.cash[maker] -= 5.0
    spot.coins[maker, 0] += 1.0
    assert any("coins" in p for p in spot.audit())


def test_deposits_are_counted():
    spot, maker, _ = market()
    spot.deposit(maker, 100.0, [1.0])
    assert not spot.audit()


def test_needs_a_venue():
    with pytest.raises(ValueError, match="at least one venue"):
        SpotMarkets([0.1], [0.001], n_venues=0)


def test_a_negative_spread_limit_is_refused():
    with pytest.raises(ValueError, match="wide_spread"):
        SpotMarkets([0.1], [0.001], n_venues=1, wide_spread=-0.01)
    with pytest.raises(ValueError, match="wide_spread_pct"):
        load_scenario("calm", {"spot.wide_spread_pct": -1.0})
