"""OKX (spec §3): partial liquidation at tier 3 and above reduces the position by two tiers and
repeats while the position is still under maintenance margin; tiers 1–2 are closed in full (by a
market order limited at the bankruptcy price, the rest taken over by the insurance fund). The
engine has cancelled the account's orders before this runs."""

from __future__ import annotations

from model.liquidation.base import LiquidationOps, Moment, Position
from model.orders import TimeInForce

MAX_ROUNDS = 20


def liquidate(ops: LiquidationOps, position: Position, now: Moment) -> None:
    """One OKX liquidation of one position."""
    for _ in range(MAX_ROUNDS):
        tier = position.tier_index(now.mark)
        if tier < 2 or not ops.breached(position, now.mark):
            break
        cap = position.tiers.tiers[tier - 2].cap
        held = abs(position.held)
        keep = min(position.lots_within(cap, now.mark), held - 1)
        if keep <= 0:
            break
        filled = ops.reduce_at_market(position, held - keep, TimeInForce.IOC, "okx:two-tiers", now)
        if not filled:
            break
    if not ops.breached(position, now.mark):
        return
    ops.close_out(position, "okx:full", "okx:bankruptcy", now, fee=False)
