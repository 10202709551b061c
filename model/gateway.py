"""How a trader acts on the market: an order gateway bound to its own account.

Every order, quote, amendment, cancel and transfer a trader makes goes through its gateway
(`OrderGateway` on the perpetuals' exchange, `SpotGateway` on the spot venues). The gateway
knows the account, so a trader cannot act for another; it forwards to the exchange, which
checks margin, matches and settles at once (orders are not agents).

Quoters, who keep ladders of resting orders and touch them every step, get a `QuotePort` per
book: post-only quotes, cancels and in-place size cuts, and the reads their ladder needs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from model.orderbook import Order, OrderBook, OrderResult, TimeInForce

if TYPE_CHECKING:
    import numpy as np

    from model.market import Market
    from model.spot import SpotMarkets
    from model.view import MarketView

__all__ = [
    "MarketAccess",
    "OrderGateway",
    "OrderResult",
    "QuotePort",
    "SpotGateway",
    "TimeInForce",
]


class QuotePort:
    """One account's quoting on one book: post-only quotes, cancels, in-place size cuts, and
    the reads a ladder needs (its orders, the book's count of edits to them).

    Each attribute is the book's own method, looked up when read (a ladder reads them once per
    amend and then calls them directly: quoting is on every step's path, so no wrapper frame
    per message), with ``post`` bound to the port's owner.

    Args:
        book: the book.
        owner: the account (on the perpetuals' exchange or a spot venue) that owns the quotes.
    """

    __slots__ = ("_book", "owner")

    def __init__(self, book: OrderBook, owner: int) -> None:
        self._book = book
        self.owner = owner

    @property
    def post(self) -> Callable[[int, int, int], int]:
        """``post(side, lots, tick)``: rest a post-only quote; its order id, 0 if it would
        take liquidity."""
        return partial(self._book.post, self.owner)

    @property
    def cancel(self) -> Callable[[int], bool]:
        """``cancel(order_id)``: cancel a resting order; False if it was gone."""
        return self._book.cancel

    @property
    def reduce(self) -> Callable[[Order, int], None]:
        """``reduce(order, lots)``: cut a resting order in place (it keeps its priority)."""
        return self._book.reduce

    @property
    def get(self) -> Callable[[int], Order | None]:
        """``get(order_id)``: a resting order by id (None once filled or cancelled)."""
        return self._book.get

    @property
    def edit_counts(self) -> Callable[[int], dict[int, int]]:
        """``edit_counts(side)``: the book's count of edits to each owner's orders."""
        return self._book.edit_counts


class OrderGateway:
    """Orders and transfers of one exchange account.

    Args:
        market: the market.
        account: the account the gateway acts for.
    """

    def __init__(self, market: Market, account: int) -> None:
        self.account = account
        self._exchange = market.exchange
        self._ledger = market.ledger
        self._ports: dict[int, QuotePort] = {}

    def send(
        self,
        contract: int,
        side: int,
        lots: int,
        price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        *,
        post_only: bool = False,
        reduce_only: bool = False,
    ) -> OrderResult:
        """An order of ``lots`` (> 0) on ``side`` (±1) at ``price`` ticks (None: market),
        through the exchange's margin check, matching and settlement."""
        return self._exchange.send(
            self.account,
            contract,
            side,
            lots,
            price,
            tif,
            post_only=post_only,
            reduce_only=reduce_only,
        )

    def post(self, contract: int, side: int, lots: int, price: int) -> int:
        """Rest a post-only quote at ``price`` ticks; its order id, 0 if it would take."""
        return self._exchange.post(self.account, contract, side, lots, price)

    def quotes(self, contract: int) -> QuotePort:
        """The account's quoting port on ``contract``'s book."""
        port = self._ports.get(contract)
        if port is None:
            port = self._ports[contract] = QuotePort(self._exchange.books[contract], self.account)
        return port

    def amend(self, contract: int, order: Order, lots: int) -> None:
        """Cut a resting order to ``lots`` in place (keeping its queue priority)."""
        self._exchange.books[contract].reduce(order, lots)

    def cancel(self, contract: int, order_id: int) -> bool:
        """Cancel one resting order; False if it was gone."""
        return self._exchange.books[contract].cancel(order_id)

    def cancel_all(self) -> int:
        """Cancel every resting order of the account; returns how many."""
        return self._exchange.cancel_all(self.account)

    # ---- transfers across the exchange's boundary ----------------------------------------------
    def deposit(self, amount: float) -> None:
        """Pay ``amount`` USDT in from outside the exchange (a reserve, new capital)."""
        self._ledger.deposit(self.account, amount)

    def withdraw(self, amount: float) -> None:
        """Take ``amount`` USDT out of the exchange."""
        self._ledger.withdraw(self.account, amount)

    def transfer(self, contract: int, amount: float) -> None:
        """Move ``amount`` USDT from the wallet into the isolated margin of ``contract``."""
        self._ledger.add_isolated_margin(self.account, contract, amount)


class SpotGateway:
    """Orders and transfers of one spot account.

    Args:
        spot: the spot markets.
        account: the spot account the gateway acts for.
    """

    def __init__(self, spot: SpotMarkets, account: int) -> None:
        self.account = account
        self._spot = spot
        self._ports: dict[tuple[int, int], QuotePort] = {}

    def send(
        self,
        contract: int,
        venue: int,
        side: int,
        lots: int,
        price: int | None,
        tif: TimeInForce = TimeInForce.GTC,
    ) -> OrderResult:
        """An order on ``venue``'s book of ``contract``'s underlying (price in ticks, None:
        market)."""
        return self._spot.send(self.account, contract, venue, side, lots, price, tif)

    def quotes(self, contract: int, venue: int) -> QuotePort:
        """The account's quoting port on one spot book."""
        port = self._ports.get((contract, venue))
        if port is None:
            book = self._spot.books[contract][venue]
            port = self._ports[(contract, venue)] = QuotePort(book, self.account)
        return port

    def cancel_all(self) -> int:
        """Cancel every resting order of the account on every spot book."""
        return self._spot.cancel_all(self.account)

    def deposit(self, cash: float, coins: list[float]) -> None:
        """Pay cash and coins in from outside."""
        self._spot.deposit(self.account, cash, coins)


class MarketAccess:
    """What a population's builders are given: the view, accounts to open (each with its
    gateway), positions to put in place off the book before the run, and the leverage caps.

    Args:
        market: the market.
        view: the market's view.
        leverage_cap: the most leverage a trader may use (scenario and venue).
        provider_leverage_cap: the same for market makers and arbitrageurs.
    """

    def __init__(
        self, market: Market, view: MarketView, leverage_cap: float, provider_leverage_cap: float
    ) -> None:
        self._market = market
        self.view = view
        self.leverage_cap = leverage_cap
        self.provider_leverage_cap = provider_leverage_cap

    def open_account(
        self, capital: float, isolated: bool = False, leverage: float = 10.0
    ) -> OrderGateway:
        """A new exchange account with ``capital`` USDT deposited; its gateway."""
        account = self._market.open_account(capital, isolated=isolated, leverage=leverage)
        return OrderGateway(self._market, account)

    def open_spot_account(self, cash: float, coins: list[float]) -> SpotGateway:
        """A new spot account holding ``cash`` USDT and ``coins`` of each underlying."""
        spot = self._market.spot
        if spot is None:
            raise ValueError("this market has no spot venues (index.mode is not 'spot')")
        return SpotGateway(spot, spot.open_account(cash, coins))

    def transfer_position(
        self, source: int, target: int, contract: int, lots: int, entry: float
    ) -> None:
        """Put a starting position in place off the book (`Market.transfer_position`)."""
        self._market.transfer_position(source, target, contract, lots, entry)

    def initial_prices(self) -> np.ndarray:
        """The index of every contract now (before a run: the contracts' initial prices)."""
        return self._market.index_price.copy()
