"""Order entry through the exchange: validation, initial margin, settlement of both sides."""

import numpy as np
import pytest

from model.exchange import ContractSpec, Exchange
from model.margin import TierTable
from model.orderbook import InvalidOrder, OrderStatus, TimeInForce

TABLE = TierTable.preset("binance-btcusdt")


def exchange():
    ex = Exchange([ContractSpec("BTC-PERP", 0.1, 0.001, TABLE)], maker_fee=0.0002, taker_fee=0.0005)
    ex.mark[:] = 60_000.0
    maker = ex.ledger.open_account(1e6, leverage=10)
    taker = ex.ledger.open_account(10_000.0, leverage=10)
    ex.submit(maker, 0, -1, 2_000, ex.to_ticks(0, 60_010.0))
    ex.submit(maker, 0, 1, 2_000, ex.to_ticks(0, 59_990.0))
    return ex, maker, taker


def test_fills_settle_both_sides_with_maker_and_taker_fees():
    ex, maker, taker = exchange()
    result = ex.market(taker, 0, 1, 1_000)
    assert result.status == OrderStatus.FILLED
    ledger = ex.ledger
    assert ledger.lots[taker, 0] == 1_000
    assert ledger.lots[maker, 0] == -1_000
    assert ledger.entry[taker, 0] == pytest.approx(60_010.0)
    assert ledger.wallet[taker] == pytest.approx(10_000 - 60_010 * 0.0005)
    assert ledger.wallet[maker] == pytest.approx(1e6 - 60_010 * 0.0002)
    assert ex.volume[0] == pytest.approx(1.0)
    assert ledger.audit(ex.mark) == []


def test_order_beyond_initial_margin_is_rejected_with_a_reason():
    ex, _, taker = exchange()
    result = ex.market(taker, 0, 1, 2_000)  # 120k notional at 10x needs 12k
    assert result.status == OrderStatus.REJECTED
    assert "insufficient margin" in result.reason
    assert ex.ledger.lots[taker, 0] == 0


def test_leverage_above_the_tier_maximum_is_rejected():
    ex, maker, _ = exchange()
    ex.ledger.set_leverage(maker, 0, 125)
    result = ex.market(maker, 0, 1, 1_500)  # 90k notional: tier 2 allows 100x
    assert "exceeds the 100x allowed" in result.reason


def test_liquidation_orders_skip_the_margin_check():
    ex, _, taker = exchange()
    result = ex.market(taker, 0, 1, 2_000, check_margin=False)
    assert result.status == OrderStatus.FILLED


def test_unknown_account_or_contract_raise():
    ex, _, _ = exchange()
    with pytest.raises(InvalidOrder, match="owner must be an open account"):
        ex.market(99, 0, 1, 1)
    with pytest.raises(InvalidOrder, match="contract must be"):
        ex.market(0, 3, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tif": 7}, "tif must be GTC, IOC or FOK"),
        ({"price": None}, "price is required for a GTC order"),
        ({"price": None, "tif": TimeInForce.IOC, "post_only": True}, "price is required for a"),
    ],
)
def test_the_kind_of_order_is_checked_at_the_public_door(kwargs, message):
    ex, _, taker = exchange()
    before = (ex.books[0].depth(1, 10), ex.books[0].depth(-1, 10), ex.messages)
    args = {"price": ex.to_ticks(0, 59_000.0), "tif": TimeInForce.GTC, **kwargs}
    with pytest.raises(InvalidOrder, match=message):
        ex.submit(taker, 0, 1, 1, args.pop("price"), args.pop("tif"), **args)
    assert (ex.books[0].depth(1, 10), ex.books[0].depth(-1, 10), ex.messages) == before


def test_resting_reduce_only_orders_shrink_with_the_position():
    ex, _, taker = exchange()
    ex.market(taker, 0, 1, 1_000)
    stop = ex.submit(taker, 0, -1, 1_000, ex.to_ticks(0, 70_000.0), reduce_only=True)
    assert stop.status == OrderStatus.RESTING
    ex.market(taker, 0, -1, 600)  # sells 0.6 at the bid
    assert ex.books[0].get(stop.order_id).qty == 400
    ex.market(taker, 0, -1, 400)
    assert ex.books[0].get(stop.order_id) is None


def test_cancel_all_and_unit_conversion():
    ex, maker, _ = exchange()
    assert ex.cancel_all(maker) == 2
    assert ex.to_ticks(0, 60_000.04) == 600_000
    assert ex.to_lots(0, 0.0125) == 12
    assert ex.price_of(0, 600_000) == pytest.approx(60_000.0)


def test_fill_or_kill_through_the_exchange():
    ex, _, taker = exchange()
    result = ex.submit(taker, 0, 1, 5_000, None, TimeInForce.FOK, check_margin=False)
    assert result.status == OrderStatus.REJECTED
    assert np.all(ex.ledger.lots == 0)


def test_post_only_rests_without_a_margin_check_while_a_plain_limit_is_checked():
    # a post-only order can never trade on entry, so it has no position to check yet
    ex, _, taker = exchange()
    price = ex.to_ticks(0, 59_000.0)  # below the best bid: rests either way
    plain = ex.submit(taker, 0, 1, 2_000, price)  # 118k notional at 10x needs 11.8k
    assert plain.status == OrderStatus.REJECTED
    assert "insufficient margin" in plain.reason
    quote = ex.submit(taker, 0, 1, 2_000, price, post_only=True)
    assert quote.status == OrderStatus.RESTING
    assert ex.ledger.lots[taker, 0] == 0
