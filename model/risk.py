"""The per-step risk check: every position against maintenance margin on the mark price, at once.

Isolated positions are checked one by one against their own margin:
``iso_margin + UPNL ≤ MM``. Cross positions are checked per account:
``wallet + Σ cross UPNL ≤ Σ cross MM``, so a loss on one contract can put every cross position
of the account up for liquidation. System accounts (insurance funds, backstop vault) are exempt.

The margin ratio shown to users is ``MM / margin balance`` (spec §2): Binance warns at 80% and
liquidates at 100%. An account's ratio is the highest of its cross ratio and its isolated ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.ledger import Ledger
from model.pools import pool_arrays

WARNING_RATIO = 0.8
_COMPILED = False  # see `use_compiled`


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


def liquidation_distance(
    ledger: Ledger,
    snapshot: RiskSnapshot,
    mark: np.ndarray,
    material: np.ndarray | None = None,
) -> float:
    """The smallest relative move of the mark that would bring some live pool to its
    maintenance margin, to first order: (margin balance − MM) / notional for each isolated
    position and (cross margin balance − Σ cross MM) / Σ cross notional for each account with
    cross positions (a bound: it assumes every cross position loses at once). ``inf`` when
    nothing is open; ≤ 0 when some pool is already at or below maintenance.

    With ``material`` (USDT per contract, all > 0) only pools large enough to matter count: an
    isolated position of at least its contract's ``material`` notional, and a cross account
    whose Σ notional / ``material`` over its contracts is at least 1."""
    n = len(snapshot.cross_equity)  # accounts opened since the check are not in it
    live = ~ledger.system[:n]
    lots = ledger.lots[:n]
    notional = np.abs(lots * ledger.lot) * mark
    open_ = (lots != 0) & live[:, None]
    iso = open_ & ledger.isolated[:n]
    cross = open_ & ~ledger.isolated[:n]
    if material is not None:
        iso &= notional >= material
    nearest = math.inf
    if np.logical_or.reduce(iso, axis=None):
        cushion = (snapshot.iso_equity - snapshot.maintenance)[iso] / notional[iso]
        nearest = min(nearest, float(np.minimum.reduce(cushion)))
    cross_notional = np.add.reduce(np.where(cross, notional, 0.0), axis=1)
    holders = cross_notional > 0
    if material is not None:
        holders &= np.add.reduce(np.where(cross, notional / material, 0.0), axis=1) >= 1.0
    if np.logical_or.reduce(holders):
        cushion = (snapshot.cross_equity - snapshot.cross_maintenance)[holders]
        nearest = min(nearest, float(np.minimum.reduce(cushion / cross_notional[holders])))
    return nearest


def ratio_of(mm: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Margin ratio MM / margin balance; inf when the balance is ≤ 0 with MM > 0, 0 when MM is 0."""
    out = np.empty(np.shape(mm))
    out.fill(np.inf)  # np.full, without its Python wrapper
    ratio = np.divide(mm, balance, out=out, where=balance > 0)
    return np.where(mm > 0, ratio, 0.0)


def use_compiled(on: bool = True) -> None:
    """Make `assess` use the compiled kernel (`assess_compiled`) from now on in this process,
    or the NumPy version again. The outputs are the same either way, bit for bit.

    It is off by default: on the default run (flash-crash, 1,800 steps) the kernel takes the
    risk check from about 0.3 to 0.1 CPU s, but a process pays about 1 CPU s once for it
    (importing numba, about 0.5 s, and its first call, about 0.5 s, loading the machine code
    from numba's cache; about 5 s the first time, when it compiles and fills the cache). It
    pays off in a process that runs more than about five such runs."""
    global _COMPILED
    _COMPILED = on


def is_compiled() -> bool:
    """Whether `assess` uses the compiled kernel in this process (`use_compiled`)."""
    return _COMPILED


def assess(ledger: Ledger, mark: np.ndarray) -> RiskSnapshot:
    """Check every position of every account on ``mark``: `assess_numpy`, or the compiled
    kernel after `use_compiled` when ``mark`` is finite and positive (the same arrays)."""
    if (
        _COMPILED
        and isinstance(mark, np.ndarray)
        and mark.dtype == np.float64
        and mark.ndim == 1
        and all(0.0 < m < math.inf for m in mark.tolist())
    ):
        return assess_compiled(ledger, mark)
    return assess_numpy(ledger, mark)


def assess_compiled(ledger: Ledger, mark: np.ndarray) -> RiskSnapshot:
    """`assess_numpy` computed by the numba kernel `model.risk_kernel.assess_kernel`, bit for
    bit, for a finite positive float64 ``mark`` (a NaN or infinite mark takes the NumPy
    version's checked tier lookup, which the kernel does not repeat)."""
    from model.risk_kernel import assess_kernel, tier_arrays  # numba loads on first use

    caps, mmrs, amounts = tier_arrays(tuple(ledger.tiers))
    return RiskSnapshot(
        *assess_kernel(
            ledger.lots,
            ledger.lot,
            ledger.entry,
            ledger.wallet,
            ledger.iso_margin,
            ledger.isolated,
            ledger.system,
            mark,
            caps,
            mmrs,
            amounts,
        )
    )


def assess_numpy(ledger: Ledger, mark: np.ndarray) -> RiskSnapshot:
    """Check every position of every account on ``mark`` in one vectorised pass (the
    reference the compiled kernel is tested against)."""
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
