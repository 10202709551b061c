"""What can be asked of an order book without changing it: best prices, mid and spread, depth,
the price impact of a market order, an owner's resting orders and how often they were touched,
the message count. `model.orderbook.OrderBook` inherits these; its matching and order entry
live there."""

from __future__ import annotations

import math
from collections import defaultdict

from model.orders import Order
from model.price_levels import PriceLevels


class BookQueries:
    """The read-only queries of `model.orderbook.OrderBook` over the state it keeps."""

    tick_size: float
    lot_size: float
    _bids: PriceLevels
    _asks: PriceLevels
    _orders: dict[int, Order]
    _by_owner: defaultdict[int, dict[int, None]]
    _posters: set[int]
    _next_id: int
    _edits_sent: int

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
        return (self._bids if side > 0 else self._asks).depth(levels)

    def depth_within(self, ticks: int) -> tuple[int, int]:
        """Bid qty and ask qty (lots) within ``ticks`` of the mid."""
        mid = self.mid()
        if mid is None:
            return (0, 0)
        lo, hi = math.ceil(mid - ticks), math.floor(mid + ticks)
        return self._bids.lots_from(lo), self._asks.lots_to(hi)

    def impact_price(self, side: int, notional: float) -> float | None:
        """Average USDT fill price of a market order of ``notional`` USDT (book unchanged).

        side +1 walks the asks (a buy), -1 the bids. None if the book cannot fill it.
        """
        book = self._asks if side > 0 else self._bids
        return book.impact_price(notional, self.tick_size, self.lot_size)

    def volume_resting(self, side: int) -> int:
        """Total resting lots on one side."""
        return (self._bids if side > 0 else self._asks).volume()

    def __len__(self) -> int:
        return len(self._orders)
