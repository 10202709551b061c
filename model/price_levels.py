"""One side of an order book: its price levels, each a FIFO queue of resting orders, and what
can be read off them (best price, depth, what an order could take, the price impact of a market
order). `model.orderbook.OrderBook` keeps two and does the matching."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from operator import itemgetter
from typing import Any

from model.orders import Order

_first = itemgetter(0)  # a level's total lots


class PriceLevels:
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

    def queue(self, order: Order) -> None:
        """Queue a resting order last at its price (a new level when there is none)."""
        price = order.price
        level = self.levels.get(price)
        if level is None:
            self.levels[price] = [order.qty, order]
            insort(self.ticks, price)
        else:
            level.append(order)
            level[0] += order.qty

    def unqueue(self, order: Order) -> None:
        """Take a resting order off its level (and the level off the side when it empties);
        counts as an edit of its owner."""
        price = order.price
        level = self.levels[price]
        self.edits[order.owner] += 1
        if len(level) > 2:
            del level[level.index(order, 1)]
            level[0] -= order.qty
        else:
            del self.levels[price]
            ticks = self.ticks
            del ticks[bisect_left(ticks, price)]

    def crosses(self, side: int, price: int | None) -> bool:
        """Whether an order of ``side`` at ``price`` (None: at market) would take from this,
        the opposite side."""
        best = self.best()
        if best is None:
            return False
        return price is None or (price >= best if side > 0 else price <= best)

    def fillable(self, side: int, price: int | None, owner: int) -> int:
        """Lots an order of ``side`` at ``price`` could take from this, the opposite side, now,
        not counting the owner's own orders."""
        total = 0
        for tick in self.best_first():
            if price is not None and (tick > price if side > 0 else tick < price):
                break
            level = self.levels[tick]
            total += level[0] - sum(o.qty for o in level[1:] if o.owner == owner)
        return total

    def depth(self, levels: int) -> list[tuple[int, int]]:
        """Aggregated (price, qty) of the best ``levels`` levels, best first."""
        return [(int(t), self.levels[t][0]) for t in self.best_first()[: max(0, levels)]]

    def lots_from(self, lo: int) -> int:
        """Lots resting at ``lo`` ticks and above."""
        ticks = self.ticks
        # each level's lots through C-level maps: the band can hold thousands of levels
        return sum(map(_first, map(self.levels.__getitem__, ticks[bisect_left(ticks, lo) :])))

    def lots_to(self, hi: int) -> int:
        """Lots resting at ``hi`` ticks and below."""
        ticks = self.ticks
        return sum(map(_first, map(self.levels.__getitem__, ticks[: bisect_left(ticks, hi + 1)])))

    def impact_price(self, notional: float, tick_size: float, lot_size: float) -> float | None:
        """Average USDT fill price of a market order of ``notional`` USDT walking this side
        (unchanged); None if it cannot fill it."""
        levels = self.levels
        need, cost, qty = notional, 0.0, 0.0
        # best first, without copying every tick of the side (the walk stops early)
        for tick in reversed(self.ticks) if self.buy else self.ticks:
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

    def volume(self) -> int:
        """Total resting lots."""
        return sum([level[0] for level in self.levels.values()])
