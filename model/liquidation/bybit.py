"""Bybit and BitMEX (spec §3).

The engine has cancelled the account's orders. On the lowest risk tier: close at the bankruptcy
price: the liquidation engine's close order for the whole position goes into the book limited at
the bankruptcy price, and the insurance fund takes over only what the book could not absorb. On
a higher tier: try to step the position down to the tier below with a fill-or-kill order for the
difference; if that does not fill or the position is still under maintenance margin, close the
whole position at the bankruptcy price.
"""

from __future__ import annotations

from model.liquidation.base import LiquidationOps, Moment, Position
from model.orders import TimeInForce


def liquidate(ops: LiquidationOps, position: Position, now: Moment) -> None:
    """One Bybit/BitMEX liquidation of one position."""
    tier = position.tier_index(now.mark)
    if tier > 0:
        cap = position.tiers.tiers[tier - 1].cap
        keep = position.lots_within(cap, now.mark)
        held = abs(position.held)
        if 0 < keep < held:
            ops.reduce_at_market(position, held - keep, TimeInForce.FOK, "bybit:step-down", now)
            if not ops.breached(position, now.mark):
                return
    ops.close_out(position, "bybit:bankruptcy-order", "bybit:bankruptcy", now, fee=True)
