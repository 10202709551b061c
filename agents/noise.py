"""Noise traders: zero-intelligence limit and market orders and cancels at Poisson times.

The random draws of every noise trader that acts in a step are made together (`draw_actions`,
one call per kind of draw), so a step with many noise traders costs one pass of NumPy calls plus
the orders themselves.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from agents.trader import Trader

MARKET_SHARE = 0.4  # share of actions that are market orders
CANCEL_SHARE = 0.2
MAX_OFFSET_BPS = 15.0  # limit orders rest uniformly within this distance behind the best
ORDER_VALUE = 3_000.0  # mean USDT per order (exponential)


class NoiseAction(NamedTuple):
    """The random draws behind one noise action."""

    contract: int
    roll: float  # < CANCEL_SHARE: cancel; < CANCEL_SHARE + MARKET_SHARE: market; else limit
    buy: bool
    value: float  # USDT
    offset_bps: float  # of a limit order behind the best quote on its side


def draw_actions(rng: np.random.Generator, k: int, n_contracts: int) -> list[NoiseAction]:
    """The draws of ``k`` noise actions at once."""
    contract = rng.integers(n_contracts, size=k).tolist()
    roll = rng.random(k).tolist()
    buy = (rng.random(k) < 0.5).tolist()
    value = rng.exponential(ORDER_VALUE, k).tolist()
    offset = rng.uniform(0.0, MAX_OFFSET_BPS, k).tolist()
    return [NoiseAction(*draw) for draw in zip(contract, roll, buy, value, offset, strict=True)]


class NoiseTrader(Trader):
    """Trades at random; its orders give the book its background flow."""

    kind = "noise"

    def act(self, mids: list[float], action: NoiseAction | None = None) -> None:
        """One random action on a random contract (``action``: draws made for it already)."""
        if action is None:
            action = draw_actions(self.rng, 1, len(mids))[0]
        c, roll = action.contract, action.roll
        mid = mids[c]
        if not math.isfinite(mid):  # an empty side: nothing sensible to do
            return
        if roll < CANCEL_SHARE:
            self.cancel_all()
            return
        side = 1 if action.buy else -1
        lots = self.exchange.to_lots(c, action.value / mid)
        held = self.position(c)
        if held and abs(held) * self.ledger.lot.item(c) * mid > 10 * ORDER_VALUE:
            side = -1 if held > 0 else 1  # keep inventories bounded
        if roll < CANCEL_SHARE + MARKET_SHARE:
            self.market(c, side, lots)
            return
        # a limit order joins or sits behind the best quote on its own side, never inside the
        # spread: flickering one-lot improvements of the touch are not what noise flow does
        book = self.exchange.books[c]
        best = book.best_bid() if side > 0 else book.best_ask()
        base = self.exchange.price_of(c, best) if best is not None else mid
        self.limit(c, side, lots, base * (1.0 - side * action.offset_bps / 1e4))
