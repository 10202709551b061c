"""Bybit and BitMEX (spec §3).

On the lowest risk tier: cancel orders, then close at the bankruptcy price: the liquidation
engine's close order for the whole position goes into the book limited at the bankruptcy price,
and the insurance fund takes over only what the book could not absorb. On a higher tier: cancel orders and try to step the position down to the
tier below with a fill-or-kill order for the difference; if that does not fill or the position is
still under maintenance margin, close the whole position at the bankruptcy price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.orderbook import TimeInForce

if TYPE_CHECKING:
    from model.liquidation.engine import LiquidationEngine, Moment


def liquidate(engine: LiquidationEngine, account: int, contract: int, now: Moment) -> None:
    """One Bybit/BitMEX liquidation of one position."""
    engine.exchange.cancel_all(account)
    tier = engine.tier_index(account, contract, now.mark)
    if tier > 0:
        cap = engine.ledger.tiers[contract].tiers[tier - 1].cap
        keep = engine.lots_within(contract, cap, now.mark)
        held = abs(int(engine.ledger.lots[account, contract]))
        if 0 < keep < held:
            engine.reduce_at_market(
                account, contract, held - keep, TimeInForce.FOK, "bybit:step-down", now
            )
            if not engine.breached(account, contract, now.mark):
                return
    engine.close_out(account, contract, "bybit:bankruptcy-order", "bybit:bankruptcy", now)
