"""Momentum traders: trade with recent returns, so they add to moves in both directions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from agents.trader import Trader
from model.gateway import OrderGateway
from model.view import MarketView

THRESHOLD = 0.002  # |return over the lookback| that triggers a trade
STAKE = 0.5  # share of the deposit's buying power per trade


class MomentumTrader(Trader):
    """Buys after rises and sells after falls; exits when the move reverses."""

    kind = "momentum"
    signal: tuple[int, float] = (0, math.nan)  # (contract, its return over the lookback)

    @classmethod
    def step_crowd(
        cls,
        acting: Sequence[MomentumTrader],
        view: MarketView,
        rng: np.random.Generator,
        returns: list[float],
    ) -> None:
        """Each acting trader looks at a contract drawn at random and its recent return."""
        for trader in acting:
            c = int(rng.integers(view.n_contracts))
            trader.signal = (c, returns[c])
            trader.act(view, trader.gateway)

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """React to the recent return of the contract `step_crowd` drew."""
        c, ret = self.signal
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
        equity = self.me.wallet
        self.market(c, side, self.lots_for(c, equity * self.leverage * STAKE))
