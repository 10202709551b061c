"""Accounts, positions and margin modes, held in NumPy arrays (rows = accounts, columns = contracts).

One-way mode: each (account, contract) has one signed position in lots, an average entry price
and a margin mode. A *cross* position shares the account's wallet balance with every other cross
position of the account. An *isolated* position has its own margin pool (``iso_margin``): its
realised PnL, fees and funding go there, so its loss can never reach the wallet — when it closes
below zero the pool is left negative, a deficit that the insurance fund settles.

Money never appears or vanishes. What traders deposit (less what they withdraw) is always held
somewhere (``deposits`` is the net of the two):

    Σ wallet + Σ iso_margin + Σ UPNL + fees collected = Σ deposits − Σ withdrawals + bad debt written off

(Σ UPNL does not depend on the price because long and short open interest are equal.) A negative
balance that no fund and no counterparty can cover is written off to zero and counted in
``written_off``, so the bad debt is visible rather than hidden.
Insurance funds and the backstop vault are ledger accounts flagged ``system``, so their balances are wallets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model import pools
from model.margin import bankruptcy_price
from model.tiers import TierTable
from model.valuation import LedgerValuation


class Ledger(LedgerValuation):
    """Balances and positions of every account.

    Args:
        lot_sizes: base units per lot of each contract.
        tier_tables: margin tiers of each contract.
        maker_fee: default maker fee rate (the exchange passes rates per fill).
        taker_fee: default taker fee rate.
        capacity: accounts to allocate for before the arrays grow.
    """

    # Backing arrays with room to grow; the public names (wallet, lots, ...) are views of the
    # first n_accounts rows, refreshed by `_views` whenever an account opens.
    _wallet: np.ndarray
    _lots: np.ndarray
    _entry: np.ndarray
    _realised: np.ndarray
    _isolated: np.ndarray
    _iso_margin: np.ndarray
    _leverage: np.ndarray
    _system: np.ndarray

    def __init__(
        self,
        lot_sizes: Sequence[float],
        tier_tables: Sequence[TierTable],
        maker_fee: float = 0.0002,
        taker_fee: float = 0.0005,
        capacity: int = 64,
    ) -> None:
        if len(lot_sizes) != len(tier_tables) or not lot_sizes:
            raise ValueError("one lot size and one tier table per contract are required")
        self.n_contracts = len(lot_sizes)
        self.lot = np.asarray(lot_sizes, dtype=float)
        self._lot = self.lot.tolist()  # plain floats for the per-fill arithmetic
        self.tiers = list(tier_tables)
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee
        self.n_accounts = 0
        self.deposits = 0.0
        self.fees_collected = 0.0
        self.written_off = 0.0
        self.funding_paid = np.zeros(self.n_contracts)  # by longs, cumulative (0 when balanced)
        self._allocate(max(1, capacity))

    def _allocate(self, capacity: int) -> None:
        c = self.n_contracts
        old = self.__dict__.get("_wallet")
        n = self.n_accounts
        fresh = {
            "_wallet": np.zeros(capacity),
            "_lots": np.zeros((capacity, c), dtype=np.int64),
            "_entry": np.zeros((capacity, c)),
            "_realised": np.zeros((capacity, c)),
            "_isolated": np.zeros((capacity, c), dtype=bool),
            "_iso_margin": np.zeros((capacity, c)),
            "_leverage": np.ones((capacity, c)),
            "_system": np.zeros(capacity, dtype=bool),
        }
        if old is not None:
            for name, array in fresh.items():
                array[:n] = getattr(self, name)[:n]
        self.__dict__.update(fresh)
        self._capacity = capacity
        self._views()

    def _views(self) -> None:
        n = self.n_accounts
        self.wallet = self._wallet[:n]
        self.lots = self._lots[:n]
        self.entry = self._entry[:n]
        self.realised = self._realised[:n]
        self.isolated = self._isolated[:n]
        self.iso_margin = self._iso_margin[:n]
        self.leverage = self._leverage[:n]
        self.system = self._system[:n]

    # ---- accounts ----------------------------------------------------------------------------
    def open_account(
        self,
        deposit: float = 0.0,
        *,
        isolated: bool = False,
        leverage: float | Sequence[float] = 20.0,
        system: bool = False,
    ) -> int:
        """Open an account with a first deposit; returns its row.

        Args:
            deposit: USDT paid in.
            isolated: margin mode of all its positions (changeable per contract while flat).
            leverage: leverage used for initial margin on every contract, or one per contract.
            system: an exchange account (insurance fund, backstop): never liquidated.

        Raises:
            ValueError: a leverage below 1 or not finite, or not one per contract.
        """
        if isinstance(leverage, Sequence | np.ndarray):
            leverages = list(leverage)
        else:  # one number (of any numeric type) for every contract
            leverages = [leverage] * self.n_contracts
        if len(leverages) != self.n_contracts:
            raise ValueError(
                f"leverage: one per contract ({self.n_contracts}), got {len(leverages)}"
            )
        if self.n_accounts == self._capacity:
            self._allocate(self._capacity * 2)
        row = self.n_accounts
        self.n_accounts += 1
        self._views()
        self.isolated[row] = isolated
        self.system[row] = system
        for c, value in enumerate(leverages):
            self.set_leverage(row, c, value)
        self.deposit(row, deposit)
        return row

    def _check_account(self, account: int) -> None:
        if not 0 <= account < self.n_accounts:
            raise ValueError(f"account must be 0..{self.n_accounts - 1}, got {account!r}")

    def deposit(self, account: int, amount: float) -> None:
        """Pay USDT into an account's wallet from outside the exchange."""
        self._check_account(account)
        if not np.isfinite(amount) or amount < 0:
            raise ValueError(f"deposit must be a finite amount ≥ 0, got {amount!r}")
        self.wallet[account] += amount
        self.deposits += amount

    def withdraw(self, account: int, amount: float) -> None:
        """Pay USDT out of an account's wallet to outside the exchange (investors redeeming);
        never more than the wallet holds."""
        self._check_account(account)
        if not np.isfinite(amount) or amount < 0:
            raise ValueError(f"withdrawal must be a finite amount ≥ 0, got {amount!r}")
        if amount > self.wallet[account] + 1e-9:
            raise ValueError(
                f"withdrawal of {amount:,.2f} USDT exceeds the wallet's "
                f"{float(self.wallet[account]):,.2f}"
            )
        self.wallet[account] -= amount
        self.deposits -= amount

    def transfer(self, source: int, target: int, amount: float) -> None:
        """Move USDT between two wallets (fees to a fund, a fund covering a deficit)."""
        self._check_account(source)
        self._check_account(target)
        self.wallet[source] -= amount
        self.wallet[target] += amount

    def set_leverage(self, account: int, contract: int, leverage: float) -> None:
        """Choose the leverage that sets initial margin for this position."""
        if not np.isfinite(leverage) or leverage < 1:
            raise ValueError(f"leverage must be ≥ 1, got {leverage!r}")
        self.leverage[account, contract] = leverage

    def set_margin_mode(self, account: int, contract: int, isolated: bool) -> None:
        """Switch isolated/cross; only while flat and with no isolated balance left."""
        if self.lots[account, contract] != 0 or self.iso_margin[account, contract] != 0:
            raise ValueError("margin mode can only change while the position is flat")
        self.isolated[account, contract] = isolated

    def add_isolated_margin(self, account: int, contract: int, amount: float) -> float:
        """Move margin from the wallet into an isolated position (negative removes it).

        Additions are limited to the wallet balance, removals to the margin above initial
        margin at the entry price. Returns the amount actually moved.
        """
        if not self.isolated[account, contract] or self.lots[account, contract] == 0:
            raise ValueError("margin can only be added to an open isolated position")
        if amount >= 0:
            amount = min(amount, max(0.0, float(self.wallet[account])))
        else:
            notional = abs(self.lots[account, contract]) * self.lot[contract]
            notional *= self.entry[account, contract]
            spare = self.iso_margin[account, contract] - notional / self.leverage[account, contract]
            amount = -min(-amount, max(0.0, float(spare)))
        self.wallet[account] -= amount
        self.iso_margin[account, contract] += amount
        return float(amount)

    def position_margin(self, account: int, contract: int, mark: np.ndarray) -> float:
        """Margin backing a position: its isolated margin, or for cross the wallet plus the
        UPNL of the account's other cross positions (what its bankruptcy price is computed on)."""
        return float(pools.backing_margins(self, np.array([account]), contract, mark)[0])

    def bankruptcy_price(self, account: int, contract: int, mark: np.ndarray) -> float:
        """Price at which an open position's margin (`position_margin`) is exactly used up."""
        lots = int(self.lots[account, contract])
        if lots == 0:
            raise ValueError(f"account {account} holds no position on contract {contract}")
        return bankruptcy_price(
            1 if lots > 0 else -1,
            abs(lots) * float(self.lot[contract]),
            float(self.entry[account, contract]),
            self.position_margin(account, contract, mark),
        )

    def charge(self, account: int, contract: int, target: int, amount: float) -> None:
        """Move ``amount`` from the pool backing a position (isolated margin or wallet) to the
        wallet of ``target`` (a clearance fee to the insurance fund, a margin kept by it)."""
        if self.isolated[account, contract]:
            self.iso_margin[account, contract] -= amount
        else:
            self.wallet[account] -= amount
        self.wallet[target] += amount

    def transfer_position(
        self,
        source: int,
        target: int,
        contract: int,
        lots: int,
        price: float,
        source_fee: float = 0.0,
        target_fee: float = 0.0,
    ) -> None:
        """Move ``lots`` (signed, as held by ``source``) of a position from ``source`` to
        ``target`` at ``price`` off the book: a takeover or an ADL fill."""
        self.apply_fill(source, contract, -lots, price, source_fee, release_margin=False)
        self.apply_fill(target, contract, lots, price, target_fee)

    def haircut_pnl(self, account: int, contract: int, amount: float, target: int) -> None:
        """Take ``amount`` of a position's unrealised profit and pay it to ``target``'s wallet:
        the entry price moves against the holder by ``amount / Q``, so the same profit cannot be
        taken twice and no position is closed (an ADL haircut)."""
        lots = int(self.lots[account, contract])
        if lots == 0:
            raise ValueError(f"account {account} holds no position on contract {contract}")
        qty = abs(lots) * float(self.lot[contract])
        self.entry[account, contract] += (1 if lots > 0 else -1) * amount / qty
        self.wallet[target] += amount

    def write_off(self, account: int, contract: int | None = None) -> float:
        """Zero a negative balance nobody can cover (wallet, or the isolated margin of a closed
        position); returns the bad debt written off."""
        if contract is None:
            debt = max(0.0, -float(self.wallet[account]))
            self.wallet[account] += debt
        else:
            debt = max(0.0, -float(self.iso_margin[account, contract]))
            self.iso_margin[account, contract] += debt
        self.written_off += debt
        return debt

    # ---- trading ---------------------------------------------------------------------------
    def apply_fill(
        self,
        account: int,
        contract: int,
        signed_lots: int,
        price: float,
        fee_rate: float,
        *,
        release_margin: bool = True,
    ) -> float:
        """Book one fill for one side; returns the realised PnL (before fees).

        Opening or adding to an isolated position moves its initial margin in from the wallet
        (as much as there is); reducing it releases the closed share of the margin to the wallet
        unless ``release_margin`` is False (liquidation keeps it behind the remaining position).
        """
        # `item` reads a plain Python number (indexing builds a NumPy scalar, and arithmetic
        # on those costs several times more for the same IEEE result): every fill of every
        # order comes through here twice
        lot = self._lot[contract]
        pos = self.lots.item(account, contract)
        entry = self.entry.item(account, contract)
        isolated = self.isolated.item(account, contract)
        fee = abs(signed_lots) * lot * price * fee_rate
        self.fees_collected += fee
        realised = 0.0
        if pos == 0 or (pos > 0) == (signed_lots > 0):
            new = pos + signed_lots
            self.entry[account, contract] = (abs(pos) * entry + abs(signed_lots) * price) / abs(new)
            self.lots[account, contract] = new
            opened = abs(signed_lots)
        else:
            closed = min(abs(signed_lots), abs(pos))
            realised = closed * lot * (price - entry) * (1 if pos > 0 else -1)
            self.realised[account, contract] += realised
            new = pos + signed_lots
            self.lots[account, contract] = new
            if isolated:
                # the fee of a closing fill comes out of the pool before what is left of it is
                # released: charged after a full close it would leave a closed pool below zero,
                # a deficit the insurance fund would pay
                self.iso_margin[account, contract] -= fee
                fee = 0.0
                self._close_isolated(account, contract, realised, closed / abs(pos), release_margin)
            else:
                self.wallet[account] += realised
            opened = abs(new) if (new != 0 and (new > 0) != (pos > 0)) else 0
            self.entry[account, contract] = price if opened else (entry if new else 0.0)
        if isolated and opened:
            needed = opened * lot * price / self.leverage.item(account, contract)
            moved = min(needed, max(0.0, self.wallet.item(account)))
            self.wallet[account] -= moved
            self.iso_margin[account, contract] += moved
        if isolated:
            self.iso_margin[account, contract] -= fee
        else:
            self.wallet[account] -= fee
        return realised

    def _close_isolated(
        self, account: int, contract: int, realised: float, fraction: float, release: bool
    ) -> None:
        before = float(self.iso_margin[account, contract])
        pool = before + realised
        if fraction >= 1.0:
            keep = min(pool, 0.0)  # a deficit stays for the insurance fund to settle
        elif release:
            keep = min(pool, (1.0 - fraction) * before)
        else:
            keep = pool
        self.iso_margin[account, contract] = keep
        self.wallet[account] += pool - keep

    # ---- funding -----------------------------------------------------------------------------
    def settle_funding(self, contract: int, rate: float, mark_price: float) -> float:
        """Pay funding peer to peer on mark notional; longs pay when ``rate`` > 0.

        Returns what longs paid in total (shorts received exactly that).
        """
        payment = self.lots[:, contract] * (self.lot[contract] * mark_price * rate)
        iso = self.isolated[:, contract]
        self.wallet -= np.where(iso, 0.0, payment)
        self.iso_margin[:, contract] -= np.where(iso, payment, 0.0)
        paid = float(payment[payment > 0].sum())
        self.funding_paid[contract] += float(payment.sum())
        return paid
