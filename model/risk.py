"""The per-step risk check: every position against maintenance margin on the mark price, at once.

Isolated positions are checked one by one against their own margin:
``iso_margin + UPNL ≤ MM``. Cross positions are checked per account:
``wallet + Σ cross UPNL ≤ Σ cross MM``, so a loss on one contract can put every cross position
of the account up for liquidation. System accounts (insurance funds, backstop vault) are exempt.

The margin ratio shown to users is ``MM / margin balance`` (spec §2): Binance warns at 80% and
liquidates at 100%. An account's ratio is the highest of its cross ratio and its isolated ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.ledger import Ledger
from model.pools import pool_arrays

WARNING_RATIO = 0.8


@dataclass(frozen=True, slots=True)
class RiskSnapshot:
    """The result of one risk check; arrays are [accounts] or [accounts, contracts]."""

    upnl: np.ndarray
    maintenance: np.ndarray
    iso_equity: np.ndarray  # isolated margin + UPNL, per position (0 where not isolated)
    cross_equity: np.ndarray  # wallet + Σ cross UPNL, per account
    cross_maintenance: np.ndarray  # Σ cross MM, per account
    margin_ratio: np.ndarray  # per account, inf when the margin balance is ≤ 0 with MM > 0
    isolated_breaches: np.ndarray  # (k, 2) pairs of (account, contract)
    cross_breaches: np.ndarray  # account rows

    @property
    def accounts_at_risk(self) -> int:
        """Accounts whose margin ratio is at or above the 80% warning level."""
        return int(np.count_nonzero(self.margin_ratio >= WARNING_RATIO))

    @property
    def any_breach(self) -> bool:
        """True when some position must be liquidated."""
        return bool(len(self.isolated_breaches) or len(self.cross_breaches))


def ratio_of(mm: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Margin ratio MM / margin balance; inf when the balance is ≤ 0 with MM > 0, 0 when MM is 0."""
    out = np.empty(np.shape(mm))
    out.fill(np.inf)  # np.full, without its Python wrapper
    ratio = np.divide(mm, balance, out=out, where=balance > 0)
    return np.where(mm > 0, ratio, 0.0)


def assess(ledger: Ledger, mark: np.ndarray) -> RiskSnapshot:
    """Check every position of every account on ``mark`` in one vectorised pass."""
    upnl, mm, iso, cross, iso_equity, iso_mm, cross_equity, cross_mm = pool_arrays(
        ledger, mark, slice(None)
    )
    live = ~ledger.system

    iso_hit = iso & (iso_equity <= iso_mm) & live[:, None]
    # ufunc reductions called directly: ndarray.any/max go through a Python wrapper
    cross_hit = np.logical_or.reduce(cross, axis=1) & (cross_equity <= cross_mm) & live

    ratio = ratio_of(cross_mm, cross_equity)
    if np.logical_or.reduce(iso, axis=None):
        ratio = np.maximum(ratio, np.maximum.reduce(ratio_of(iso_mm, iso_equity), axis=1))
    ratio = np.where(live, ratio, 0.0)
    return RiskSnapshot(
        upnl=upnl,
        maintenance=mm,
        iso_equity=iso_equity,
        cross_equity=cross_equity,
        cross_maintenance=cross_mm,
        margin_ratio=ratio,
        isolated_breaches=_pairs(iso_hit),
        cross_breaches=cross_hit.nonzero()[0],  # np.flatnonzero of a 1-d mask
    )


def _pairs(mask: np.ndarray) -> np.ndarray:
    """``np.argwhere`` of a 2-d mask; most steps breach nothing, which needs no search."""
    if not np.logical_or.reduce(mask, axis=None):
        return np.empty((0, 2), dtype=np.intp)
    return np.argwhere(mask)
