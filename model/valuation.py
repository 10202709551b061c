"""What the ledger's positions are worth at a mark, and what they allow: unrealised PnL,
notional and tiered maintenance margin over all accounts at once, open interest, the available
balance and initial-margin check of a new order, and the audit that money is conserved.

`model.ledger.Ledger` inherits these from `LedgerValuation`; the arrays they read are the
ledger's (documented there), and nothing here changes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from model.tiers import TierTable

CONSERVATION_TOLERANCE = 1e-9  # relative to deposits


class LedgerValuation:
    """Valuation and margin checks of `model.ledger.Ledger` (read-only over its arrays)."""

    # the ledger's state (see `model.ledger.Ledger`)
    lots: np.ndarray
    lot: np.ndarray
    _lot: list[float]
    entry: np.ndarray
    wallet: np.ndarray
    iso_margin: np.ndarray
    isolated: np.ndarray
    leverage: np.ndarray
    tiers: list[TierTable]
    deposits: float
    fees_collected: float
    written_off: float

    def check_initial_margin(
        self, account: int, contract: int, signed_lots: int, price: float, mark: np.ndarray
    ) -> str:
        """Why an order of ``signed_lots`` at ``price`` would breach initial margin ("" if not).

        Reducing orders always pass. Otherwise the resulting notional must be allowed at the
        position's leverage by its tier, and the extra initial margin must fit in the available
        balance (wallet + cross UPNL − cross initial margin).
        """
        pos = self.lots.item(account, contract)
        new = pos + signed_lots
        if abs(new) <= abs(pos) and (new == 0 or (new > 0) == (pos > 0)):
            return ""
        lot = self._lot[contract]
        leverage = self.leverage.item(account, contract)
        notional = abs(new) * lot * price
        allowed = self.tiers[contract].max_leverage_at(notional)
        if leverage > allowed + 1e-12:
            return (
                f"leverage {leverage:g}x exceeds the {allowed:g}x allowed at a notional of "
                f"{notional:,.0f} USDT"
            )
        same_side = pos != 0 and (new > 0) == (pos > 0)
        held = abs(pos) * lot * price / leverage if same_side else 0.0
        needed = notional / leverage - held
        available = self.available_balance(account, mark, fallback=price, contract=contract)
        if needed > available + 1e-9:
            return f"insufficient margin: needs {needed:,.2f} USDT, available {available:,.2f}"
        return ""

    def available_balance(
        self, account: int, mark: np.ndarray, fallback: float = np.nan, contract: int = 0
    ) -> float:
        """Wallet + cross UPNL − cross initial margin: what new positions can draw on (a
        contract without a mark is valued at ``fallback`` when it is ``contract``)."""
        # a list of floats: the plain-float arithmetic of `_available_at` reads it element by
        # element, and copying the mark into a new array costs more than that
        if isinstance(mark, np.ndarray) and mark.dtype == np.float64:
            prices = mark.tolist()
        else:
            prices = np.array(mark, dtype=float).tolist()
        if not math.isfinite(prices[contract]):
            prices[contract] = float(fallback)
        return self._available_at(account, prices)

    def _available_at(self, account: int, prices: Sequence[float]) -> float:
        """Wallet + cross UPNL − cross initial margin at ``prices`` (contracts without a price
        count for nothing).

        Order entry asks this for every order that adds risk, so this one is worked out over the
        account's few contracts in plain floats (NumPy calls on a one-row slice cost ten times
        more): the same ``side·Q·(M − E)`` as `upnl`, and ``N / leverage``, summed in contract
        order."""
        lots = self.lots[account].tolist()
        isolated = self.isolated[account].tolist()
        lot = self._lot
        upnl = im = 0.0
        for c, q in enumerate(lots):
            if q == 0 or isolated[c]:
                continue
            price = float(prices[c])
            if math.isnan(price):
                continue
            base = q * lot[c]
            upnl += base * (price - self.entry.item(account, c))
            im += abs(base) * price / self.leverage.item(account, c)
        return self.wallet.item(account) + upnl - im

    # ---- valuation (vectorised over all accounts) -------------------------------------------
    def base_qty(self, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Signed positions in base units, [accounts, contracts] (``rows`` only, if given)."""
        return self.lots[slice(None) if rows is None else rows] * self.lot

    def upnl(self, mark: np.ndarray, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Unrealised PnL ``side·Q·(mark − entry)``, [accounts, contracts]: the one place it
        is computed."""
        rows = slice(None) if rows is None else rows
        return self.base_qty(rows) * (mark - self.entry[rows])

    def notional(self, mark: np.ndarray, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Absolute position notional at ``mark``, [accounts, contracts]."""
        return np.abs(self.base_qty(rows)) * mark

    def maintenance(self, mark: np.ndarray, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Maintenance margin of every position at ``mark`` (tiered), [accounts, contracts]."""
        return self.maintenance_of(self.notional(mark, rows), mark)

    def maintenance_of(self, notional: np.ndarray, mark: np.ndarray) -> np.ndarray:
        """Maintenance margin of the positions whose absolute notionals at ``mark`` are
        ``notional`` [rows, contracts]. On a finite positive mark every notional is finite
        and ≥ 0, so the tier lookups skip their checks (one pass for a single contract)."""
        if isinstance(mark, np.ndarray) and all(0.0 < m < math.inf for m in mark.tolist()):
            if len(self.tiers) == 1:
                return self.tiers[0].maintenance_of(notional)
            out = np.empty_like(notional)
            for c, table in enumerate(self.tiers):
                out[:, c] = table.maintenance_of(notional[:, c])
            return out
        out = np.empty_like(notional)
        for c, table in enumerate(self.tiers):
            out[:, c] = table.maintenance_margin(notional[:, c])
        return out

    def open_interest(self, contract: int) -> float:
        """Long open interest of a contract in base units (equal to short open interest)."""
        lots = self.lots[:, contract]
        return float(np.add.reduce(lots[lots > 0]) * self.lot[contract])

    # ---- audit -------------------------------------------------------------------------------
    def conservation_error(self, mark: np.ndarray) -> float:
        """(Money held − money deposited) / deposits."""
        # nan_to_num costs more than the rest; a mark with no NaN or inf needs none
        finite = isinstance(mark, np.ndarray) and all(math.isfinite(m) for m in mark.tolist())
        upnl = self.upnl(mark if finite else np.nan_to_num(mark, nan=0.0))
        total = np.add.reduce  # what ndarray.sum calls, without its Python wrapper
        held = (
            total(self.wallet, axis=None)
            + total(self.iso_margin, axis=None)
            + total(upnl, axis=None)
            + self.fees_collected
        )
        return float((held - self.deposits - self.written_off) / max(1.0, self.deposits))

    def audit(self, mark: np.ndarray) -> list[str]:
        """Every broken invariant, as readable sentences (empty when all hold)."""
        problems = []
        for name in ("wallet", "entry", "iso_margin"):
            if not np.all(np.isfinite(getattr(self, name))):
                problems.append(f"{name} has NaN or infinite values")
        imbalance = self.lots.sum(axis=0)
        for c in np.flatnonzero(imbalance):
            problems.append(
                f"contract {c}: long and short open interest differ by {imbalance[c]} lots"
            )
        error = self.conservation_error(mark)
        if abs(error) > CONSERVATION_TOLERANCE:
            problems.append(f"money not conserved: relative error {error:.3e}")
        flat = ~(self.lots != 0).any(axis=1)
        negative = flat & (self.wallet < -1e-6)
        if negative.any():
            problems.append(f"{int(negative.sum())} flat accounts below zero")
        iso_deficit = (self.lots == 0) & (self.iso_margin < -1e-6)
        if iso_deficit.any():
            problems.append(f"{int(iso_deficit.sum())} closed isolated positions below zero")
        return problems
