"""A limit order book for one perpetual contract: integer ticks and lots, price-time priority.

Price levels live in `SortedDict`s keyed by tick, so the best bid and ask are found without
scanning; each level is an insertion-ordered dict of orders, which keeps FIFO priority and makes a
cancel O(1). Matching walks levels from the best price outwards and yields one `Fill` per maker
order touched. Incoming orders never match their owner's resting orders: those are cancelled
instead (expire-maker self-trade prevention, as the big venues offer), so a trader never trades
with itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum, IntEnum

import numpy as np
from sortedcontainers import SortedDict


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


@dataclass(frozen=True, slots=True)
class Fill:
    """One match between a resting (maker) order and an incoming (taker) order."""

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
    """A resting order."""

    __slots__ = ("order_id", "owner", "price", "qty", "reduce_only", "side")

    def __init__(
        self, order_id: int, owner: int, side: int, price: int, qty: int, reduce_only: bool
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.qty = qty
        self.reduce_only = reduce_only

    def __repr__(self) -> str:
        return (
            f"Order(id={self.order_id}, owner={self.owner}, side={self.side}, "
            f"price={self.price}, qty={self.qty}, reduce_only={self.reduce_only})"
        )


class _Level:
    __slots__ = ("orders", "qty")

    def __init__(self) -> None:
        self.orders: dict[int, Order] = {}
        self.qty = 0


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
        self._bids: SortedDict = SortedDict()  # tick -> _Level
        self._asks: SortedDict = SortedDict()
        self._orders: dict[int, Order] = {}
        self._by_owner: dict[int, dict[int, None]] = {}
        self._next_id = 1
        self.last_price: int | None = None

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
        """Enter an order; see the module docstring for matching rules.

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
        if tif == TimeInForce.FOK and self._fillable(opposite, side, price, owner) < qty:
            return OrderResult(
                order_id,
                OrderStatus.REJECTED,
                cancelled_qty=qty + clipped,
                reason="fill-or-kill order cannot fill completely",
            )
        result = OrderResult(order_id, OrderStatus.FILLED, cancelled_qty=clipped)
        remaining = self._match(opposite, owner, side, qty, price, order_id, result)
        result.filled_qty = qty - remaining
        if remaining and tif == TimeInForce.GTC:
            assert price is not None
            self._rest(Order(order_id, owner, side, price, remaining, reduce_only))
            result.resting_qty = remaining
            result.status = OrderStatus.PARTIAL_RESTING if result.fills else OrderStatus.RESTING
        elif remaining:
            result.cancelled_qty += remaining
            result.status = OrderStatus.CANCELLED
        return result

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
        if tif not in (TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK):
            raise InvalidOrder(f"tif must be GTC, IOC or FOK, got {tif!r}")
        if price is None and tif == TimeInForce.GTC:
            raise InvalidOrder("price is required for a GTC order (market orders are IOC or FOK)")
        if price is None and post_only:
            raise InvalidOrder("price is required for a post-only order")
        if reduce_only and (position is None or not _is_int(position)):
            raise InvalidOrder("position (signed lots) is required for a reduce-only order")

    @staticmethod
    def _crosses(opposite: SortedDict, side: int, price: int | None) -> bool:
        if not opposite:
            return False
        best = opposite.keys()[0] if side > 0 else opposite.keys()[-1]
        return price is None or (price >= best if side > 0 else price <= best)

    def _fillable(self, opposite: SortedDict, side: int, price: int | None, owner: int) -> int:
        """Quantity an order could take now, not counting the owner's own orders."""
        total = 0
        keys = opposite.keys() if side > 0 else reversed(opposite.keys())
        for tick in keys:
            if price is not None and (tick > price if side > 0 else tick < price):
                break
            level = opposite[tick]
            total += level.qty - sum(o.qty for o in level.orders.values() if o.owner == owner)
        return total

    def _match(
        self,
        opposite: SortedDict,
        owner: int,
        side: int,
        qty: int,
        price: int | None,
        order_id: int,
        result: OrderResult,
    ) -> int:
        fills = result.fills
        while qty and opposite:
            tick = opposite.keys()[0] if side > 0 else opposite.keys()[-1]
            if price is not None and (tick > price if side > 0 else tick < price):
                break
            level = opposite[tick]
            orders = level.orders
            while qty and orders:
                maker = next(iter(orders.values()))
                if maker.owner == owner:  # expire the maker; the level is tidied below
                    del orders[maker.order_id]
                    level.qty -= maker.qty
                    del self._orders[maker.order_id]
                    self._forget_owner(maker)
                    result.self_trade_cancels.append(maker.order_id)
                    continue
                take = min(qty, maker.qty)
                fills.append(Fill(maker.owner, owner, maker.order_id, order_id, tick, take, side))
                qty -= take
                level.qty -= take
                if take == maker.qty:
                    del orders[maker.order_id]
                    del self._orders[maker.order_id]
                    self._forget_owner(maker)
                else:
                    maker.qty -= take
                self.last_price = tick
            if not orders:
                del opposite[tick]
        return qty

    def _rest(self, order: Order) -> None:
        levels = self._bids if order.side > 0 else self._asks
        level = levels.get(order.price)
        if level is None:
            level = levels[order.price] = _Level()
        level.orders[order.order_id] = order
        level.qty += order.qty
        self._orders[order.order_id] = order
        self._by_owner.setdefault(order.owner, {})[order.order_id] = None

    def _remove(self, order: Order, level: _Level | None = None) -> None:
        levels = self._bids if order.side > 0 else self._asks
        level = level or levels[order.price]
        del level.orders[order.order_id]
        level.qty -= order.qty
        if not level.orders:
            del levels[order.price]
        del self._orders[order.order_id]
        self._forget_owner(order)

    def _forget_owner(self, order: Order) -> None:
        mine = self._by_owner.get(order.owner)
        if mine is not None:
            mine.pop(order.order_id, None)
            if not mine:
                del self._by_owner[order.owner]

    # ---- cancels ---------------------------------------------------------------------------
    def cancel(self, order_id: int) -> bool:
        """Cancel a resting order; False when it is not (or no longer) on the book."""
        order = self._orders.get(order_id)
        if order is None:
            return False
        self._remove(order)
        return True

    def cancel_owner(self, owner: int) -> list[int]:
        """Cancel every resting order of an owner; returns their ids."""
        ids = list(self._by_owner.get(owner, ()))
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
        levels = self._bids if order.side > 0 else self._asks
        levels[order.price].qty -= order.qty - new_qty
        order.qty = new_qty

    # ---- queries ---------------------------------------------------------------------------
    def orders_of(self, owner: int) -> list[int]:
        """Ids of an owner's resting orders, oldest first."""
        return list(self._by_owner.get(owner, ()))

    def get(self, order_id: int) -> Order | None:
        """The resting order with that id, or None."""
        return self._orders.get(order_id)

    def best_bid(self) -> int | None:
        """Highest bid in ticks."""
        return self._bids.keys()[-1] if self._bids else None

    def best_ask(self) -> int | None:
        """Lowest ask in ticks."""
        return self._asks.keys()[0] if self._asks else None

    def mid(self) -> float | None:
        """Mid price in ticks (may end in .5); None if a side is empty."""
        if not self._bids or not self._asks:
            return None
        return (self._bids.keys()[-1] + self._asks.keys()[0]) / 2.0

    def spread(self) -> int | None:
        """Best ask − best bid in ticks; None if a side is empty."""
        if not self._bids or not self._asks:
            return None
        return int(self._asks.keys()[0] - self._bids.keys()[-1])

    def depth(self, side: int, levels: int) -> list[tuple[int, int]]:
        """Aggregated (price, qty) of the best ``levels`` levels of one side, best first."""
        book = self._bids if side > 0 else self._asks
        keys = reversed(book.keys()) if side > 0 else iter(book.keys())
        out: list[tuple[int, int]] = []
        for tick in keys:
            if len(out) >= levels:
                break
            out.append((int(tick), book[tick].qty))
        return out

    def depth_within(self, ticks: int) -> tuple[int, int]:
        """Bid qty and ask qty (lots) within ``ticks`` of the mid."""
        mid = self.mid()
        if mid is None:
            return (0, 0)
        lo, hi = mid - ticks, mid + ticks
        bid_qty = sum(self._bids[t].qty for t in self._bids.irange(math.ceil(lo), None))
        ask_qty = sum(self._asks[t].qty for t in self._asks.irange(None, math.floor(hi)))
        return bid_qty, ask_qty

    def impact_price(self, side: int, notional: float) -> float | None:
        """Average USDT fill price of a market order of ``notional`` USDT (book unchanged).

        side +1 walks the asks (a buy), -1 the bids. None if the book cannot fill it.
        """
        book = self._asks if side > 0 else self._bids
        keys = iter(book.keys()) if side > 0 else reversed(book.keys())
        need, cost, qty = notional, 0.0, 0.0
        for tick in keys:
            price = tick * self.tick_size
            level_qty = book[tick].qty * self.lot_size
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
        return sum(level.qty for level in book.values())

    def __len__(self) -> int:
        return len(self._orders)
