"""Binance "Liquidation Protocols" (spec §3).

With the account's open orders cancelled (by the engine, before any style runs), send one IOC
order that reduces the position just enough for the account to be compliant after the realised
loss and the clearance fee (a tier step-down is found the same way, since maintenance margin
falls with the notional); if that is not possible, fails, or is not enough, the insurance fund
takes the rest over at the bankruptcy price and offloads it into the book. The takeover and the
fund's offload are one order here: the whole position goes into the book as an IOC order limited
at the bankruptcy price (so the fund cannot lose on what fills), and only what the book could
not absorb within that limit stays with the fund (or goes to ADL).
"""

from __future__ import annotations

import numpy as np

from model.liquidation.base import LiquidationOps, Moment, Position
from model.orders import TimeInForce


def compliant_reduction(ops: LiquidationOps, position: Position, mark: np.ndarray) -> int | None:
    """Fewest lots whose sale at the mark leaves the pool above maintenance margin after the
    clearance fee; None when only a full close would do."""
    contract = position.contract
    held = position.held
    lots = abs(held)
    price = float(mark[contract])
    lot = position.lot
    table = position.tiers
    equity, pool_mm = ops.pool_state(position, mark)
    other_mm = pool_mm - float(table.maintenance_margin(lots * lot * price))
    rate = ops.rules.clearance_fee
    # the order fills at the book, not at the mark: count the gap to the best opposite quote
    side = 1 if held > 0 else -1
    book = ops.book(contract)
    best = book.best_bid() if side > 0 else book.best_ask()
    tick = ops.tick_size(contract)
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


def liquidate(ops: LiquidationOps, position: Position, now: Moment) -> None:
    """One Binance liquidation of one position (its orders already cancelled by the engine)."""
    reduce = compliant_reduction(ops, position, now.mark)
    if reduce is not None:
        ops.reduce_at_market(position, reduce, TimeInForce.IOC, "binance:ioc", now)
        if not ops.breached(position, now.mark):
            return
    ops.close_out(position, "binance:bankruptcy-order", "binance:takeover", now, fee=True)
