"""Orders and what becomes of them: time in force, an order's status, fills, the result of an
entry, a resting order, and the field checks of the book's public door (`OrderBook.submit`).

Prices are integer ticks and sizes integer lots; `tick_rounder` turns a USDT price into ticks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from functools import partial
from typing import NamedTuple

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


def _round_to_tick(tick_size: float, price: float) -> int:
    return max(1, round(price / tick_size))


def tick_rounder(tick_size: float) -> Callable[[float], int]:
    """A function from a USDT price to its nearest tick (at least one), with no checks: the
    arithmetic of `Exchange.to_ticks` and `SpotMarkets.to_ticks`, for a quoter whose prices are
    finite and positive by construction and that converts several every step (a ``partial``,
    so it pickles)."""
    return partial(_round_to_tick, tick_size)


def is_integer(value: object) -> bool:
    """An int or NumPy integer, not a bool (what a count of lots or ticks may be)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def check_order_fields(
    owner: object,
    side: object,
    qty: object,
    price: object,
    tif: object,
    post_only: bool,
    reduce_only: bool,
    position: object,
) -> None:
    """Check every field of an order entered through `OrderBook.submit`.

    Raises:
        InvalidOrder: naming the first malformed field.
    """
    if not is_integer(owner) or owner < 0:  # type: ignore[operator]
        raise InvalidOrder(f"owner must be an integer ≥ 0, got {owner!r}")
    if side not in (1, -1) or isinstance(side, bool):
        raise InvalidOrder(f"side must be +1 (buy) or -1 (sell), got {side!r}")
    if not is_integer(qty) or qty <= 0:  # type: ignore[operator]
        raise InvalidOrder(f"qty must be an integer number of lots > 0, got {qty!r}")
    if price is not None:
        if not is_integer(price):
            raise InvalidOrder(f"price must be an integer number of ticks, got {price!r}")
        if price <= 0:  # type: ignore[operator]
            raise InvalidOrder(f"price must be > 0 ticks, got {price!r}")
    check_order_kind(price, tif, post_only)
    if reduce_only and (position is None or not is_integer(position)):
        raise InvalidOrder("position (signed lots) is required for a reduce-only order")


def check_order_kind(price: object, tif: object, post_only: bool) -> None:
    """Check the time in force and post-only flag against the price; the exchange calls
    this after checking the other fields itself (and knows every position)."""
    if tif not in (TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK):
        raise InvalidOrder(f"tif must be GTC, IOC or FOK, got {tif!r}")
    if price is None and tif == TimeInForce.GTC:
        raise InvalidOrder("price is required for a GTC order (market orders are IOC or FOK)")
    if price is None and post_only:
        raise InvalidOrder("price is required for a post-only order")
