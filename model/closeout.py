"""Closing a position into the book no worse than its bankruptcy price.

Liquidation orders and the insurance fund's offloads are the same order: reduce-only,
immediate-or-cancel (or fill-or-kill), limited at the bankruptcy price of the position so that
the close never takes the account below zero, and without a trading fee. This module sends it
and measures its fills (VWAP); callers log it under their own event kind.

The impact-free ablation (``venue.liquidation.impact = "off_book"``) replaces the order by a
close at the mark against an outside party (a system account standing for a market the book does
not see): the same limit applies (nothing closes when the mark is beyond the bankruptcy price,
as when the book is), so the fund and ADL see the same sequence, but no order moves any price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.events import EventLog
from model.exchange import Exchange
from model.orders import TimeInForce


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
    outside: int | None = None,
) -> CloseOut:
    """Send a reduce-only order for ``lots`` of the account's position, limited at its
    bankruptcy price (rounded to the tick on the safe side), with no fee; the closed share of an
    isolated margin stays behind the rest of the position. With ``outside`` (an account), close
    at the mark against it instead, when the mark is within the same limit."""
    ledger = exchange.ledger
    held = int(ledger.lots[account, contract])
    side = 1 if held > 0 else -1
    bp = ledger.bankruptcy_price(account, contract, mark)
    if outside is not None:
        return _close_at_mark(
            exchange, account, contract, min(lots, abs(held)), side, bp, mark, outside
        )
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


def _close_at_mark(
    exchange: Exchange,
    account: int,
    contract: int,
    lots: int,
    side: int,
    bp: float,
    mark: np.ndarray,
    outside: int,
) -> CloseOut:
    """The impact-free close: ``lots`` move to ``outside`` at the mark, or nothing when the mark
    is beyond the bankruptcy price (the close would take the account below zero)."""
    ledger = exchange.ledger
    price = float(mark[contract])
    if lots <= 0 or side * (price - bp) < 0:
        return CloseOut(side, 0, 0.0, float("nan"), bp)
    ledger.transfer_position(account, outside, contract, side * lots, price)
    return CloseOut(side, lots, lots * float(ledger.lot[contract]), price, bp)
