"""Hyperliquid (spec §3): market orders for the position go to the book, 20% at a time with a
30-second cooldown above 100k USDC of notional; if equity falls below 2/3 of maintenance margin
the backstop vault (the venue's fund account) takes over the position and the margin. No
clearance fee. Orders are limited at the bankruptcy price here, so a slice never leaves the
account below zero; what the book cannot take waits for the next step or the backstop."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from model.orderbook import TimeInForce

if TYPE_CHECKING:
    from model.liquidation.engine import LiquidationEngine


def liquidate(engine: LiquidationEngine, account: int, contract: int) -> None:
    """One Hyperliquid liquidation step of one position."""
    rules = engine.rules
    equity, mm = engine.pool_state(account, contract)
    if equity < rules.backstop_fraction * mm:
        engine.exchange.cancel_all(account)
        engine.takeover(account, contract, "hyperliquid:backstop", fee=False)
        return
    key = (account, contract)
    last = engine.last_slice.get(key)
    if last is not None and engine.t - last < rules.cooldown_seconds:
        return
    engine.exchange.cancel_all(account)
    ledger = engine.ledger
    held = abs(int(ledger.lots[account, contract]))
    notional = held * ledger.lot[contract] * engine.mark[contract]
    lots = held
    if notional > rules.partial_threshold:
        lots = max(1, math.ceil(held * rules.partial_fraction))
        engine.last_slice[key] = engine.t
    engine.reduce_at_market(account, contract, lots, TimeInForce.IOC, "hyperliquid:market")
