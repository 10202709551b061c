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

from bisect import bisect_left, insort
from collections import defaultdict

from model.book_queries import BookQueries
from model.orders import (
    Fill,
    InvalidOrder,
    Order,
    OrderResult,
    OrderStatus,
    TimeInForce,
    check_order_fields,
    check_order_kind,
    is_integer,
    tick_rounder,
)
from model.price_levels import PriceLevels

# The order types keep their old import path (model.orderbook).
__all__ = [
    "Fill",
    "InvalidOrder",
    "Order",
    "OrderBook",
    "OrderResult",
    "OrderStatus",
    "TimeInForce",
    "tick_rounder",
]


_new_order = object.__new__
_new_tuple = tuple.__new__
_GTC, _FOK = TimeInForce.GTC, TimeInForce.FOK
_FILLED = OrderStatus.FILLED


class OrderBook(BookQueries):
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
        self._bids = PriceLevels(True)
        self._asks = PriceLevels(False)
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
        check_order_fields(owner, side, qty, price, tif, post_only, reduce_only, position)
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
        if post_only and opposite.crosses(side, price):
            return OrderResult(
                order_id,
                OrderStatus.REJECTED,
                cancelled_qty=qty + clipped,
                reason="post-only order would take liquidity",
            )
        if tif == _FOK and opposite.fillable(side, price, owner) < qty:
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

    @staticmethod
    def validate_kind(price: object, tif: object, post_only: bool) -> None:
        """Check the time in force and post-only flag against the price; the exchange calls
        this after checking the other fields itself (and knows every position)."""
        check_order_kind(price, tif, post_only)

    def _match(
        self,
        opposite: PriceLevels,
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

    def _rest(self, book: PriceLevels, order: Order) -> None:
        """Queue ``order`` last at its price on ``book`` (its own side)."""
        book.queue(order)
        self._orders[order.order_id] = order
        self._by_owner[order.owner][order.order_id] = None

    def _remove(self, order: Order) -> None:
        """Take a resting order off its level (and the level off the side when it empties)."""
        (self._bids if order.side > 0 else self._asks).unqueue(order)
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
        if not is_integer(new_qty) or not 0 < new_qty <= order.qty:
            raise InvalidOrder(f"new_qty must be in 1..{order.qty}, got {new_qty!r}")
        self.reduce(order, int(new_qty))

    def reduce(self, order: Order, new_qty: int) -> None:
        """`resize` of a resting order object without the checks (0 < new_qty ≤ its qty)."""
        self._edits_sent += 1
        book = self._bids if order.side > 0 else self._asks
        book.levels[order.price][0] -= order.qty - new_qty
        book.edits[order.owner] += 1
        order.qty = new_qty
