"""Hyperliquid (spec §3): market orders for the position go to the book; above 100k USDC of
notional only 20% is sent. After a block in which any position of a user was partially
liquidated, that user is in a 30-second cooldown during which liquidation orders are for the
entire position. If equity falls below 2/3 of maintenance margin the backstop vault (the
venue's fund account) takes over the position and the margin. No clearance fee. Orders are
limited at the bankruptcy price here, so a slice never leaves the account below zero; what the
book cannot take waits for the next step or the backstop."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from model.liquidation.engine import Moment, Style
from model.orderbook import TimeInForce
from model.venue import LiquidationRules

if TYPE_CHECKING:
    from model.liquidation.engine import LiquidationEngine


class HyperliquidStyle(Style):
    """Hyperliquid's sequence, with each user's cooldown kept here.

    Args:
        rules: the venue's liquidation rules (threshold, slice, cooldown, backstop).
    """

    def __init__(self, rules: LiquidationRules) -> None:
        self.rules = rules
        self.last_partial: dict[int, float] = {}  # account -> time of its last partial block

    def in_cooldown(self, account: int, t: float) -> bool:
        """True within ``cooldown_seconds`` of a block that partially liquidated the user."""
        last = self.last_partial.get(account)
        return last is not None and t - last < self.rules.cooldown_seconds

    def liquidate(
        self, engine: LiquidationEngine, account: int, contract: int, now: Moment
    ) -> None:
        """One Hyperliquid liquidation step of one position."""
        rules = self.rules
        equity, mm = engine.pool_state(account, contract, now.mark)
        if equity < rules.backstop_fraction * mm:
            engine.exchange.cancel_all(account)
            engine.takeover(account, contract, "hyperliquid:backstop", now, fee=False)
            return
        engine.exchange.cancel_all(account)
        ledger = engine.ledger
        held = abs(int(ledger.lots[account, contract]))
        notional = held * ledger.lot[contract] * now.mark[contract]
        lots = held
        if notional > rules.partial_threshold and not self.in_cooldown(account, now.t):
            lots = max(1, math.ceil(held * rules.partial_fraction))
        step = "hyperliquid:market" if lots == held else "hyperliquid:partial"
        filled = engine.reduce_at_market(account, contract, lots, TimeInForce.IOC, step, now)
        if filled and ledger.lots[account, contract] != 0 and lots < held:
            self.last_partial[account] = now.t
