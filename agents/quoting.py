"""Quoting a ladder with few messages: what every liquidity provider (perpetual or spot) shares.

A ladder is a touch that follows the quoter's fair price and deeper levels on the quoter's own
grid, fixed in log price (LEVEL_STEP_BPS apart, offset by a per-quoter phase, so quoters do not
share levels). A grid fixed in price, unlike levels fixed relative to the fair price, does not
move when the fair price moves a little, so most deep orders stay, and keep their place in the
queue, from one step to the next. `Quotes.amend` sends only the messages that turn the resting
ladder into the wanted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from model.gateway import QuotePort

SIZE_TOLERANCE = 0.1  # a resting level within ±10% of the wanted size is left alone
_BELOW, _ABOVE = 1.0 - SIZE_TOLERANCE, 1.0 + SIZE_TOLERANCE
GRID_CACHE = 64  # grid positions remembered per quoter


class Ladder:
    """The price grid of one quoter.

    Args:
        step_bps: distance between deep levels.
        phase: where this quoter's grid sits within one step (0–1).
    """

    def __init__(self, step_bps: float, phase: float) -> None:
        self.log_step = math.log1p(step_bps / 1e4)
        self.phase = phase
        self._cache: dict[tuple[int, int, int, int], list[int]] = {}

    def wanted(
        self,
        key: int,
        side: int,
        touch: float,
        levels: int,
        to_ticks: Callable[[float], int],
    ) -> list[int]:
        """Ticks wanted, in the order they are quoted: the touch, then ``levels - 1`` levels of
        the grid at least half a step behind it (each tick once). ``key`` tells apart the books
        one quoter quotes on."""
        position = math.log(touch) / self.log_step + self.phase
        first = math.floor(position - 0.5) if side > 0 else math.ceil(position + 0.5)
        cache_key = (key, side, first, levels)
        deep = self._cache.get(cache_key)
        if deep is None:  # the grid moves rarely: its ticks are worked out once per position
            step, phase = self.log_step, self.phase
            ticks = [
                to_ticks(math.exp((first - side * k - phase) * step)) for k in range(levels - 1)
            ]
            deep = list(dict.fromkeys(ticks))
            if len(self._cache) > GRID_CACHE:
                self._cache.clear()
            self._cache[cache_key] = deep
        top = to_ticks(touch)
        if top in deep:
            return [top, *(tick for tick in deep if tick != top)]
        return [top, *deep]


def amend(
    book: QuotePort,
    resting: dict[int, int],
    wanted: dict[int, int],
    side: int,
) -> None:
    """Send only the messages that turn the resting ladder (tick → order id) into ``wanted``
    (tick → lots), for ladders whose levels differ in size (`Quotes` keeps ladders of one size
    per level with fewer looks): an order at a wanted tick stays while its size is within
    SIZE_TOLERANCE, is shrunk in place when too large (keeping its priority, as venues allow),
    and is cancelled and re-sent when too small (an increase loses priority on a real venue
    too). New quotes are the port owner's post-only orders on ``side`` (one that would take
    liquidity is refused and tried again next time)."""
    get, cancel, reduce = book.get, book.cancel, book.reduce
    for tick, order_id in list(resting.items()):
        order = get(order_id)
        if order is None:  # filled, or cancelled by the exchange (liquidation)
            del resting[tick]
            continue
        want = wanted.get(tick, 0)
        if order.qty < want * (1.0 - SIZE_TOLERANCE) or want == 0:
            cancel(order_id)
            del resting[tick]
        elif order.qty > want * (1.0 + SIZE_TOLERANCE):
            reduce(order, want)
    post = book.post
    for tick, want in wanted.items():
        if tick not in resting:
            order_id = post(side, want, tick)
            if order_id:
                resting[tick] = order_id


class Quotes:
    """One side of a quoter's ladder on one book: its resting orders (tick → order id).

    Args:
        owner: the quoter's account on that book.
        side: +1 bids, −1 asks.
    """

    __slots__ = ("_high", "_low", "_seen", "owner", "resting", "side")

    def __init__(self, owner: int, side: int) -> None:
        self.owner = owner
        self.side = side
        self.resting: dict[int, int] = {}
        # the book's count of edits to these orders when this ladder last left them, and
        # bounds on their sizes: while both hold, the orders stand as this ladder left them
        self._seen = -1
        self._low = math.inf
        self._high = 0

    def amend(self, book: QuotePort, ticks: list[int], lots: int) -> None:
        """Send only the messages that turn the resting ladder into ``lots`` at each of
        ``ticks``: an order at a wanted tick stays while its size is within SIZE_TOLERANCE, is
        shrunk in place when too large (keeping its priority, as venues allow), and is cancelled
        and re-sent when too small (an increase loses priority on a real venue too); orders at
        other ticks are cancelled and missing ticks posted (post-only), in the order of
        ``ticks``; a post that would take liquidity is refused and tried again next time."""
        resting, owner, side = self.resting, self.owner, self.side
        edits = book.edit_counts(side)
        low, high = self._low, self._high
        if edits.get(owner, 0) == self._seen and low >= lots * _BELOW and high <= lots * _ABOVE:
            # nobody touched the orders since the last amend and every size is within
            # tolerance: only the ticks that left or joined the ladder need a message
            if resting:
                wanted, cancel = set(ticks), book.cancel
                for tick in [tick for tick in resting if tick not in wanted]:
                    cancel(resting.pop(tick))
        else:
            low, high = self._check(book, set(ticks), lots)
        post = book.post
        posted = False
        for tick in ticks:
            if tick not in resting:
                order_id = post(side, lots, tick)
                if order_id:
                    resting[tick] = order_id
                    posted = True
        self._low, self._high = (min(low, lots), max(high, lots)) if posted else (low, high)
        self._seen = edits.get(owner, 0)

    def _check(self, book: QuotePort, wanted: set[int], lots: int) -> tuple[float, int]:
        """Look at every resting order: forget those gone, cancel those unwanted or too small,
        shrink those too large; the bounds of the sizes left."""
        resting = self.resting
        get, cancel, reduce = book.get, book.cancel, book.reduce
        low, high = math.inf, 0
        for tick, order_id in list(resting.items()):
            order = get(order_id)
            if order is None:  # filled, or cancelled by the exchange (liquidation)
                del resting[tick]
                continue
            want = lots if tick in wanted else 0
            if order.qty < want * (1.0 - SIZE_TOLERANCE) or want == 0:
                cancel(order_id)
                del resting[tick]
                continue
            if order.qty > want * (1.0 + SIZE_TOLERANCE):
                reduce(order, want)
            low, high = min(low, order.qty), max(high, order.qty)
        return low, high

    def cancel_all(self, book: QuotePort) -> None:
        """Cancel every resting order of this side."""
        self.amend(book, [], 0)
