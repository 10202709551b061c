"""Quoting a ladder with few messages: what every liquidity provider (perpetual or spot) shares.

A ladder is a touch that follows the quoter's fair price and deeper levels on the quoter's own
grid, fixed in log price (LEVEL_STEP_BPS apart, offset by a per-quoter phase, so quoters do not
share levels). A grid fixed in price, unlike levels fixed relative to the fair price, does not
move when the fair price moves a little, so most deep orders stay, and keep their place in the
queue, from one step to the next. `amend` sends only the messages that turn the resting ladder
into the wanted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from model.orderbook import OrderBook

SIZE_TOLERANCE = 0.1  # a resting level within ±10% of the wanted size is left alone
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
        lots: int,
        to_ticks: Callable[[float], int],
    ) -> dict[int, int]:
        """Lots wanted at each tick: the touch, then ``levels - 1`` levels of the grid at least
        half a step behind it. ``key`` tells apart the books one quoter quotes on."""
        position = math.log(touch) / self.log_step + self.phase
        first = math.floor(position - 0.5) if side > 0 else math.ceil(position + 0.5)
        cache_key = (key, side, first, levels)
        deep = self._cache.get(cache_key)
        if deep is None:  # the grid moves rarely: its ticks are worked out once per position
            step, phase = self.log_step, self.phase
            deep = [
                to_ticks(math.exp((first - side * k - phase) * step)) for k in range(levels - 1)
            ]
            if len(self._cache) > GRID_CACHE:
                self._cache.clear()
            self._cache[cache_key] = deep
        wanted = {to_ticks(touch): lots}
        for tick in deep:
            wanted.setdefault(tick, lots)
        return wanted


def amend(
    book: OrderBook,
    resting: dict[int, int],
    wanted: dict[int, int],
    post: Callable[[int, int], int],
) -> None:
    """Send only the messages that turn the resting ladder (tick → order id) into ``wanted``
    (tick → lots): an order at a wanted tick stays while its size is within SIZE_TOLERANCE, is
    shrunk in place when too large (keeping its priority, as venues allow), and is cancelled and
    re-sent when too small (an increase loses priority on a real venue too). ``post(tick, lots)``
    rests a quote and returns its id (0 if it would take liquidity)."""
    for tick, order_id in list(resting.items()):
        order = book.get(order_id)
        if order is None:  # filled, or cancelled by the exchange (liquidation)
            del resting[tick]
            continue
        want = wanted.get(tick, 0)
        if order.qty < want * (1.0 - SIZE_TOLERANCE) or want == 0:
            book.cancel(order_id)
            del resting[tick]
        elif order.qty > want * (1.0 + SIZE_TOLERANCE):
            book.reduce(order, want)
    for tick, want in wanted.items():
        if tick not in resting:
            order_id = post(tick, want)
            if order_id:
                resting[tick] = order_id
