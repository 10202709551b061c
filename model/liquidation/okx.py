"""OKX (spec §3): partial liquidation at tier 3 and above reduces the position by two tiers and
repeats while the position is still under maintenance margin; tiers 1–2 are closed in full (by a
market order limited at the bankruptcy price, the rest taken over by the insurance fund)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.orderbook import TimeInForce

if TYPE_CHECKING:
    from model.liquidation.engine import LiquidationEngine, Moment

MAX_ROUNDS = 20


def liquidate(engine: LiquidationEngine, account: int, contract: int, now: Moment) -> None:
    """One OKX liquidation of one position."""
    engine.exchange.cancel_all(account)
    ledger = engine.ledger
    for _ in range(MAX_ROUNDS):
        tier = engine.tier_index(account, contract, now.mark)
        if tier < 2 or not engine.breached(account, contract, now.mark):
            break
        cap = ledger.tiers[contract].tiers[tier - 2].cap
        held = abs(int(ledger.lots[account, contract]))
        keep = min(engine.lots_within(contract, cap, now.mark), held - 1)
        if keep <= 0:
            break
        filled = engine.reduce_at_market(
            account, contract, held - keep, TimeInForce.IOC, "okx:two-tiers", now
        )
        if not filled:
            break
    if not engine.breached(account, contract, now.mark):
        return
    engine.close_out(account, contract, "okx:full", "okx:bankruptcy", now, fee=False)
