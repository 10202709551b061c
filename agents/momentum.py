"""Momentum traders: trade with recent returns, so they add to moves in both directions."""

from __future__ import annotations

import math

from agents.trader import Trader

THRESHOLD = 0.002  # |return over the lookback| that triggers a trade
STAKE = 0.5  # share of the deposit's buying power per trade


class MomentumTrader(Trader):
    """Buys after rises and sells after falls; exits when the move reverses."""

    kind = "momentum"

    def act(self, returns: list[float], contract: int) -> None:
        """React to the recent return of ``contract`` (drawn at random by the population)."""
        c = contract
        ret = returns[c]
        if not math.isfinite(ret):
            return
        held = self.position(c)
        if abs(ret) < THRESHOLD:
            return
        side = 1 if ret > 0 else -1
        if held and (held > 0) != (side > 0):
            self.close(c)
            return
        if held:
            return
        equity = float(self.ledger.wallet[self.account])
        self.market(c, side, self.lots_for(c, equity * self.leverage * STAKE))
