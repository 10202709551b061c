"""Insurance funds: one per contract or one shared (venue preset), held as system ledger accounts.

A fund is fed by clearance fees and by the surplus when a position it took over at the
bankruptcy price is sold for better, and pays the shortfall when it sells for worse (spec §4).
Its balance is the fund account's wallet; positions it holds are offloaded into the book at a
configurable pace (``offload_fraction`` of the holding per step), so takeovers feed the same
order book as every other liquidation order.

Limits that send a loss to ADL instead of the fund:

* the fund cannot cover the shortfall (every preset);
* taking the position would make the fund's net position exceed ``max_position_pct`` of its
  balance (Binance: 100%; the other venues publish no such cap, so theirs is None);
* optionally, the balance has fallen ``drawdown_pct`` from its peak within
  ``drawdown_window_seconds`` (OKX and Bybit: 30% within 8 hours).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from model import pools
from model.closeout import close_at_bankruptcy, log_closeout
from model.events import EventLog
from model.exchange import Exchange
from model.ledger import Ledger
from model.orders import TimeInForce
from model.venue import InsuranceRules

ROUNDING = 1e-6  # USDT: a negative balance this close to zero is float residue, not a loss


class InsuranceFunds:
    """The venue's insurance fund(s).

    Args:
        ledger: the exchange ledger (funds are system accounts in it).
        n_contracts: listed contracts.
        initial: starting balance of each fund (USDT).
        rules: the venue's insurance rules.
    """

    def __init__(
        self, ledger: Ledger, n_contracts: int, initial: float, rules: InsuranceRules
    ) -> None:
        self.ledger = ledger
        self.rules = rules
        if rules.scope == "shared":
            shared = ledger.open_account(initial, system=True)
            self.accounts = [shared] * n_contracts
        else:
            self.accounts = [ledger.open_account(initial, system=True) for _ in range(n_contracts)]
        self.unique_accounts = sorted(set(self.accounts))
        self._history: dict[int, deque[tuple[float, float]]] = {
            a: deque([(0.0, initial)]) for a in self.unique_accounts
        }
        self.min_balance = self.total_balance()

    # ---- state --------------------------------------------------------------------------------
    def account_of(self, contract: int) -> int:
        """Ledger row of the fund that covers a contract."""
        return self.accounts[contract]

    def balance(self, contract: int) -> float:
        """Balance (wallet) of the fund that covers a contract."""
        return float(self.ledger.wallet[self.accounts[contract]])

    def total_balance(self) -> float:
        """Sum over the distinct funds."""
        return float(sum(self.ledger.wallet[a] for a in self.unique_accounts))

    def equity(self, contract: int, mark: np.ndarray) -> float:
        """Balance plus the unrealised PnL of what the fund holds."""
        return pools.account_equity(self.ledger, self.accounts[contract], mark)

    def drawdown(self, contract: int) -> float:
        """Fall of the balance from its peak within the drawdown window (fraction)."""
        history = self._history[self.accounts[contract]]
        peak = max(b for _, b in history)
        return 0.0 if peak <= 0 else max(0.0, (peak - self.balance(contract)) / peak)

    # ---- decisions ----------------------------------------------------------------------------
    def absorbable_lots(
        self, contract: int, side: int, lots: int, shortfall: float, mark: np.ndarray
    ) -> tuple[int, str]:
        """How many of ``lots`` (a position of ``side``) the fund may take over, and why not all.

        The fund covers what it can and is allowed to: as many lots as its equity (balance plus
        the unrealised PnL of what it already holds, so a fund sitting on losing takeovers stops
        absorbing before its balance shows the loss) pays the shortfall of, within its net
        position cap; ADL takes only the rest.

        Args:
            contract: the contract.
            side: side of the position taken over (+1 long).
            lots: its size in lots.
            shortfall: loss the fund takes at the mark by taking all of it (≥ 0).
            mark: mark prices of every contract, to value the fund's holdings.
        """
        rules = self.rules
        if rules.drawdown_trigger and self.drawdown(contract) >= rules.drawdown_pct:
            return 0, f"fund fell {rules.drawdown_pct:.0%} from its peak"
        capacity = self.equity(contract, mark)
        per_lot = max(0.0, shortfall) / lots
        take, reason = lots, ""
        if per_lot > 0:
            take = max(0, min(lots, math.floor(max(0.0, capacity) / per_lot + 1e-9)))
            if take < lots:
                reason = "fund cannot cover the shortfall"
        if rules.max_position_pct is None:
            return take, reason
        # the net position after taking k lots must stay within pct × (equity − k·per_lot)
        ledger = self.ledger
        pct = rules.max_position_pct
        lot_value = float(ledger.lot[contract] * mark[contract])
        held = int(ledger.lots[self.accounts[contract], contract])
        room = (pct * capacity - side * held * lot_value) / (lot_value + pct * per_lot)
        room_lots = max(0, math.floor(room + 1e-9))
        if room_lots < take:
            return room_lots, "fund at its maximum net position"
        return take, reason

    # ---- each step ----------------------------------------------------------------------------
    def offload(
        self,
        t: float,
        exchange: Exchange,
        events: EventLog,
        mark: np.ndarray,
        outside: int | None = None,
        steps: float = 1.0,
    ) -> None:
        """Sell ``offload_fraction`` of every holding into the book (or, with ``outside``, the
        impact-free ablation's outside party, at the mark), no worse than the fund's own
        bankruptcy price: the fund never sells itself below zero. When the book is beyond that
        price the holding stays, and once the fund's equity on the mark is negative the engine
        deleverages it (`LiquidationEngine.settle`).

        The fraction is per scenario ``step``; an adaptive step covering ``steps`` of them sells
        1 − (1 − fraction)^steps, what that many steps would have left unsold."""
        ledger = self.ledger
        share = self.rules.offload_fraction
        if steps != 1.0:
            share = 1.0 - (1.0 - share) ** steps
        for account in self.unique_accounts:
            for col in np.flatnonzero(ledger.lots[account]):
                c = int(col)
                lots = max(1, math.ceil(abs(int(ledger.lots[account, c])) * share))
                before = float(ledger.wallet[account])
                close = close_at_bankruptcy(
                    exchange, account, c, lots, TimeInForce.IOC, mark, outside
                )
                if close.lots:
                    log_closeout(
                        events,
                        "offload",
                        t,
                        account,
                        c,
                        close,
                        mark,
                        insurance_change=float(ledger.wallet[account]) - before,
                        style_step="insurance:offload",
                    )

    def cover_deficits(self, t: float, events: EventLog) -> float:
        """Pay the negative balances left after closes; write off what the fund cannot pay.

        A negative balance within `ROUNDING` of zero is the float residue of a close at a
        bankruptcy price, not a loss: it is zeroed (counted in the ledger's write-offs, so money
        stays conserved) without an event, so no balance is ever reported below zero.

        Returns the bad debt written off this step.
        """
        ledger = self.ledger
        bad = 0.0
        # most steps leave no balance below zero: the searches run only when some is
        negative = ledger.wallet < 0
        if np.logical_or.reduce(negative):
            flat = ~(ledger.lots != 0).any(axis=1) & ~ledger.system
            for account in np.flatnonzero(flat & negative):
                bad += self._cover(t, events, int(account), None, 0)
        negative = ledger.iso_margin < 0
        if np.logical_or.reduce(negative, axis=None):
            for account, c in np.argwhere((ledger.lots == 0) & negative):
                bad += self._cover(t, events, int(account), int(c), int(c))
        for fund in self.unique_accounts:  # a fund that had to sell at a loss beyond its balance
            if ledger.wallet[fund] < 0:
                debt = ledger.write_off(fund)
                if debt > ROUNDING:
                    bad += debt
                    events.add(
                        "bad_debt", t, fund, 0, notional=debt, style_step="insurance:overdrawn"
                    )
        return bad

    def _cover(
        self, t: float, events: EventLog, account: int, contract: int | None, fund_contract: int
    ) -> float:
        ledger = self.ledger
        owed = -float(
            ledger.wallet[account] if contract is None else ledger.iso_margin[account, contract]
        )
        if owed <= ROUNDING:
            ledger.write_off(account, contract)
            return 0.0
        fund = self.accounts[fund_contract]
        paid = min(owed, max(0.0, float(ledger.wallet[fund])))
        if paid > 0:
            ledger.wallet[fund] -= paid
            if contract is None:
                ledger.wallet[account] += paid
            else:
                ledger.iso_margin[account, contract] += paid
            events.add(
                "deficit",
                t,
                account,
                fund_contract,
                notional=paid,
                insurance_change=-paid,
                style_step="insurance:deficit",
            )
        debt = ledger.write_off(account, contract) if paid < owed else 0.0
        if debt > 0:
            events.add(
                "bad_debt", t, account, fund_contract, notional=debt, style_step="insurance:empty"
            )
        return debt

    def record(self, t: float) -> None:
        """Remember the balances (for the drawdown rule and the minimum)."""
        window = self.rules.drawdown_window_seconds
        for account in self.unique_accounts:
            history = self._history[account]
            history.append((t, float(self.ledger.wallet[account])))
            while history and history[0][0] < t - window:
                history.popleft()
        self.min_balance = min(self.min_balance, self.total_balance())

    def audit(self) -> list[str]:
        """Broken fund invariants (a balance below zero)."""
        return [
            f"insurance fund account {a} below zero: {self.ledger.wallet[a]:.6f}"
            for a in self.unique_accounts
            if self.ledger.wallet[a] < -1e-6
        ]
