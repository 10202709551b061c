"""Binance "Liquidation Protocols" (spec §3).

Cancel the account's open orders; send one IOC order that reduces the position just enough for
the account to be compliant after the realised loss and the clearance fee (a tier step-down is
found the same way, since maintenance margin falls with the notional); if that is not possible,
fails, or is not enough, the insurance fund takes the rest over at the bankruptcy price and
offloads it into the book. The takeover and the fund's offload are one order here: the whole
position goes into the book as an IOC order limited at the bankruptcy price (so the fund cannot
lose on what fills), and only what the book could not absorb within that limit stays with the
fund (or goes to ADL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.orderbook import TimeInForce

if TYPE_CHECKING:
    from model.liquidation.engine import LiquidationEngine, Moment


def compliant_reduction(
    engine: LiquidationEngine, account: int, contract: int, mark: np.ndarray
) -> int | None:
    """Fewest lots whose sale at the mark leaves the pool above maintenance margin after the
    clearance fee; None when only a full close would do."""
    ledger = engine.ledger
    lots = abs(int(ledger.lots[account, contract]))
    price = float(mark[contract])
    lot = ledger.lot[contract]
    table = ledger.tiers[contract]
    equity, pool_mm = engine.pool_state(account, contract, mark)
    other_mm = pool_mm - float(table.maintenance_margin(lots * lot * price))
    rate = engine.rules.clearance_fee
    # the order fills at the book, not at the mark: count the gap to the best opposite quote
    side = 1 if ledger.lots[account, contract] > 0 else -1
    book = engine.exchange.books[contract]
    best = book.best_bid() if side > 0 else book.best_ask()
    tick = engine.exchange.contracts[contract].tick_size
    slippage = 0.0 if best is None else max(0.0, side * (price - best * tick))

    def compliant(k: int) -> bool:
        after = float(table.maintenance_margin((lots - k) * lot * price))
        return equity - (rate * price + slippage) * k * lot > other_mm + after

    lo, hi = 1, lots - 1
    if lots < 2 or not compliant(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if compliant(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def liquidate(engine: LiquidationEngine, account: int, contract: int, now: Moment) -> None:
    """One Binance liquidation of one position."""
    engine.exchange.cancel_all(account)
    reduce = compliant_reduction(engine, account, contract, now.mark)
    if reduce is not None:
        engine.reduce_at_market(account, contract, reduce, TimeInForce.IOC, "binance:ioc", now)
        if not engine.breached(account, contract, now.mark):
            return
    engine.close_out(account, contract, "binance:bankruptcy-order", "binance:takeover", now)
