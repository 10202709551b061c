"""The exchange: order books and the ledger joined by order entry and fill settlement.

Traders, the liquidation engine, the insurance fund and ADL all trade through here, so every
trade is checked and settled the same way: order entry validates the account and contract,
checks initial margin on the tier of the resulting notional, matches on the contract's book, and
books both sides of each fill in the ledger with the venue's maker and taker fees.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from model.ledger import Ledger
from model.orderbook import OrderBook
from model.orders import InvalidOrder, OrderResult, OrderStatus, TimeInForce, tick_rounder
from model.tiers import TierTable


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """What the exchange needs to list a perpetual contract."""

    symbol: str
    tick_size: float
    lot_size: float
    tiers: TierTable


class Exchange:
    """Order entry, matching and settlement for every listed contract.

    Args:
        contracts: the listed contracts, in index order.
        maker_fee: fee rate charged to the resting side of a fill (negative = rebate).
        taker_fee: fee rate charged to the incoming side of a fill.
        ledger: an existing ledger to settle into; a new one is made when None.
    """

    def __init__(
        self,
        contracts: Sequence[ContractSpec],
        maker_fee: float = 0.0002,
        taker_fee: float = 0.0005,
        ledger: Ledger | None = None,
    ) -> None:
        if not contracts:
            raise ValueError("contracts: at least one contract is required")
        self.contracts = list(contracts)
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee
        self.books = [OrderBook(tick_size=c.tick_size, lot_size=c.lot_size) for c in self.contracts]
        self.ledger = ledger or Ledger(
            [c.lot_size for c in self.contracts],
            [c.tiers for c in self.contracts],
            maker_fee=maker_fee,
            taker_fee=taker_fee,
        )
        self.mark = np.array([np.nan] * len(self.contracts))
        # Traded base volume per contract since the last `reset_volume` (for the recorder).
        self.volume = np.zeros(len(self.contracts))
        # the same, signed by the taker's side (buys positive): the step's order-flow imbalance
        self.signed_volume = np.zeros(len(self.contracts))
        # the whole of the previous count (the tape of the last step, for traders who read it)
        self.last_signed_volume = np.zeros(len(self.contracts))
        # accounts that ever sent a reduce-only order that could rest: only their resting
        # orders need trimming after a fill (a scan of every maker's ladder otherwise)
        self._reduce_only_owners: set[int] = set()
        self._n = len(self.contracts)
        # plain floats: the unit conversions run for every order, and Python arithmetic on
        # floats is several times cheaper than on NumPy scalars
        self._tick_size = [float(c.tick_size) for c in self.contracts]
        self._lot_size = [float(c.lot_size) for c in self.contracts]

    # ---- unit conversion -------------------------------------------------------------------
    def to_ticks(self, contract: int, price: float) -> int:
        """Nearest tick of a USDT price (at least one tick).

        Raises:
            ValueError: an unknown contract, or a price that is not a finite number > 0.
        """
        # `type(...) is int` and the range: a plain contract index, checked inline (hot path)
        if not (
            type(contract) is int
            and 0 <= contract < self._n
            and type(price) is float
            and 0.0 < price < math.inf
        ):
            self._check_contract(contract)  # the slow, thorough check (agents pass plain floats)
            _check_amount("price", price, positive=True)
        return max(1, round(price / self._tick_size[contract]))

    def tick_rounder(self, contract: int) -> Callable[[float], int]:
        """`to_ticks` of one contract without its checks (`model.orders.tick_rounder`)."""
        self._check_contract(contract)
        return tick_rounder(self._tick_size[contract])

    def to_lots(self, contract: int, qty: float) -> int:
        """Whole lots in a base quantity, rounded down.

        Raises:
            ValueError: an unknown contract, or a quantity that is negative or not finite
                (sizes are absolute; the side of an order is given separately).
        """
        if not (
            type(contract) is int
            and 0 <= contract < self._n
            and type(qty) is float
            and 0.0 <= qty < math.inf
        ):
            self._check_contract(contract)
            _check_amount("qty", qty, positive=False)
        return int(qty / self._lot_size[contract] + 1e-9)

    def price_of(self, contract: int, ticks: float) -> float:
        """USDT price of a tick count.

        Raises:
            ValueError: an unknown contract, or a tick count that is negative or not finite.
        """
        if not (
            type(contract) is int and 0 <= contract < self._n and type(ticks) is int and ticks >= 0
        ):
            self._check_contract(contract)
            _check_amount("ticks", ticks, positive=False)
        return float(ticks * self._tick_size[contract])

    def _check_contract(self, contract: int) -> None:
        if (
            isinstance(contract, bool)
            or not isinstance(contract, int | np.integer)
            or not 0 <= contract < len(self.books)
        ):
            raise InvalidOrder(f"contract must be 0..{len(self.books) - 1}, got {contract!r}")

    # ---- order entry -----------------------------------------------------------------------
    def submit(
        self,
        account: int,
        contract: int,
        side: int,
        lots: int,
        price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        *,
        post_only: bool = False,
        reduce_only: bool = False,
        check_margin: bool = True,
        fee_rate: float | None = None,
        release_margin: bool = True,
    ) -> OrderResult:
        """Enter an order for an account after checking every field; fills are settled before
        this returns. The public door: the model's own agents use `send` (see below).

        Args:
            account: ledger row of the owner.
            contract: index of the contract.
            side: +1 buy, -1 sell.
            lots: size in lots.
            price: limit in ticks; None for a market order (IOC or FOK).
            tif: time in force.
            post_only: reject instead of taking liquidity.
            reduce_only: never increase the position (clipped to it).
            check_margin: skip the initial-margin check (liquidation and ADL orders).
            fee_rate: taker fee override for this order (None = the venue's taker fee).
            release_margin: release the closed share of isolated margin to the wallet (False
                for liquidation orders, which leave it behind the remaining position).

        Returns:
            The book's result; status REJECTED with a reason when margin is insufficient.

        Raises:
            InvalidOrder: (a ValueError) unknown account or contract, a side other than ±1, a
                size that is not a whole number of lots > 0, a price that is not a whole number
                of ticks > 0 (NaN included), or an order the book rejects as invalid. Checked
                before anything changes.
        """
        self._check_contract(contract)
        if (
            isinstance(account, bool)
            or not isinstance(account, int | np.integer)
            or not 0 <= account < self.ledger.n_accounts
        ):
            raise InvalidOrder(
                f"owner must be an open account 0..{self.ledger.n_accounts - 1}, got {account!r}"
            )
        if side not in (1, -1) or isinstance(side, bool):
            raise InvalidOrder(f"side must be +1 (buy) or -1 (sell), got {side!r}")
        if isinstance(lots, bool) or not isinstance(lots, int | np.integer) or lots <= 0:
            raise InvalidOrder(f"lots must be a whole number of lots > 0, got {lots!r}")
        if price is not None and (
            isinstance(price, bool) or not isinstance(price, int | np.integer) or price <= 0
        ):
            raise InvalidOrder(
                f"price must be a whole number of ticks > 0 (to_ticks converts USDT), got {price!r}"
            )
        if fee_rate is not None and not (isinstance(fee_rate, int | float) and -1 < fee_rate < 1):
            raise InvalidOrder(f"fee_rate must be a finite rate in (-1, 1), got {fee_rate!r}")
        # account, side, lots and price are checked above; the kind of order is the book's
        OrderBook.validate_kind(price, tif, post_only)
        return self.send(
            int(account),
            int(contract),
            int(side),
            int(lots),
            None if price is None else int(price),
            tif,
            post_only=post_only,
            reduce_only=reduce_only,
            check_margin=check_margin,
            fee_rate=fee_rate,
            release_margin=release_margin,
        )

    def send(
        self,
        account: int,
        contract: int,
        side: int,
        lots: int,
        price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        *,
        post_only: bool = False,
        reduce_only: bool = False,
        check_margin: bool = True,
        fee_rate: float | None = None,
        release_margin: bool = True,
    ) -> OrderResult:
        """`submit` for orders that are well formed by construction (the model's own agents,
        the liquidation engine): the same margin check, matching and settlement, without the
        field checks. Arguments as for `submit`; lots > 0, side ±1, price > 0 ticks or None."""
        book = self.books[contract]
        # a post-only order never changes a position on entry, and resting orders reserve no
        # margin (README, Limitations), so it has nothing to check
        if reduce_only and tif == TimeInForce.GTC:
            self._reduce_only_owners.add(account)
        if check_margin and not reduce_only and not post_only:
            ref = price if price is not None else _reference_ticks(book, side)
            if ref is not None:
                # `price_of` without its checks: ``ref`` is a tick of this book
                price_usdt = float(ref * self._tick_size[contract])
                reason = self.ledger.check_initial_margin(
                    account, contract, side * lots, price_usdt, self.mark
                )
                if reason:
                    return OrderResult.rejected(lots, reason)
        result = book.enter(
            account,
            side,
            lots,
            price,
            tif,
            post_only,
            reduce_only,
            int(self.ledger.lots[account, contract]) if reduce_only else None,
        )
        if result.fills:
            self._settle(
                contract,
                result,
                self.taker_fee if fee_rate is None else fee_rate,
                release_margin,
            )
        return result

    def post(self, account: int, contract: int, side: int, lots: int, price: int) -> int:
        """Rest a post-only quote (lots > 0, price in ticks); its order id, 0 if it would take.

        Quotes cannot trade on entry and resting orders reserve no margin, so there is nothing
        to settle or check: the market makers' path."""
        return self.books[contract].post(account, side, lots, price)

    def market(
        self, account: int, contract: int, side: int, lots: int, **kw: object
    ) -> OrderResult:
        """Shorthand for an immediate-or-cancel market order (through `submit`)."""
        return self.submit(account, contract, side, lots, None, TimeInForce.IOC, **kw)  # type: ignore[arg-type]

    def cancel_all(self, account: int) -> int:
        """Cancel every resting order of an account on every book; returns how many."""
        return sum(len(book.cancel_owner(account)) for book in self.books)

    @property
    def messages(self) -> int:
        """Book messages so far (entries, cancels and amends on every book)."""
        return sum(book.messages for book in self.books)

    # ---- settlement ------------------------------------------------------------------------
    def _settle(
        self, contract: int, result: OrderResult, taker_fee: float, release_margin: bool
    ) -> None:
        ledger = self.ledger
        tick = self._tick_size[contract]
        lot = self._lot_size[contract]
        maker_fee = self.maker_fee
        # the volume is added fill by fill, in plain floats, and stored once (the same sums)
        volume = self.volume.item(contract)
        signed_volume = self.signed_volume.item(contract)
        touched: set[int] = set()
        for fill in result.fills:
            price = fill.price * tick
            signed = fill.taker_side * fill.qty
            ledger.apply_fill(fill.maker_owner, contract, -signed, price, maker_fee)
            ledger.apply_fill(
                fill.taker_owner, contract, signed, price, taker_fee, release_margin=release_margin
            )
            volume += fill.qty * lot
            signed_volume += signed * lot
            touched.add(fill.maker_owner)
        self.volume[contract] = volume
        self.signed_volume[contract] = signed_volume
        touched.add(result.fills[0].taker_owner)
        if self._reduce_only_owners:
            self._trim_reduce_only(contract, touched & self._reduce_only_owners)

    def _trim_reduce_only(self, contract: int, accounts: set[int]) -> None:
        """Shrink resting reduce-only orders that now exceed the position they reduce."""
        book = self.books[contract]
        for account in accounts:
            position = int(self.ledger.lots[account, contract])
            room = abs(position)
            for order_id in book.orders_of(account):
                order = book.get(order_id)
                if order is None or not order.reduce_only:
                    continue
                if position == 0 or order.side == np.sign(position) or room == 0:
                    book.cancel(order_id)
                elif order.qty > room:
                    book.resize(order_id, room)
                    room = 0
                else:
                    room -= order.qty

    def reset_volume(self) -> None:
        """Start a new volume count (the recorder calls this each step)."""
        self.last_signed_volume[:] = self.signed_volume
        self.volume[:] = 0.0
        self.signed_volume[:] = 0.0

    def resting_status(self, result: OrderResult) -> bool:
        """True when some of the order rests on the book."""
        return result.status in (OrderStatus.RESTING, OrderStatus.PARTIAL_RESTING)


def _check_amount(name: str, value: float, *, positive: bool) -> None:
    number = int | float | np.integer | np.floating
    if isinstance(value, bool) or not isinstance(value, number) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '≥ 0'}, got {value!r}")


def _reference_ticks(book: OrderBook, side: int) -> int | None:
    """Price a market order is checked at: the opposite best quote, else the last trade."""
    best = book.best_ask() if side > 0 else book.best_bid()
    return best if best is not None else book.last_price
