"""Closing a position into the book no worse than its bankruptcy price.

Liquidation orders and the insurance fund's offloads are the same order: reduce-only,
immediate-or-cancel (or fill-or-kill), limited at the bankruptcy price of the position so that
the close never takes the account below zero, and without a trading fee. This module sends it
and measures its fills (VWAP); callers log it under their own event kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.events import EventLog
from model.exchange import Exchange
from model.orderbook import TimeInForce


@dataclass(frozen=True, slots=True)
class CloseOut:
    """What one close-out order filled."""

    side: int  # side of the position being closed (+1 long)
    lots: int  # lots filled
    qty: float  # base units filled
    price: float  # VWAP of the fills (nan when nothing filled)
    bankruptcy_price: float  # the order's limit before rounding to ticks

    @property
    def notional(self) -> float:
        """USDT value of the fills."""
        return self.qty * self.price if self.lots else 0.0


def close_at_bankruptcy(
    exchange: Exchange,
    account: int,
    contract: int,
    lots: int,
    tif: TimeInForce,
    mark: np.ndarray,
) -> CloseOut:
    """Send a reduce-only order for ``lots`` of the account's position, limited at its
    bankruptcy price (rounded to the tick on the safe side), with no fee; the closed share of an
    isolated margin stays behind the rest of the position."""
    ledger = exchange.ledger
    held = int(ledger.lots[account, contract])
    side = 1 if held > 0 else -1
    bp = ledger.bankruptcy_price(account, contract, mark)
    ticks = bp / exchange.contracts[contract].tick_size
    limit = math.ceil(ticks - 1e-9) if side > 0 else math.floor(ticks + 1e-9)
    result = exchange.send(  # the engine's own order: well formed, no field checks
        account,
        contract,
        -side,
        min(lots, abs(held)),
        max(1, limit),
        tif,
        reduce_only=True,
        check_margin=False,
        fee_rate=0.0,
        release_margin=False,
    )
    filled = int(result.filled_qty)
    if not filled:
        return CloseOut(side, 0, 0.0, float("nan"), bp)
    vwap = sum(f.price * f.qty for f in result.fills) / filled
    return CloseOut(
        side, filled, filled * float(ledger.lot[contract]), exchange.price_of(contract, vwap), bp
    )


def log_closeout(
    events: EventLog,
    kind: str,
    t: float,
    account: int,
    contract: int,
    close: CloseOut,
    mark: np.ndarray,
    **values: object,
) -> None:
    """Record a close-out's fills as one event of ``kind`` (liquidation or offload)."""
    events.add(
        kind,
        t,
        account,
        contract,
        side=close.side,
        qty=close.qty,
        notional=close.notional,
        mark_price=float(mark[contract]),
        bankruptcy_price=close.bankruptcy_price,
        fill_price=close.price,
        **values,
    )
