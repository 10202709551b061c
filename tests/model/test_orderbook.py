"""The order book: matching, every order type, cancels, queries, and random-stream properties."""

import copy
import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.orderbook import InvalidOrder, OrderBook, OrderStatus, TimeInForce

GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK


def ladder():
    """Asks 101×5, 102×5, 103×10 and bids 99×5, 98×5 from owner 0."""
    book = OrderBook(tick_size=1.0, lot_size=1.0)
    for price, qty in ((101, 5), (102, 5), (103, 10)):
        book.submit(0, -1, qty, price)
    for price, qty in ((99, 5), (98, 5)):
        book.submit(0, 1, qty, price)
    return book


def test_resting_orders_and_queries():
    book = ladder()
    assert book.best_bid() == 99
    assert book.best_ask() == 101
    assert book.mid() == 100.0
    assert book.spread() == 2
    assert book.depth(-1, 2) == [(101, 5), (102, 5)]
    assert book.depth(1, 5) == [(99, 5), (98, 5)]
    assert book.depth_within(2) == (10, 10)
    assert book.depth_within(1) == (5, 5)
    assert book.volume_resting(-1) == 20
    assert len(book) == 5
    assert book.last_price is None


def test_market_order_sweeps_levels_and_reports_fills():
    book = ladder()
    result = book.submit(1, 1, 12, None, IOC)
    assert result.status == OrderStatus.FILLED
    assert [(f.price, f.qty) for f in result.fills] == [(101, 5), (102, 5), (103, 2)]
    assert all(f.maker_owner == 0 and f.taker_owner == 1 for f in result.fills)
    assert book.best_ask() == 103
    assert book.depth(-1, 1) == [(103, 8)]
    assert book.last_price == 103


def test_limit_order_fills_what_it_can_and_rests_the_rest():
    book = ladder()
    result = book.submit(1, 1, 8, 101)
    assert result.status == OrderStatus.PARTIAL_RESTING
    assert (result.filled_qty, result.resting_qty) == (5, 3)
    assert book.best_bid() == 101
    assert book.best_ask() == 102


def test_fifo_within_a_level():
    book = OrderBook(1.0, 1.0)
    first = book.submit(1, -1, 3, 100).order_id
    second = book.submit(2, -1, 3, 100).order_id
    result = book.submit(3, 1, 4, None, IOC)
    assert [(f.maker_order_id, f.qty) for f in result.fills] == [(first, 3), (second, 1)]
    assert book.get(second).qty == 2


def test_ioc_cancels_remainder_and_fok_all_or_nothing():
    book = ladder()
    ioc = book.submit(1, 1, 30, 102, IOC)
    assert ioc.status == OrderStatus.CANCELLED
    assert (ioc.filled_qty, ioc.cancelled_qty) == (10, 20)
    book = ladder()
    fok = book.submit(1, 1, 11, 102, FOK)
    assert fok.status == OrderStatus.REJECTED
    assert book.volume_resting(-1) == 20  # nothing traded
    fok = book.submit(1, 1, 10, 102, FOK)
    assert fok.status == OrderStatus.FILLED


def test_post_only_rejected_when_it_would_take():
    book = ladder()
    assert book.submit(1, 1, 1, 101, post_only=True).status == OrderStatus.REJECTED
    assert book.submit(1, 1, 1, 100, post_only=True).status == OrderStatus.RESTING


def test_reduce_only_never_increases_a_position():
    book = ladder()
    rejected = book.submit(1, 1, 3, None, IOC, reduce_only=True, position=2)
    assert rejected.status == OrderStatus.REJECTED
    clipped = book.submit(1, 1, 10, None, IOC, reduce_only=True, position=-4)
    assert clipped.filled_qty == 4
    assert clipped.cancelled_qty == 6
    flat = book.submit(1, -1, 1, None, IOC, reduce_only=True, position=0)
    assert flat.status == OrderStatus.REJECTED


def test_cancel_by_id_and_by_owner():
    book = ladder()
    order = book.submit(7, 1, 2, 97).order_id
    book.submit(7, -1, 2, 110)
    assert book.cancel(order)
    assert not book.cancel(order)
    assert book.orders_of(7) != []
    assert len(book.cancel_owner(7)) == 1
    assert book.orders_of(7) == []
    assert book.cancel_owner(7) == []


def test_self_trade_prevention_cancels_the_resting_order():
    book = OrderBook(1.0, 1.0)
    mine = book.submit(1, -1, 5, 100).order_id
    book.submit(2, -1, 5, 101)
    result = book.submit(1, 1, 5, None, IOC)
    assert result.self_trade_cancels == [mine]
    assert [f.maker_owner for f in result.fills] == [2]


def test_resize_keeps_priority():
    book = OrderBook(1.0, 1.0)
    first = book.submit(1, -1, 5, 100).order_id
    book.submit(2, -1, 5, 100)
    book.resize(first, 2)
    fills = book.submit(3, 1, 3, None, IOC).fills
    assert [(f.maker_owner, f.qty) for f in fills] == [(1, 2), (2, 1)]
    with pytest.raises(InvalidOrder):
        book.resize(first, 9)


def test_impact_price_is_the_average_fill_of_a_notional():
    book = OrderBook(tick_size=1.0, lot_size=1.0)
    book.submit(0, -1, 10, 100)
    book.submit(0, -1, 10, 110)
    # 1,500 USDT: 1,000 at 100 (10 units) + 500 at 110 (4.545 units)
    expected = 1_500 / (10 + 500 / 110)
    assert book.impact_price(1, 1_500.0) == pytest.approx(expected)
    assert book.impact_price(1, 1e9) is None
    assert book.volume_resting(-1) == 20  # unchanged


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"qty": 0}, "qty"),
        ({"qty": 1.5}, "qty"),
        ({"qty": math.nan}, "qty"),
        ({"price": 100.5}, "price must be an integer"),
        ({"price": 0}, "price must be > 0"),
        ({"side": 2}, "side"),
        ({"owner": -1}, "owner"),
        ({"owner": "x"}, "owner"),
        ({"price": None}, "price is required"),
        ({"reduce_only": True}, "position"),
    ],
)
def test_invalid_orders_raise_and_change_nothing(kwargs, message):
    book = ladder()
    before = (book.depth(1, 10), book.depth(-1, 10), len(book))
    args = {"owner": 1, "side": 1, "qty": 1, "price": 100}
    args.update(kwargs)
    with pytest.raises(InvalidOrder, match=message):
        book.submit(**args)
    assert (book.depth(1, 10), book.depth(-1, 10), len(book)) == before


order = st.tuples(
    st.integers(0, 4),  # owner
    st.sampled_from([1, -1]),
    st.integers(1, 20),  # qty
    st.one_of(st.none(), st.integers(90, 110)),  # price (None = market)
    st.sampled_from([GTC, IOC, FOK]),
    st.booleans(),  # post-only
    st.integers(0, 3),  # cancel something this turn
)


@settings(max_examples=150, deadline=None)
@given(st.lists(order, max_size=80))
def test_random_streams_never_cross_and_conserve_quantity(stream):
    book = OrderBook(1.0, 1.0)
    ids: list[int] = []
    for owner, side, qty, price, tif, post_only, cancel in stream:
        if price is None and (tif == GTC or post_only):
            tif, post_only = IOC, False
        result = book.submit(owner, side, qty, price, tif, post_only=post_only)
        assert result.filled_qty + result.resting_qty + result.cancelled_qty == qty
        assert sum(f.qty for f in result.fills) == result.filled_qty
        assert all(f.maker_owner != f.taker_owner for f in result.fills)
        ids.append(result.order_id)
        if cancel == 0 and ids:
            book.cancel(ids[len(ids) // 2])
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask
        levels = book.depth(1, 1000) + book.depth(-1, 1000)
        assert all(q > 0 for _, q in levels)
        assert sum(q for _, q in levels) == sum(
            book.get(i).qty for i in set(ids) if book.get(i) is not None
        )


def test_a_copied_book_answers_get_from_its_own_orders():
    book = OrderBook(1.0, 1.0)
    first = book.post(1, 1, 5, 100)
    for clone in (copy.deepcopy(book), pickle.loads(pickle.dumps(book))):
        assert clone.cancel(first)
        assert clone.get(first) is None
        assert book.get(first) is not None
        second = clone.post(2, -1, 3, 105)
        assert clone.get(second).qty == 3
        assert book.get(second) is None


entry = st.tuples(
    st.integers(0, 3),  # owner
    st.sampled_from([1, -1]),
    st.integers(1, 5),  # qty
    st.integers(95, 105),  # price
    st.booleans(),  # through `post` (a quote) rather than `submit`
    st.integers(0, 4),  # 0: cancel an earlier order; 1: cancel every order of this owner
)


@settings(max_examples=150, deadline=None)
@given(st.lists(entry, max_size=60))
def test_orders_of_an_owner_are_its_posted_and_submitted_orders_oldest_first(stream):
    book = OrderBook(1.0, 1.0)
    ids: list[int] = []
    for owner, side, qty, price, quote, cancel in stream:
        if quote:
            order_id = book.post(owner, side, qty, price)
        else:
            order_id = book.submit(owner, side, qty, price).order_id
        if order_id:
            ids.append(order_id)
        if cancel == 0 and ids:
            book.cancel(ids[len(ids) // 2])
        elif cancel == 1:
            mine = book.orders_of(owner)
            assert book.cancel_owner(owner) == mine
            assert all(book.get(i) is None for i in mine)
        for who in range(4):
            resting = [i for i in ids if book.get(i) is not None and book.get(i).owner == who]
            assert book.orders_of(who) == sorted(resting)
