"""Spot venues: fills swap coins for cash, nothing is created, best venue per side."""

import pytest

from model.orderbook import TimeInForce
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


def test_prices_are_mids_then_last_trades_then_none():
    spot, maker, taker = market()
    assert spot.price(0, 0) is None
    spot.post(maker, 0, 0, 1, 1_000, 599_900)
    spot.post(maker, 0, 0, -1, 1_000, 600_100)
    assert spot.price(0, 0) == pytest.approx(60_000.0)
    spot.send(taker, 0, 0, -1, 1_000, None, TimeInForce.IOC)  # takes the whole bid
    assert spot.price(0, 0) == pytest.approx(59_990.0)  # one-sided: its last trade


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
