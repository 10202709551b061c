"""Noise traders: zero-intelligence limit and market orders and cancels at Poisson times.

The random draws of every noise trader that acts in a step are made together (`draw_actions`,
one call per kind of draw), so a step with many noise traders costs one pass of NumPy calls plus
the orders themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from agents.trader import Trader
from model.gateway import OrderGateway
from model.view import MarketView

MARKET_SHARE = 0.4  # share of actions that are market orders
CANCEL_SHARE = 0.2
MAX_OFFSET_BPS = 15.0  # limit orders rest uniformly within this distance behind the best
ORDER_VALUE = 3_000.0  # mean USDT per order (exponential)


class NoiseAction(NamedTuple):
    """The random draws behind one noise action, and the mid of its contract when the crowd's
    turn came."""

    mid: float
    contract: int
    roll: float  # < CANCEL_SHARE: cancel; < CANCEL_SHARE + MARKET_SHARE: market; else limit
    buy: bool
    value: float  # USDT
    offset_bps: float  # of a limit order behind the best quote on its side


def draw_actions(rng: np.random.Generator, k: int, mids: list[float]) -> list[NoiseAction]:
    """The draws of ``k`` noise actions at once, on contracts whose mids are ``mids``."""
    contract = rng.integers(len(mids), size=k).tolist()
    roll = rng.random(k).tolist()
    buy = (rng.random(k) < 0.5).tolist()
    value = rng.exponential(ORDER_VALUE, k).tolist()
    offset = rng.uniform(0.0, MAX_OFFSET_BPS, k).tolist()
    return [
        NoiseAction(mids[draw[0]], *draw)
        for draw in zip(contract, roll, buy, value, offset, strict=True)
    ]


class NoiseTrader(Trader):
    """Trades at random; its orders give the book its background flow."""

    kind = "noise"
    action: NoiseAction | None = None  # this step's draws, handed over by `step_crowd`

    @classmethod
    def step_crowd(
        cls,
        acting: Sequence[NoiseTrader],
        view: MarketView,
        rng: np.random.Generator,
        mids: list[float],
    ) -> None:
        """The draws of every noise trader that acts this step are made together (one call per
        kind of draw), then each acts on its own."""
        if not acting:
            return
        for trader, action in zip(acting, draw_actions(rng, len(acting), mids), strict=True):
            trader.action = action
            trader.act(view, trader.gateway)

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """One random action on a random contract (the draws `step_crowd` handed over, else
        fresh ones from the trader's own generator)."""
        action = self.action
        if action is None:
            action = draw_actions(self.model.rng, 1, view.prices()[0].tolist())[0]
        self.action = None
        c, roll = action.contract, action.roll
        mid = action.mid
        if not math.isfinite(mid):  # an empty side: nothing sensible to do
            return
        if roll < CANCEL_SHARE:
            self.cancel_all()
            return
        side = 1 if action.buy else -1
        lots = view.to_lots(c, action.value / mid)
        held = self.position(c)
        if held and abs(held) * view.lot[c] * mid > 10 * ORDER_VALUE:
            side = -1 if held > 0 else 1  # keep inventories bounded
        if roll < CANCEL_SHARE + MARKET_SHARE:
            self.market(c, side, lots)
            return
        # a limit order joins or sits behind the best quote on its own side, never inside the
        # spread: flickering one-lot improvements of the touch are not what noise flow does
        book = view.books[c]
        best = book.best_bid() if side > 0 else book.best_ask()
        base = view.price_of(c, best) if best is not None else mid
        self.limit(c, side, lots, base * (1.0 - side * action.offset_bps / 1e4))
