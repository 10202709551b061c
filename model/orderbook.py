"""A limit order book for one perpetual contract: integer ticks and lots, price-time priority.

Each side keeps, for every price level, one list keyed by tick: the level's total lots, then its
orders oldest first (FIFO priority); plus the ticks of its non-empty levels in a sorted list: the
best bid and ask are its ends, found without scanning, and a level that empties is removed at
once. Matching walks levels from the best price outwards
and yields one `Fill` per maker order touched. Incoming orders never match their owner's resting
orders: those are cancelled instead (expire-maker self-trade prevention, as the big venues
offer), so a trader never trades with itself.

Two doors lead in. `submit` is the public one: it checks every field and raises `InvalidOrder`
on anything malformed. `enter`, `post`, `reduce` and `cancel` are what the exchange uses for the
model's own agents, whose orders are well formed by construction: they skip the field checks,
which would otherwise cost more than the matching itself. Every message is counted in
``messages`` (submits, posts, cancels, amends), the figure the speed benchmark reports.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np


class InvalidOrder(ValueError):
    """An order that cannot be entered; the book is left unchanged."""


class TimeInForce(IntEnum):
    """How long an order may rest: good-till-cancel, immediate-or-cancel, fill-or-kill."""

    GTC = 0
    IOC = 1
    FOK = 2


class OrderStatus(Enum):
    """What happened to an order on entry."""

    FILLED = "filled"
    PARTIAL_RESTING = "partial_resting"
    RESTING = "resting"
    CANCELLED = "cancelled"  # an IOC or market remainder
    REJECTED = "rejected"  # FOK not fillable, post-only would take, reduce-only would increase


class Fill(NamedTuple):
    """One match between a resting (maker) order and an incoming (taker) order (a named
    tuple: immutable, and several times cheaper to build than a frozen dataclass, which sets
    each field through ``object.__setattr__``; every fill builds one)."""

    maker_owner: int
    taker_owner: int
    maker_order_id: int
    taker_order_id: int
    price: int
    qty: int
    taker_side: int


@dataclass(slots=True)
class OrderResult:
    """The outcome of `OrderBook.submit`: filled + resting + cancelled == submitted qty."""

    order_id: int
    status: OrderStatus
    fills: list[Fill] = field(default_factory=list)
    filled_qty: int = 0
    resting_qty: int = 0
    cancelled_qty: int = 0
    reason: str = ""
    self_trade_cancels: list[int] = field(default_factory=list)

    @classmethod
    def rejected(cls, qty: int, reason: str) -> OrderResult:
        """A rejection that never reached the book (order id -1)."""
        return cls(-1, OrderStatus.REJECTED, cancelled_qty=qty, reason=reason)


class Order:
    """A resting order (``indexed``: listed in the book's index of each owner's orders, which
    the quoters' posts skip)."""

    __slots__ = ("indexed", "order_id", "owner", "price", "qty", "reduce_only", "side")

    def __init__(
        self, order_id: int, owner: int, side: int, price: int, qty: int, reduce_only: bool
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.qty = qty
        self.reduce_only = reduce_only
        self.indexed = True

    def __repr__(self) -> str:
        return (
            f"Order(id={self.order_id}, owner={self.owner}, side={self.side}, "
            f"price={self.price}, qty={self.qty}, reduce_only={self.reduce_only})"
        )


_new_order = object.__new__
_new_tuple = tuple.__new__
_first = itemgetter(0)  # a level's total lots
_GTC, _FOK = TimeInForce.GTC, TimeInForce.FOK
_FILLED = OrderStatus.FILLED


class _Side:
    """The resting orders of one side: at each tick a level, one list holding the level's
    total lots and then its orders, oldest first (FIFO priority); and the ticks of the
    non-empty levels in ascending order (so the best bid is the last tick and the best ask the
    first, and a level that empties leaves nothing behind). Most levels hold one order (each
    quoter's grid has its own phase): a list costs less to build and to drop than a dict of
    orders plus an entry in a dict of sizes, and a cancel finds its order in a short list."""

    __slots__ = ("buy", "edits", "levels", "ticks")

    def __init__(self, buy: bool) -> None:
        self.buy = buy
        # tick -> [total lots, order, order, ...]
        self.levels: dict[int, list[Any]] = {}
        self.ticks: list[int] = []
        # per owner, how many times one of its resting orders was filled, cancelled or shrunk
        self.edits: defaultdict[int, int] = defaultdict(int)

    def best(self) -> int | None:
        """Best tick, or None when the side is empty."""
        ticks = self.ticks
        if not ticks:
            return None
        return ticks[-1] if self.buy else ticks[0]

    def best_first(self) -> list[int]:
        """Ticks of every level, best first."""
        return self.ticks[::-1] if self.buy else list(self.ticks)


def _round_to_tick(tick_size: float, price: float) -> int:
    return max(1, round(price / tick_size))


def tick_rounder(tick_size: float) -> Callable[[float], int]:
    """A function from a USDT price to its nearest tick (at least one), with no checks: the
    arithmetic of `Exchange.to_ticks` and `SpotMarkets.to_ticks`, for a quoter whose prices are
    finite and positive by construction and that converts several every step (a ``partial``,
    so it pickles)."""
    return partial(_round_to_tick, tick_size)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


class OrderBook:
    """Price-time priority book of one contract.

    Args:
        tick_size: USDT per tick (used only by the queries that speak USDT).
        lot_size: base units per lot (likewise).
    """

    def __init__(self, tick_size: float = 0.1, lot_size: float = 0.001) -> None:
        if not tick_size > 0 or not lot_size > 0:
            raise ValueError("tick_size and lot_size must be positive")
        self.tick_size = tick_size
        self.lot_size = lot_size
        self._bids = _Side(True)
        self._asks = _Side(False)
        self._orders: dict[int, Order] = {}
        # per owner, the ids of its resting orders entered through `enter` (oldest first; an
        # owner's dict stays once made), and the owners that ever posted (`post`)
        self._by_owner: defaultdict[int, dict[int, None]] = defaultdict(dict)
        self._posters: set[int] = set()
        self._next_id = 1
        self.last_price: int | None = None
        # messages other than entries (every entry takes the next id: see `messages`)
        self._edits_sent = 0
        # `get` is asked for every quote a maker keeps (~70 a step): the dict's own lookup,
        # bound here, answers it without a Python call
        self.get = self._orders.get  # type: ignore[method-assign, assignment]

    def __setstate__(self, state: dict[str, object]) -> None:
        # a copy (pickle or deepcopy) binds `get` to its own orders, not the original's
        self.__dict__.update(state)
        self.get = self._orders.get  # type: ignore[method-assign, assignment]

    # ---- entry -----------------------------------------------------------------------------
    def submit(
        self,
        owner: int,
        side: int,
        qty: int,
        price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        *,
        post_only: bool = False,
        reduce_only: bool = False,
        position: int | None = None,
    ) -> OrderResult:
        """Enter an order after checking every field; see the module docstring for matching.

        Args:
            owner: account id (≥ 0).
            side: +1 buy, -1 sell.
            qty: size in lots (> 0).
            price: limit in ticks (> 0), or None for a market order (IOC or FOK only).
            tif: time in force.
            post_only: reject instead of taking any liquidity.
            reduce_only: never increase the owner's position; needs ``position``.
            position: the owner's signed position in lots (for reduce-only).

        Raises:
            InvalidOrder: on any invalid field; the book is unchanged.
        """
        self._validate(owner, side, qty, price, tif, post_only, reduce_only, position)
        return self.enter(
            int(owner),
            int(side),
            int(qty),
            None if price is None else int(price),
            tif,
            post_only,
            reduce_only,
            None if position is None else int(position),
        )

    def enter(
        self,
        owner: int,
        side: int,
        qty: int,
        price: int | None,
        tif: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        reduce_only: bool = False,
        position: int | None = None,
    ) -> OrderResult:
        """`submit` without the field checks, for orders that are well formed by construction."""
        order_id = self._next_id
        self._next_id += 1
        clipped = 0
        if reduce_only:
            assert position is not None
            if position == 0 or (position > 0) == (side > 0):
                return OrderResult(
                    order_id,
                    OrderStatus.REJECTED,
                    cancelled_qty=qty,
                    reason="reduce-only order would increase position",
                )
            clipped = max(0, qty - abs(position))
            qty -= clipped
        opposite = self._asks if side > 0 else self._bids
        if post_only and self._crosses(opposite, side, price):
            return OrderResult(
                order_id,
                OrderStatus.REJECTED,
                cancelled_qty=qty + clipped,
                reason="post-only order would take liquidity",
            )
        if tif == _FOK and self._fillable(opposite, side, price, owner) < qty:
            return OrderResult(
                order_id,
                OrderStatus.REJECTED,
                cancelled_qty=qty + clipped,
                reason="fill-or-kill order cannot fill completely",
            )
        # every field by position: the dataclass's keyword defaults cost more than the order
        result = OrderResult(order_id, _FILLED, [], 0, 0, clipped, "", [])
        ticks = opposite.ticks
        if ticks and (price is None or (price >= ticks[0] if side > 0 else price <= ticks[-1])):
            remaining = self._match(opposite, owner, side, qty, price, order_id, result)
        else:  # nothing to take: matching would stop at the best level
            remaining = qty
        result.filled_qty = qty - remaining
        if remaining and tif == _GTC:
            assert price is not None
            own = self._bids if side > 0 else self._asks
            self._rest(own, Order(order_id, owner, side, price, remaining, reduce_only))
            result.resting_qty = remaining
            result.status = OrderStatus.PARTIAL_RESTING if result.fills else OrderStatus.RESTING
        elif remaining:
            result.cancelled_qty += remaining
            result.status = OrderStatus.CANCELLED
        return result

    def post(self, owner: int, side: int, qty: int, price: int) -> int:
        """Rest a post-only limit order; its id, or 0 when it would take liquidity (rejected).

        The quoting path of market makers: no fills are possible, so no `OrderResult` is built.
        """
        order_id = self._next_id
        self._next_id = order_id + 1
        if side > 0:
            opposite = self._asks.ticks
            if opposite and price >= opposite[0]:
                return 0
            book = self._bids
        else:
            opposite = self._bids.ticks
            if opposite and price <= opposite[-1]:
                return 0
            book = self._asks
        # `_rest`, inlined: this is the most frequent message of a run; the order is built
        # without calling `Order.__init__` (a Python call costs more than the six stores)
        order = _new_order(Order)
        order.order_id = order_id
        order.owner = owner
        order.side = side
        order.price = price
        order.qty = qty
        order.reduce_only = False
        order.indexed = False
        level = book.levels.get(price)
        if level is None:
            book.levels[price] = [qty, order]
            insort(book.ticks, price)
        else:
            level.append(order)
            level[0] += qty
        self._orders[order_id] = order
        # not in the owner index, which posts and their cancels would spend a tenth of their
        # time keeping: an owner's posted orders are found by a scan when it cancels them all
        if owner not in self._posters:
            self._posters.add(owner)
        return order_id

    def _validate(
        self,
        owner: object,
        side: object,
        qty: object,
        price: object,
        tif: object,
        post_only: bool,
        reduce_only: bool,
        position: object,
    ) -> None:
        if not _is_int(owner) or owner < 0:  # type: ignore[operator]
            raise InvalidOrder(f"owner must be an integer ≥ 0, got {owner!r}")
        if side not in (1, -1) or isinstance(side, bool):
            raise InvalidOrder(f"side must be +1 (buy) or -1 (sell), got {side!r}")
        if not _is_int(qty) or qty <= 0:  # type: ignore[operator]
            raise InvalidOrder(f"qty must be an integer number of lots > 0, got {qty!r}")
        if price is not None:
            if not _is_int(price):
                raise InvalidOrder(f"price must be an integer number of ticks, got {price!r}")
            if price <= 0:  # type: ignore[operator]
                raise InvalidOrder(f"price must be > 0 ticks, got {price!r}")
        self.validate_kind(price, tif, post_only)
        if reduce_only and (position is None or not _is_int(position)):
            raise InvalidOrder("position (signed lots) is required for a reduce-only order")

    @staticmethod
    def validate_kind(price: object, tif: object, post_only: bool) -> None:
        """Check the time in force and post-only flag against the price; the exchange calls
        this after checking the other fields itself (and knows every position)."""
        if tif not in (TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK):
            raise InvalidOrder(f"tif must be GTC, IOC or FOK, got {tif!r}")
        if price is None and tif == TimeInForce.GTC:
            raise InvalidOrder("price is required for a GTC order (market orders are IOC or FOK)")
        if price is None and post_only:
            raise InvalidOrder("price is required for a post-only order")

    @staticmethod
    def _crosses(opposite: _Side, side: int, price: int | None) -> bool:
        best = opposite.best()
        if best is None:
            return False
        return price is None or (price >= best if side > 0 else price <= best)

    def _fillable(self, opposite: _Side, side: int, price: int | None, owner: int) -> int:
        """Quantity an order could take now, not counting the owner's own orders."""
        total = 0
        for tick in opposite.best_first():
            if price is not None and (tick > price if side > 0 else tick < price):
                break
            level = opposite.levels[tick]
            total += level[0] - sum(o.qty for o in level[1:] if o.owner == owner)
        return total

    def _match(
        self,
        opposite: _Side,
        owner: int,
        side: int,
        qty: int,
        price: int | None,
        order_id: int,
        result: OrderResult,
    ) -> int:
        fills = result.fills
        levels, ticks = opposite.levels, opposite.ticks
        resting, by_owner = self._orders, self._by_owner
        edits = opposite.edits
        buy = side > 0
        while qty and ticks:
            tick = ticks[0] if buy else ticks[-1]
            if price is not None and (tick > price if buy else tick < price):
                break
            level = levels[tick]
            size = level[0]
            while qty and len(level) > 1:
                maker = level[1]
                edits[maker.owner] += 1
                if maker.owner == owner:  # expire the maker; the level is tidied below
                    del level[1]
                    size -= maker.qty
                    del resting[maker.order_id]
                    if maker.indexed:
                        del by_owner[owner][maker.order_id]
                    result.self_trade_cancels.append(maker.order_id)
                    continue
                take = min(qty, maker.qty)
                # `Fill(...)` without its Python-level __new__
                fills.append(
                    _new_tuple(
                        Fill, (maker.owner, owner, maker.order_id, order_id, tick, take, side)
                    )
                )
                qty -= take
                size -= take
                if take == maker.qty:
                    del level[1]
                    del resting[maker.order_id]
                    if maker.indexed:
                        del by_owner[maker.owner][maker.order_id]
                else:
                    maker.qty -= take
                self.last_price = tick
            if len(level) > 1:
                level[0] = size
            else:
                del levels[tick]
                ticks.pop(0 if buy else -1)
        return qty

    def _rest(self, book: _Side, order: Order) -> None:
        """Queue ``order`` last at its price on ``book`` (its own side)."""
        price, order_id = order.price, order.order_id
        level = book.levels.get(price)
        if level is None:
            book.levels[price] = [order.qty, order]
            insort(book.ticks, price)
        else:
            level.append(order)
            level[0] += order.qty
        self._orders[order_id] = order
        self._by_owner[order.owner][order_id] = None

    def _remove(self, order: Order) -> None:
        """Take a resting order off its level (and the level off the side when it empties)."""
        book = self._bids if order.side > 0 else self._asks
        price = order.price
        level = book.levels[price]
        book.edits[order.owner] += 1
        if len(level) > 2:
            del level[level.index(order, 1)]
            level[0] -= order.qty
        else:
            del book.levels[price]
            ticks = book.ticks
            del ticks[bisect_left(ticks, price)]
        del self._orders[order.order_id]
        self._forget_owner(order)

    def _forget_owner(self, order: Order) -> None:
        if order.indexed:
            del self._by_owner[order.owner][order.order_id]

    # ---- cancels and amends ----------------------------------------------------------------
    def cancel(self, order_id: int) -> bool:
        """Cancel a resting order; False when it is not (or no longer) on the book."""
        self._edits_sent += 1
        order = self._orders.pop(order_id, None)
        if order is None:
            return False
        # `_remove`, inlined: the second most frequent message
        book = self._bids if order.side > 0 else self._asks
        price = order.price
        level = book.levels[price]
        owner = order.owner
        book.edits[owner] += 1
        if len(level) > 2:
            del level[level.index(order, 1)]
            level[0] -= order.qty
        else:
            del book.levels[price]
            ticks = book.ticks
            del ticks[bisect_left(ticks, price)]
        if order.indexed:
            del self._by_owner[owner][order_id]
        return True

    def cancel_owner(self, owner: int) -> list[int]:
        """Cancel every resting order of an owner; returns their ids (one message each)."""
        ids = self.orders_of(owner)
        self._edits_sent += len(ids)
        for order_id in ids:
            self._remove(self._orders[order_id])
        return ids

    def resize(self, order_id: int, new_qty: int) -> None:
        """Shrink a resting order in place, keeping its queue priority."""
        order = self._orders.get(order_id)
        if order is None:
            raise InvalidOrder(f"order {order_id} is not resting on the book")
        if not _is_int(new_qty) or not 0 < new_qty <= order.qty:
            raise InvalidOrder(f"new_qty must be in 1..{order.qty}, got {new_qty!r}")
        self.reduce(order, int(new_qty))

    def reduce(self, order: Order, new_qty: int) -> None:
        """`resize` of a resting order object without the checks (0 < new_qty ≤ its qty)."""
        self._edits_sent += 1
        book = self._bids if order.side > 0 else self._asks
        book.levels[order.price][0] -= order.qty - new_qty
        book.edits[order.owner] += 1
        order.qty = new_qty

    # ---- queries ---------------------------------------------------------------------------
    @property
    def messages(self) -> int:
        """Messages so far: entries (submits and posts, accepted or not: each took an id),
        cancels and amends."""
        return self._next_id - 1 + self._edits_sent

    def edits(self, owner: int, side: int) -> int:
        """How many times the owner's resting orders on one side were filled, cancelled or
        shrunk so far: a quoter that finds the count where it left it knows its orders stand as
        it left them, without looking at each."""
        return self.edit_counts(side).get(owner, 0)

    def edit_counts(self, side: int) -> dict[int, int]:
        """`edits` of every owner on one side: the live dict, owner → count (read only)."""
        return self._bids.edits if side > 0 else self._asks.edits

    def orders_of(self, owner: int) -> list[int]:
        """Ids of an owner's resting orders, oldest first."""
        ids = list(self._by_owner.get(owner, ()))
        if owner in self._posters:  # and its posted orders; ids grow with time
            orders = self._orders.values()
            ids += [o.order_id for o in orders if o.owner == owner and not o.indexed]
            ids.sort()
        return ids

    def get(self, order_id: int) -> Order | None:
        """The resting order with that id, or None."""
        return self._orders.get(order_id)

    def best_bid(self) -> int | None:
        """Highest bid in ticks."""
        return self._bids.best()

    def best_ask(self) -> int | None:
        """Lowest ask in ticks."""
        return self._asks.best()

    def mid(self) -> float | None:
        """Mid price in ticks (may end in .5); None if a side is empty."""
        bid, ask = self._bids.best(), self._asks.best()
        if bid is None or ask is None:
            return None
        return (bid + ask) / 2.0

    def spread(self) -> int | None:
        """Best ask − best bid in ticks; None if a side is empty."""
        bid, ask = self._bids.best(), self._asks.best()
        if bid is None or ask is None:
            return None
        return int(ask - bid)

    def depth(self, side: int, levels: int) -> list[tuple[int, int]]:
        """Aggregated (price, qty) of the best ``levels`` levels of one side, best first."""
        book = self._bids if side > 0 else self._asks
        return [(int(t), book.levels[t][0]) for t in book.best_first()[: max(0, levels)]]

    def depth_within(self, ticks: int) -> tuple[int, int]:
        """Bid qty and ask qty (lots) within ``ticks`` of the mid."""
        mid = self.mid()
        if mid is None:
            return (0, 0)
        lo, hi = math.ceil(mid - ticks), math.floor(mid + ticks)
        bids, asks = self._bids, self._asks
        # each level's lots through C-level maps: the band can hold thousands of levels
        in_bids = map(bids.levels.__getitem__, bids.ticks[bisect_left(bids.ticks, lo) :])
        in_asks = map(asks.levels.__getitem__, asks.ticks[: bisect_left(asks.ticks, hi + 1)])
        return sum(map(_first, in_bids)), sum(map(_first, in_asks))

    def impact_price(self, side: int, notional: float) -> float | None:
        """Average USDT fill price of a market order of ``notional`` USDT (book unchanged).

        side +1 walks the asks (a buy), -1 the bids. None if the book cannot fill it.
        """
        book = self._asks if side > 0 else self._bids
        levels, tick_size, lot_size = book.levels, self.tick_size, self.lot_size
        need, cost, qty = notional, 0.0, 0.0
        # best first, without copying every tick of the side (the walk stops early)
        for tick in reversed(book.ticks) if book.buy else book.ticks:
            price = tick * tick_size
            level_qty = levels[tick][0] * lot_size
            level_notional = price * level_qty
            if level_notional >= need:
                q = need / price
                return (cost + need) / (qty + q)
            cost += level_notional
            qty += level_qty
            need -= level_notional
        return None

    def volume_resting(self, side: int) -> int:
        """Total resting lots on one side."""
        book = self._bids if side > 0 else self._asks
        return sum([level[0] for level in book.levels.values()])

    def __len__(self) -> int:
        return len(self._orders)
