"""Spot markets: the venues whose prices make up the index.

Each contract's underlying trades on a few spot venues, each a limit order book like the
perpetual's (`model.orderbook.OrderBook`). Spot trading only swaps coins for cash: no leverage,
no margin, no liquidation. Accounts hold cash (USDT) and coins of every underlying in NumPy
arrays; both may go below zero only when an agent's own limits allow it (the market does not
lend), so the audit checks that cash and coins are conserved, which they are by construction of
each fill.

The perpetual's liquidations reach these books through the basis arbitrageurs, who sell spot
against the perpetuals they buy from liquidations: that is how forced selling on the derivative
moves the index that marks it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model.orderbook import OrderBook
from model.orders import OrderResult, TimeInForce, tick_rounder

CONSERVATION_TOLERANCE = 1e-6  # relative


class SpotMarkets:
    """Every spot venue of every underlying, and the spot accounts.

    Args:
        ticks: tick size (USDT) of each underlying.
        lots: lot size (coins) of each underlying.
        n_venues: venues per underlying.
        wide_spread: spread (a fraction of the mid) beyond which a venue's price for the index
            is its last trade held inside the spread instead of its mid (see `price`).
    """

    def __init__(
        self, ticks: list[float], lots: list[float], n_venues: int, wide_spread: float = 0.01
    ) -> None:
        if n_venues < 1:
            raise ValueError(f"a spot market needs at least one venue, got {n_venues}")
        if not wide_spread >= 0.0:
            raise ValueError(f"wide_spread must be >= 0, got {wide_spread}")
        self.wide_spread = float(wide_spread)
        self.n_contracts = len(ticks)
        self.n_venues = n_venues
        self.tick = [float(t) for t in ticks]
        self.lot = [float(q) for q in lots]
        self.books = [
            [OrderBook(t, q) for _ in range(n_venues)] for t, q in zip(ticks, lots, strict=True)
        ]
        self.cash = np.zeros(0)
        self.coins = np.zeros((0, self.n_contracts))
        self.deposited_cash = 0.0
        self.deposited_coins = np.zeros(self.n_contracts)

    # ---- accounts ------------------------------------------------------------------------------
    def open_account(self, cash: float, coins: list[float] | np.ndarray | None = None) -> int:
        """A spot account with a first deposit of cash and coins; returns its row."""
        row = self.cash.size
        held = np.zeros(self.n_contracts) if coins is None else np.asarray(coins, dtype=float)
        self.cash = np.append(self.cash, 0.0)
        self.coins = np.vstack([self.coins, np.zeros(self.n_contracts)])
        self.deposit(row, cash, held)
        return row

    def deposit(
        self, account: int, cash: float = 0.0, coins: list[float] | np.ndarray | None = None
    ) -> None:
        """New money or coins brought to the spot venues from outside the model."""
        self.cash[account] += cash
        self.deposited_cash += cash
        if coins is not None:
            held = np.asarray(coins, dtype=float)
            self.coins[account] += held
            self.deposited_coins += held

    # ---- orders --------------------------------------------------------------------------------
    def send(
        self,
        account: int,
        contract: int,
        venue: int,
        side: int,
        lots: int,
        price: int | None = None,
        tif: TimeInForce = TimeInForce.IOC,
    ) -> OrderResult:
        """An order on one venue (lots > 0, price in ticks or None for market); fills settle at
        once as coins against cash."""
        result = self.books[contract][venue].enter(account, side, lots, price, tif)
        if result.fills:
            tick, lot = self.tick[contract], self.lot[contract]
            cash, coins = self.cash, self.coins
            for fill in result.fills:
                qty = fill.taker_side * fill.qty * lot
                value = qty * fill.price * tick
                coins[fill.taker_owner, contract] += qty
                cash[fill.taker_owner] -= value
                coins[fill.maker_owner, contract] -= qty
                cash[fill.maker_owner] += value
        return result

    def to_ticks(self, contract: int, price: float) -> int:
        """A USDT price as whole ticks of the underlying's spot books (at least one)."""
        return max(1, round(price / self.tick[contract]))

    def tick_rounder(self, contract: int) -> Callable[[float], int]:
        """`to_ticks` of one underlying as a function of the price alone, without a call
        through this object (`model.orders.tick_rounder`)."""
        return tick_rounder(self.tick[contract])

    def post(self, account: int, contract: int, venue: int, side: int, lots: int, tick: int) -> int:
        """Rest a post-only quote; its order id, 0 if it would take liquidity."""
        return self.books[contract][venue].post(account, side, lots, tick)

    def cancel_all(self, account: int) -> int:
        """Cancel every resting order of an account on every venue."""
        return sum(len(book.cancel_owner(account)) for books in self.books for book in books)

    # ---- prices --------------------------------------------------------------------------------
    def price(self, contract: int, venue: int) -> float | None:
        """A venue's price for the index: its mid while its spread is narrow, else its last
        trade held inside the spread.

        Index providers read either each source's mid or its latest price (Binance's index
        takes the latest price). A mid is the steadier of the two while a venue quotes both
        sides closely, but when a fast market takes one side, the best quote left there can
        be a stale order several percent away, and the mid between it and the other side is no
        price anybody traded at. So a venue whose spread is wider than ``wide_spread`` of its
        mid gives median(best bid, best ask, last): its last trade, brought to the nearest
        quote if the book has moved away from it (the form Hyperliquid's mark takes of a
        book, spec §6). A book with one side gives its last trade held on that side; a venue
        that never traded gives its mid, or None when it has one side or none.
        """
        book = self.books[contract][venue]
        bid, ask, last = book.best_bid(), book.best_ask(), book.last_price
        if (
            bid is not None
            and ask is not None
            and (last is None or ask - bid <= self.wide_spread * (ask + bid) / 2.0)
        ):
            return (bid + ask) / 2.0 * self.tick[contract]
        if last is None:
            return None
        if ask is not None and last > ask:
            last = ask
        if bid is not None and last < bid:
            last = bid
        return last * self.tick[contract]

    def prices(self, contract: int) -> list[float | None]:
        """Every venue's price for one underlying."""
        return [self.price(contract, v) for v in range(self.n_venues)]

    def best(self, contract: int, side: int) -> tuple[int, float] | None:
        """The venue with the best price to trade against for a ``side`` order (+1: the lowest
        ask, −1: the highest bid) and that price in USDT; None when no venue quotes it."""
        found: tuple[int, float] | None = None
        for v, book in enumerate(self.books[contract]):
            ticks = book.best_ask() if side > 0 else book.best_bid()
            if ticks is None:
                continue
            price = ticks * self.tick[contract]
            if found is None or (price < found[1] if side > 0 else price > found[1]):
                found = (v, price)
        return found

    @property
    def messages(self) -> int:
        """Book messages on every spot venue so far."""
        return sum(book.messages for books in self.books for book in books)

    # ---- audit ---------------------------------------------------------------------------------
    def audit(self) -> list[str]:
        """Broken spot invariants: cash or coins created or destroyed by trading."""
        problems = []
        cash_error = abs(self.cash.sum() - self.deposited_cash) / max(1.0, self.deposited_cash)
        if cash_error > CONSERVATION_TOLERANCE:
            problems.append(f"spot cash not conserved: relative error {cash_error:.3e}")
        for c in range(self.n_contracts):
            held, put_in = self.coins[:, c].sum(), self.deposited_coins[c]
            if abs(held - put_in) > CONSERVATION_TOLERANCE * max(1.0, put_in):
                problems.append(f"spot coins of contract {c} not conserved: {held} vs {put_in}")
        return problems
