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
    book refills near the index while the arbitrageur has capital left."""

    kind = "arbitrageur"

    def act(self, mids: list[float], index: list[float]) -> None:
        """Trade every contract whose basis is outside the band."""
        self.cancel_all()
        for c, (mid, idx) in enumerate(zip(mids, index, strict=True)):
            if not math.isfinite(mid):
                continue
            basis_bps = (mid - idx) / idx * 1e4
            held = self.position(c)
            lots = self.exchange.to_lots(c, CLIP_VALUE / idx)
            if basis_bps > THRESHOLD_BPS:
                self.limit(c, -1, lots, idx * (1 + THRESHOLD_BPS / 2e4))
            elif basis_bps < -THRESHOLD_BPS:
                self.limit(c, 1, lots, idx * (1 - THRESHOLD_BPS / 2e4))
            elif held and abs(basis_bps) < THRESHOLD_BPS / 4:
                side = -1 if held > 0 else 1
                self.market(c, side, min(lots, abs(held)), reduce_only=True)
