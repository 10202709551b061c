"""Noise traders: zero-intelligence limit and market orders and cancels at Poisson times."""

from __future__ import annotations

import math

from agents.trader import Trader

MARKET_SHARE = 0.4  # share of actions that are market orders
CANCEL_SHARE = 0.2
MAX_OFFSET_BPS = 15.0  # limit orders land uniformly within this distance of the mid
ORDER_VALUE = 3_000.0  # mean USDT per order (exponential)


class NoiseTrader(Trader):
    """Trades at random; its orders give the book its background flow."""

    kind = "noise"

    def act(self, mids: list[float]) -> None:
        """One random action on a random contract."""
        rng = self.rng
        c = int(rng.integers(len(mids)))
        mid = mids[c]
        if not math.isfinite(mid):  # an empty side: nothing sensible to do
            return
        roll = rng.random()
        if roll < CANCEL_SHARE:
            self.cancel_all()
            return
        side = 1 if rng.random() < 0.5 else -1
        lots = self.exchange.to_lots(c, rng.exponential(ORDER_VALUE) / mid)
        held = self.position(c)
        if held and abs(held) * self.ledger.lot[c] * mid > 10 * ORDER_VALUE:
            side = -1 if held > 0 else 1  # keep inventories bounded
        if roll < CANCEL_SHARE + MARKET_SHARE:
            self.market(c, side, lots)
        else:
            offset = rng.uniform(0.0, MAX_OFFSET_BPS) / 1e4
            self.limit(c, side, lots, mid * (1.0 - side * offset))
