"""Margin pools: the one implementation of margin balances and maintenance margin per pool.

A position draws on a *pool*: an isolated position on its own isolated margin, a cross position
on the account's wallet shared with every other cross position of the account (spec §2):

    isolated: margin balance = iso_margin + UPNL of the position,  MM = MM of the position
    cross:    margin balance = wallet + Σ cross UPNL,               MM = Σ cross MM

Unrealised PnL and tiered maintenance margin come from `Ledger.upnl` and `Ledger.maintenance`;
everything else that needs a margin balance (the risk check, the liquidation engine, bankruptcy
prices, ADL ranks, the insurance fund's equity) reads it from here, so the arithmetic exists
once. The available balance for new orders, on order entry's hot path, is `Ledger`'s own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

Rows = np.ndarray | slice


class Ledger(Protocol):
    """What pools read of the ledger: its public position and balance arrays ([accounts] or
    [accounts, contracts]) and its two valuations. `model.ledger.Ledger` satisfies it; pools
    name it structurally rather than import it because the ledger computes its own margins
    through this module."""

    lots: np.ndarray
    lot: np.ndarray
    entry: np.ndarray
    wallet: np.ndarray
    iso_margin: np.ndarray
    isolated: np.ndarray

    def upnl(self, mark: np.ndarray, rows: Rows | None = None) -> np.ndarray:
        """Unrealised PnL of every position of ``rows``."""
        ...

    def maintenance_of(self, notional: np.ndarray, mark: np.ndarray) -> np.ndarray:
        """Maintenance margin of positions of the given absolute notionals."""
        ...


@dataclass(frozen=True, slots=True)
class Pools:
    """Margin balances of some accounts' pools; arrays are [rows] or [rows, contracts]."""

    upnl: np.ndarray
    maintenance: np.ndarray
    isolated: np.ndarray  # open isolated positions (bool)
    cross: np.ndarray  # open cross positions (bool)
    iso_equity: np.ndarray  # iso_margin + UPNL per open isolated position, else 0
    iso_maintenance: np.ndarray  # MM per open isolated position, else 0
    cross_equity: np.ndarray  # wallet + Σ cross UPNL, per account
    cross_maintenance: np.ndarray  # Σ cross MM, per account


def pools(ledger: Ledger, mark: np.ndarray, rows: Rows | None = None) -> Pools:
    """The pools of ``rows`` (every account when None) valued at ``mark``."""
    return Pools(*pool_arrays(ledger, mark, slice(None) if rows is None else rows))


def pool_arrays(ledger: Ledger, mark: np.ndarray, rows: Rows) -> tuple[np.ndarray, ...]:
    """The fields of `Pools`, in order, as a plain tuple (the risk check's every-step path,
    which has no use for the object).

    The positions are read and scaled once for both UPNL and notional (the arithmetic of
    `Ledger.upnl` and `Ledger.notional`), and the per-account sums go straight to
    ``np.add.reduce`` (what ``ndarray.sum`` calls, without its Python wrapper)."""
    lots = ledger.lots[rows]
    base = lots * ledger.lot
    upnl = base * (mark - ledger.entry[rows])
    mm = ledger.maintenance_of(np.abs(base) * mark, mark)
    isolated, cross, cross_equity = _split(ledger, lots, upnl, rows)
    return (
        upnl,
        mm,
        isolated,
        cross,
        np.where(isolated, ledger.iso_margin[rows] + upnl, 0.0),  # iso_equity
        np.where(isolated, mm, 0.0),  # iso_maintenance
        cross_equity,
        np.add.reduce(np.where(cross, mm, 0.0), axis=1),  # cross_maintenance
    )


def _equity(
    ledger: Ledger, mark: np.ndarray, rows: Rows
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """UPNL, open isolated and cross masks, and cross equity of ``rows`` (what needs no tier
    lookup)."""
    upnl = ledger.upnl(mark, rows)
    return (upnl, *_split(ledger, ledger.lots[rows], upnl, rows))


def _split(
    ledger: Ledger, lots: np.ndarray, upnl: np.ndarray, rows: Rows
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open isolated and cross masks of positions ``lots`` (of ``rows``), and the cross equity
    of those rows."""
    open_ = lots != 0
    isolated = ledger.isolated[rows]
    cross = ~isolated & open_
    cross_equity = ledger.wallet[rows] + np.add.reduce(np.where(cross, upnl, 0.0), axis=1)
    return isolated & open_, cross, cross_equity


def pool_state(
    ledger: Ledger, account: int, contract: int, mark: np.ndarray
) -> tuple[float, float]:
    """(margin balance, maintenance margin) of the pool one position draws on."""
    p = pools(ledger, mark, np.array([account]))
    if ledger.isolated[account, contract]:
        return float(p.iso_equity[0, contract]), float(p.iso_maintenance[0, contract])
    return float(p.cross_equity[0]), float(p.cross_maintenance[0])


def account_equities(ledger: Ledger, accounts: np.ndarray, mark: np.ndarray) -> np.ndarray:
    """Wallet, isolated margins and every position's UPNL of each account: what it could pay
    if it closed everything at the mark (an insurance fund's equity, a value fund's size)."""
    upnl = ledger.upnl(mark, accounts)
    return ledger.wallet[accounts] + ledger.iso_margin[accounts].sum(axis=1) + upnl.sum(axis=1)


def account_equity(ledger: Ledger, account: int, mark: np.ndarray) -> float:
    """`account_equities` of one account."""
    return float(account_equities(ledger, np.array([account]), mark)[0])


def pool_cash(ledger: Ledger, accounts: np.ndarray, contract: int) -> np.ndarray:
    """Cash of the pool each account's position on ``contract`` draws on: its isolated margin,
    or the wallet for a cross position (Binance's "WB" in the ADL rank)."""
    return np.where(
        ledger.isolated[accounts, contract],
        ledger.iso_margin[accounts, contract],
        ledger.wallet[accounts],
    )


def backing_margins(
    ledger: Ledger, accounts: np.ndarray, contract: int, mark: np.ndarray
) -> np.ndarray:
    """Margin behind each account's position on ``contract``, the one its bankruptcy price is
    computed on: the isolated margin, or for cross the wallet plus the UPNL of the account's
    *other* cross positions."""
    upnl, _, cross, cross_equity = _equity(ledger, mark, accounts)
    own = np.where(cross[:, contract], upnl[:, contract], 0.0)
    return np.where(
        ledger.isolated[accounts, contract],
        ledger.iso_margin[accounts, contract],
        cross_equity - own,
    )
