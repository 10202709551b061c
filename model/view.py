"""What a trader may see of the market: a read-only view.

Agents receive a `MarketView` each step (`Trader.act(view, gateway)`). It reads the market's
live state (nothing is copied per step) and offers only reading methods: the mark, the index,
funding, each book's best prices, depth and last trade, the signed flow of the step so far,
contract facts (ticks, lots, tier caps), the spot venues' quotes, and accounts: a trader's own
(`AccountView`, positions, balance, margin ratio, ADL rank) and, for a crowd of many accounts
decided at once, array slices of that crowd's own accounts (`CrowdAccounts`).

Arrays the view returns are the market's own (prices) or fresh results (account reads); a
trader never writes to them: orders go through `model.gateway`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import pools
from model.orderbook import OrderBook

if TYPE_CHECKING:
    from model.market import Market
    from model.spot import SpotMarkets


class BookView:
    """One order book, read only: best prices and sizes in ticks and lots, as the book keeps
    them (the contract's ``tick_size`` and ``lot_size`` turn them into USDT and coins)."""

    __slots__ = (
        "_book",
        "best_ask",
        "best_bid",
        "depth",
        "depth_within",
        "edit_counts",
        "get",
        "impact_price",
        "lot_size",
        "mid",
        "orders_of",
        "tick_size",
    )

    def __init__(self, book: OrderBook) -> None:
        self._book = book
        # the book's own bound readers: a view costs nothing per call
        self.best_bid = book.best_bid
        self.best_ask = book.best_ask
        self.mid = book.mid
        self.depth = book.depth
        self.depth_within = book.depth_within
        self.impact_price = book.impact_price
        self.edit_counts = book.edit_counts
        self.get = book.get
        self.orders_of = book.orders_of
        self.tick_size = book.tick_size
        self.lot_size = book.lot_size

    @property
    def last_price(self) -> int | None:
        """Tick of the last trade (None before the first)."""
        return self._book.last_price


class AccountView:
    """One exchange account, read only (a trader's own).

    Args:
        market: the market.
        account: the account's index.
    """

    __slots__ = ("_ledger", "_market", "account")

    def __init__(self, market: Market, account: int) -> None:
        self._market = market
        self._ledger = market.ledger
        self.account = account

    def position(self, contract: int = 0) -> int:
        """Signed position in lots."""
        return self._ledger.lots.item(self.account, contract)

    def positions(self) -> list[int]:
        """Signed position in lots on every contract."""
        return self._ledger.lots[self.account].tolist()

    def has_position(self) -> bool:
        """True while the account holds a position on any contract."""
        return bool(self._ledger.lots[self.account].any())

    @property
    def wallet(self) -> float:
        """Wallet balance (USDT)."""
        return float(self._ledger.wallet[self.account])

    def entry(self, contract: int = 0) -> float:
        """Entry price of the position on ``contract`` (USDT)."""
        return float(self._ledger.entry[self.account, contract])

    def leverage(self, contract: int = 0) -> float:
        """The leverage that sets the initial margin of a position on ``contract``: the
        account's, capped by the contract's first tier."""
        return self._ledger.leverage.item(self.account, contract)

    def isolated(self, contract: int = 0) -> bool:
        """True when the position on ``contract`` is margined in isolation."""
        return bool(self._ledger.isolated[self.account, contract])

    def notional(self, mark: np.ndarray | None = None) -> float:
        """Summed absolute notional of the account's positions on ``mark`` (default the mark)."""
        mark = self._market.mark if mark is None else mark
        return float(abs(self._ledger.notional(mark, [self.account])).sum())  # type: ignore[arg-type]

    def available_balance(self) -> float:
        """What the account could withdraw or put up as new initial margin now (USDT)."""
        return self._ledger.available_balance(self.account, self._market.mark)

    @property
    def cross_equity(self) -> float:
        """Equity of the cross pool at the last risk check (USDT)."""
        return float(self._market.risk.cross_equity[self.account])

    @property
    def margin_ratio(self) -> float:
        """Maintenance margin over margin balance at the last risk check (1 = liquidation)."""
        return float(self._market.risk.margin_ratio[self.account])

    def adl_rank(self, contract: int = 0) -> int:
        """The account's ADL lights on ``contract`` (1–5 queue quintile; 0 when not queued)."""
        side = 1 if self.position(contract) > 0 else -1
        accounts, lights = self._market.liquidator.adl.lights(contract, side, self._market.mark)
        hit = np.flatnonzero(accounts == self.account)
        return int(lights[hit[0]]) if hit.size else 0


class CrowdAccounts:
    """Array reads over the accounts of one crowd of traders decided at once (the leveraged
    crowd's defences and rebalancing, value funds' flows): the crowd reads its own rows.

    Args:
        market: the market.
        accounts: the crowd's accounts (its slots' order).
    """

    def __init__(self, market: Market, accounts: np.ndarray) -> None:
        self._market = market
        self._ledger = market.ledger
        self.accounts = accounts

    def positions(self, rows: np.ndarray | None, contracts: np.ndarray) -> np.ndarray:
        """Signed lots of the crowd's slots ``rows`` (None: every slot) on ``contracts`` (one
        per slot)."""
        accounts = self.accounts if rows is None else self.accounts[rows]
        return self._ledger.lots[accounts, contracts]

    def holding(self) -> np.ndarray:
        """Per slot: holds a position on any contract."""
        return (self._ledger.lots[self.accounts] != 0).any(axis=1)

    def wealth(self) -> np.ndarray:
        """Per slot: wallet plus isolated margins (USDT), what a flat account holds."""
        ledger = self._ledger
        return ledger.wallet[self.accounts] + ledger.iso_margin[self.accounts].sum(axis=1)

    def leverage(self, rows: np.ndarray, contracts: np.ndarray) -> np.ndarray:
        """Leverage setting of the slots ``rows`` on ``contracts``."""
        return self._ledger.leverage[self.accounts[rows], contracts]

    def equity(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Equity on the mark (wallet, isolated margins and UPNL) of slots ``rows`` (all)."""
        accounts = self.accounts if rows is None else self.accounts[rows]
        return pools.account_equities(self._ledger, accounts, self._market.mark)

    def margin_ratio(self) -> np.ndarray:
        """Per slot: margin ratio at the last risk check."""
        return self._market.risk.margin_ratio[self.accounts]


class SpotView:
    """The spot venues, read only: books, best quotes across venues, units.

    Args:
        spot: the spot markets.
    """

    def __init__(self, spot: SpotMarkets) -> None:
        self._spot = spot
        self.n_venues = spot.n_venues
        self.lot = spot.lot
        self.tick = spot.tick
        self.best = spot.best
        self.price = spot.price
        self.prices = spot.prices
        self.to_ticks = spot.to_ticks
        self.tick_rounder = spot.tick_rounder
        self.books = [[BookView(b) for b in row] for row in spot.books]

    def coins(self, account: int, contract: int) -> float:
        """Coins of ``contract``'s underlying held by spot ``account``."""
        return self._spot.coins.item(account, contract)

    def all_coins(self, account: int) -> list[float]:
        """Coins of every underlying held by spot ``account``."""
        return self._spot.coins[account].tolist()

    def cash(self, account: int) -> float:
        """USDT held by spot ``account``."""
        return self._spot.cash.item(account)


class MarketView:
    """The market as every trader may see it.

    Args:
        market: the market.

    Attributes:
        value: the value signal of every underlying, set by the model each step (read it as
            `fundamental`).
    """

    def __init__(self, market: Market) -> None:
        self._market = market
        exchange = market.exchange
        self.n_contracts = market.n_contracts
        self.books = [BookView(b) for b in exchange.books]
        self.spot = None if market.spot is None else SpotView(market.spot)
        self.lot = market.ledger.lot.tolist()
        self.tick = [float(c.tick_size) for c in exchange.contracts]
        self.to_lots = exchange.to_lots
        self.to_ticks = exchange.to_ticks
        self.tick_rounder = exchange.tick_rounder
        self.price_of = exchange.price_of
        self._tiers = market.ledger.tiers
        self.value = market.index_price.copy()  # set by the model each step

    # ---- prices --------------------------------------------------------------------------------

    @property
    def dt(self) -> float:
        """Seconds this step covers."""
        return self._market.dt

    @property
    def time(self) -> float:
        """Seconds since the start of the run, at the start of this step."""
        return self._market.time

    @property
    def mark(self) -> np.ndarray:
        """Mark price of every contract (USDT)."""
        return self._market.mark

    @property
    def index(self) -> np.ndarray:
        """Index price of every contract (USDT)."""
        return self._market.index_price

    @property
    def funding_rate(self) -> np.ndarray:
        """Last settled funding rate of every contract."""
        return self._market.funding_rate

    @property
    def fundamental(self) -> np.ndarray:
        """The value signal of every underlying: news and flows beyond the model. Read today
        by the spot makers, the spot value traders and the value funds."""
        return self.value

    def predicted_funding_rate(self) -> np.ndarray:
        """The funding rate every contract would pay if its interval ended now (published by
        the venues between payments), per payment."""
        return self._market.predicted_funding_rate()

    def funding_interval(self, contract: int) -> float:
        """Seconds between funding payments on ``contract``."""
        return self._market.funding_interval(contract)

    def signed_volume(self, contract: int) -> float:
        """Taker-signed base volume traded on ``contract`` so far this step (buys positive)."""
        return self._market.exchange.signed_volume.item(contract)

    def last_signed_volume(self) -> np.ndarray:
        """Taker-signed base volume traded on every contract in the whole previous step (buys
        positive): the tape a dealer learns from."""
        return self._market.exchange.last_signed_volume

    def prices(self) -> tuple[np.ndarray, np.ndarray]:
        """Mid (else last, else mark) and last (else index) of every contract, in USDT."""
        m = self._market
        mids = np.empty(self.n_contracts)
        last = np.empty(self.n_contracts)
        for c, book in enumerate(m.exchange.books):
            mid = book.mid()
            traded = book.last_price
            tick = book.tick_size
            mids[c] = mid * tick if mid is not None else (traded * tick if traded else m.mark[c])
            last[c] = traded * tick if traded else m.index_price[c]
        return mids, last

    # ---- contracts -----------------------------------------------------------------------------
    def max_notional(self, contract: int, leverage: float) -> float:
        """Largest notional the venue's tiers allow at ``leverage`` on ``contract`` (USDT)."""
        return float(self._tiers[contract].max_notional(leverage))

    def maintenance_margin(self, contract: int, notional: float) -> float:
        """Maintenance margin of a position of ``notional`` USDT on ``contract``."""
        return float(self._tiers[contract].maintenance_margin(notional))

    # ---- accounts ------------------------------------------------------------------------------
    def account(self, account: int) -> AccountView:
        """A read-only view of one account (a trader reads its own)."""
        return AccountView(self._market, account)

    def crowd(self, accounts: np.ndarray) -> CrowdAccounts:
        """Array reads over a crowd's own accounts."""
        return CrowdAccounts(self._market, accounts)

    def holdings(self, accounts: np.ndarray, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per account: summed absolute notional and equity (wallet + UPNL) at ``prices``
        (a builder sizing the deposits of the counterparties it made)."""
        ledger = self._market.ledger
        notional = ledger.notional(prices, accounts).sum(axis=1)
        equity = ledger.wallet[accounts] + ledger.upnl(prices, accounts).sum(axis=1)
        return notional, equity
