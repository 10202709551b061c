"""Basis arbitrageurs: trade the perpetual towards the index when the basis is wide.

They hold the other leg (spot) off the exchange, so only the perpetual side appears here. Their
position is bounded by their capital: once it is used up they stop, and the perpetual can decouple
from the index — the gap the seed article describes in a crash.
"""

from __future__ import annotations

import math

from agents.trader import Trader

THRESHOLD_BPS = 8.0  # basis beyond which they trade
CLIP_VALUE = 200_000.0  # USDT per trade


class Arbitrageur(Trader):
    """Sells a rich perpetual, buys a cheap one, unwinds when the basis closes.

    Its orders rest at half the threshold from the index until the next step (the arbitrageur
    takes what is there and stands ready for the next seller or buyer), so an empty side of the
    book refills near the index while the arbitrageur has capital left. An order that is still
    the one it wants is left resting rather than cancelled and sent again."""

    kind = "arbitrageur"

    def __init__(self, model, capital: float, leverage: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model, capital, leverage)
        self.orders = [0] * model.n_contracts  # id of the resting order on each contract

    def act(self, mids: list[float], index: list[float]) -> None:
        """Trade every contract whose basis is outside the band."""
        for c, (mid, idx) in enumerate(zip(mids, index, strict=True)):
            wanted: tuple[int, int, int] | None = None  # side, ticks, lots of the resting order
            if math.isfinite(mid):
                basis_bps = (mid - idx) / idx * 1e4
                held = self.position(c)
                lots = self.exchange.to_lots(c, CLIP_VALUE / idx)
                if basis_bps > THRESHOLD_BPS:
                    wanted = (-1, self.exchange.to_ticks(c, idx * (1 + THRESHOLD_BPS / 2e4)), lots)
                elif basis_bps < -THRESHOLD_BPS:
                    wanted = (1, self.exchange.to_ticks(c, idx * (1 - THRESHOLD_BPS / 2e4)), lots)
                elif held and abs(basis_bps) < THRESHOLD_BPS / 4:
                    self._rest(c, None)
                    side = -1 if held > 0 else 1
                    self.market(c, side, min(lots, abs(held)), reduce_only=True)
                    continue
            self._rest(c, wanted)

    def _rest(self, c: int, wanted: tuple[int, int, int] | None) -> None:
        """Leave the resting order on ``c`` as it is when it is already the one wanted (it keeps
        its place in the queue); otherwise cancel it and send the wanted one, if any."""
        book = self.exchange.books[c]
        order = book.get(self.orders[c]) if self.orders[c] else None
        if order is not None and wanted == (order.side, order.price, order.qty):
            return
        if order is not None:
            book.cancel(order.order_id)
        self.orders[c] = 0
        if wanted is not None and wanted[2] > 0:
            side, ticks, lots = wanted
            result = self.limit(c, side, lots, self.exchange.price_of(c, ticks))
            if result is not None and self.exchange.resting_status(result):
                self.orders[c] = result.order_id
