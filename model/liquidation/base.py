"""What a liquidation style is given: the moment, the breached position and a narrow gateway.

A venue's style decides *how much* of a position to close and *in what order* (an IOC order, a
tier step-down, a slice, a takeover); the engine (`model.liquidation.engine`) owns *how* each of
those is done against the exchange, the ledger and the insurance fund. Styles therefore see only
`Moment`, a live `Position` and the `LiquidationOps` gateway, never the engine or the exchange,
so the engine can import the styles without the styles importing it back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from model.ledger import Ledger
from model.orderbook import OrderBook
from model.orders import TimeInForce
from model.tiers import TierTable
from model.venue import LiquidationRules


@dataclass(frozen=True, slots=True)
class Moment:
    """What a liquidation needs to know about now: the time, this step's mark prices and the
    previous index (oracle) prices, Hyperliquid's ADL price."""

    t: float
    mark: np.ndarray
    prev_index: np.ndarray


class Position:
    """One account's position on one contract, read live from the ledger: it shrinks as the
    style's orders fill, so a style asks again after every order rather than keeping a copy.

    Args:
        ledger: the ledger holding the position.
        account: the account being liquidated.
        contract: the contract of the breached position.
    """

    __slots__ = ("_ledger", "account", "contract")

    def __init__(self, ledger: Ledger, account: int, contract: int) -> None:
        self._ledger = ledger
        self.account = account
        self.contract = contract

    @property
    def held(self) -> int:
        """Signed lots held now (positive long, negative short, 0 once closed)."""
        return int(self._ledger.lots[self.account, self.contract])

    @property
    def lot(self) -> float:
        """Base units per lot of the contract."""
        return float(self._ledger.lot[self.contract])

    @property
    def tiers(self) -> TierTable:
        """The contract's margin tiers."""
        return self._ledger.tiers[self.contract]

    def tier_index(self, mark: np.ndarray) -> int:
        """Index of the tier holding the position's notional at the mark."""
        ledger = self._ledger
        notional = ledger.notional(mark, np.array([self.account]))[0, self.contract]
        return int(ledger.tiers[self.contract].index_of(notional))

    def lots_within(self, notional: float, mark: np.ndarray) -> int:
        """Most lots whose notional at the mark stays within ``notional``."""
        lot_value = self._ledger.lot[self.contract] * mark[self.contract]
        return max(0, math.floor(notional / lot_value + 1e-9))


class LiquidationOps(Protocol):
    """The engine's actions and queries a style may use (the engine's gateway implements it).

    Before a style runs, the engine has already cancelled every resting order of the account.
    """

    @property
    def rules(self) -> LiquidationRules:
        """The venue's liquidation rules (clearance fee, slices, cooldown, backstop)."""
        ...

    def pool_state(self, position: Position, mark: np.ndarray) -> tuple[float, float]:
        """(margin balance, maintenance margin) of the pool the position draws on."""
        ...

    def breached(self, position: Position, mark: np.ndarray) -> bool:
        """Position open and its pool at or below maintenance margin."""
        ...

    def book(self, contract: int) -> OrderBook:
        """The contract's order book (read-only for a style: it trades through the gateway)."""
        ...

    def tick_size(self, contract: int) -> float:
        """Price of one tick of the contract's book."""
        ...

    def reduce_at_market(
        self, position: Position, lots: int, tif: TimeInForce, step: str, now: Moment
    ) -> int:
        """Reduce-only order for ``lots`` limited at the bankruptcy price; lots filled."""
        ...

    def close_out(
        self, position: Position, order_step: str, takeover_step: str, now: Moment, *, fee: bool
    ) -> None:
        """Close the whole position: an IOC order into the book, the rest taken over."""
        ...

    def takeover(self, position: Position, step: str, now: Moment, *, fee: bool) -> None:
        """The fund (or ADL) takes the whole position over at the bankruptcy price."""
        ...


class Style:
    """A venue's liquidation sequence for one breached position (`model.liquidation.styles`).
    Styles that remember something between steps (Hyperliquid's cooldown) keep it themselves."""

    def liquidate(self, ops: LiquidationOps, position: Position, now: Moment) -> None:
        """Liquidate one position."""
        raise NotImplementedError


class FunctionStyle(Style):
    """A stateless style given as a function."""

    def __init__(self, function: Callable[[LiquidationOps, Position, Moment], None]) -> None:
        self.function = function

    def liquidate(self, ops: LiquidationOps, position: Position, now: Moment) -> None:
        self.function(ops, position, now)
