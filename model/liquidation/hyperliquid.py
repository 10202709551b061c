"""Hyperliquid (spec §3): market orders for the position go to the book; above 100k USDC of
notional only 20% is sent. After a block in which any position of a user was partially
liquidated, that user is in a 30-second cooldown during which liquidation orders are for the
entire position. If equity falls below 2/3 of maintenance margin the backstop vault (the
venue's fund account) takes over the position and the margin. No clearance fee. Orders are
limited at the bankruptcy price here, so a slice never leaves the account below zero; what the
book cannot take waits for the next step or the backstop."""

from __future__ import annotations

import math

from model.liquidation.base import LiquidationOps, Moment, Position, Style
from model.orders import TimeInForce
from model.venue import LiquidationRules


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

    def liquidate(self, ops: LiquidationOps, position: Position, now: Moment) -> None:
        """One Hyperliquid liquidation step of one position (its orders already cancelled)."""
        rules = self.rules
        account = position.account
        equity, mm = ops.pool_state(position, now.mark)
        if equity < rules.backstop_fraction * mm:
            ops.takeover(position, "hyperliquid:backstop", now, fee=False)
            return
        held = abs(position.held)
        notional = held * position.lot * now.mark[position.contract]
        lots = held
        if notional > rules.partial_threshold and not self.in_cooldown(account, now.t):
            lots = max(1, math.ceil(held * rules.partial_fraction))
        step = "hyperliquid:market" if lots == held else "hyperliquid:partial"
        filled = ops.reduce_at_market(position, lots, TimeInForce.IOC, step, now)
        if filled and position.held != 0 and lots < held:
            self.last_partial[account] = now.t
