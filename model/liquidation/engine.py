"""What every liquidation style shares: the pool a position draws on, orders at the bankruptcy
price, clearance fees, insurance-fund takeover and the hand-over to ADL.

Liquidation orders are real orders in the same book as everyone else's. They are reduce-only and
limited at the bankruptcy price, so they take any liquidity better than bankruptcy (moving the
last price: the feedback loop) and never push an account below zero; what cannot be sold that
way is taken over by the insurance fund at the bankruptcy price, and what the fund may not take
goes to ADL.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from model.adl import AutoDeleverager
from model.events import EventLog
from model.exchange import Exchange
from model.insurance import InsuranceFunds
from model.orderbook import TimeInForce
from model.risk import RiskSnapshot
from model.venue import Venue

Style = Callable[["LiquidationEngine", int, int], None]


class LiquidationEngine:
    """Liquidates breached positions by the venue's style.

    Args:
        venue: the venue preset (liquidation style, clearance fee, ADL rules).
        exchange: the exchange (books and ledger).
        funds: the insurance fund(s).
        events: the event log.
    """

    def __init__(
        self, venue: Venue, exchange: Exchange, funds: InsuranceFunds, events: EventLog
    ) -> None:
        from model.liquidation.styles import STYLES

        self.venue = venue
        self.rules = venue.liquidation
        self.exchange = exchange
        self.ledger = exchange.ledger
        self.funds = funds
        self.events = events
        self.adl = AutoDeleverager(exchange, venue.adl, events)
        self.style: Style = STYLES[self.rules.style]
        self.last_slice: dict[tuple[int, int], float] = {}
        self.bad_debt = 0.0
        self.t = 0.0
        self.mark = np.zeros(len(exchange.books))
        self.prev_index = self.mark

    # ---- the step --------------------------------------------------------------------------
    def run(
        self,
        t: float,
        risk: RiskSnapshot,
        mark: np.ndarray,
        index: np.ndarray,
        prev_index: np.ndarray,
    ) -> None:
        """Liquidate every position the risk check found at or below maintenance margin."""
        self.t, self.mark, self.prev_index = t, mark, prev_index
        for account, contract in risk.isolated_breaches:
            self.style(self, int(account), int(contract))
        ledger = self.ledger
        for account in risk.cross_breaches:
            account = int(account)
            cross = np.flatnonzero((ledger.lots[account] != 0) & ~ledger.isolated[account])
            notional = np.abs(ledger.lots[account, cross]) * ledger.lot[cross] * mark[cross]
            for contract in cross[np.argsort(-notional, kind="stable")]:
                if not self.breached(account, int(contract)):
                    break
                self.style(self, account, int(contract))

    def settle(self, t: float, mark: np.ndarray) -> None:
        """After liquidations: offload fund holdings, keep funds solvent, settle deficits."""
        self.funds.offload(t, self.exchange, self.events, mark)
        self._keep_funds_solvent(t, mark)
        self.bad_debt += self.funds.cover_deficits(t, self.events)
        self.funds.record(t)

    # ---- state of a position ------------------------------------------------------------------
    def pool_state(self, account: int, contract: int) -> tuple[float, float]:
        """(margin balance, maintenance margin) of the pool a position draws on, at the mark."""
        ledger, mark = self.ledger, self.mark
        lot = ledger.lot
        if ledger.isolated[account, contract]:
            qty = ledger.lots[account, contract] * lot[contract]
            upnl = qty * (mark[contract] - ledger.entry[account, contract])
            mm = ledger.tiers[contract].maintenance_margin(abs(qty) * mark[contract])
            return float(ledger.iso_margin[account, contract] + upnl), float(mm)
        cross = (ledger.lots[account] != 0) & ~ledger.isolated[account]
        qty = ledger.lots[account] * lot
        upnl = float((qty * (mark - ledger.entry[account]))[cross].sum())
        mm = sum(
            (
                float(ledger.tiers[c].maintenance_margin(abs(qty[c]) * mark[c]))
                for c in np.flatnonzero(cross)
            ),
            start=0.0,
        )
        return float(ledger.wallet[account]) + upnl, mm

    def breached(self, account: int, contract: int) -> bool:
        """Position open and its pool at or below maintenance margin."""
        if self.ledger.lots[account, contract] == 0:
            return False
        equity, mm = self.pool_state(account, contract)
        return equity <= mm

    def bankruptcy(self, account: int, contract: int) -> float:
        """Bankruptcy price of a position given the margin behind it."""
        return self.ledger.bankruptcy_price(account, contract, self.mark)

    def tier_index(self, account: int, contract: int) -> int:
        """Index of the tier holding the position's notional at the mark."""
        ledger = self.ledger
        notional = abs(ledger.lots[account, contract]) * ledger.lot[contract] * self.mark[contract]
        return int(ledger.tiers[contract].index_of(notional))

    def lots_within(self, contract: int, notional: float) -> int:
        """Most lots whose notional at the mark stays within ``notional``."""
        lot_value = self.ledger.lot[contract] * self.mark[contract]
        return max(0, math.floor(notional / lot_value + 1e-9))

    # ---- actions ------------------------------------------------------------------------------
    def reduce_at_market(
        self, account: int, contract: int, lots: int, tif: TimeInForce, step: str
    ) -> int:
        """Send a reduce-only order for ``lots`` limited at the bankruptcy price; charge the
        clearance fee on what fills and log the liquidation. Returns the lots filled."""
        ledger, ex = self.ledger, self.exchange
        held = int(ledger.lots[account, contract])
        side = 1 if held > 0 else -1
        bp = self.bankruptcy(account, contract)
        tick = ex.contracts[contract].tick_size
        # the order sells a long (buys back a short) at no worse than the bankruptcy price
        limit = math.ceil(bp / tick - 1e-9) if side > 0 else math.floor(bp / tick + 1e-9)
        limit = max(1, limit)
        result = ex.submit(
            account,
            contract,
            -side,
            min(lots, abs(held)),
            limit,
            tif,
            reduce_only=True,
            check_margin=False,
            fee_rate=0.0,
            release_margin=False,
        )
        if not result.filled_qty:
            return 0
        qty = result.filled_qty * ledger.lot[contract]
        price = sum(f.price * f.qty for f in result.fills) / result.filled_qty * tick
        fee = self.clearance_fee(account, contract, qty * price)
        still_open = ledger.lots[account, contract] != 0
        self.events.add(
            "liquidation",
            self.t,
            account,
            contract,
            side=side,
            qty=qty,
            notional=qty * price,
            mark_price=float(self.mark[contract]),
            bankruptcy_price=bp,
            fill_price=price,
            fee=fee,
            insurance_change=fee,
            partial=bool(still_open),
            style_step=step,
        )
        return int(result.filled_qty)

    def clearance_fee(self, account: int, contract: int, notional: float) -> float:
        """Charge the clearance fee to the insurance fund, never more than the margin left."""
        rate = self.rules.clearance_fee
        if rate <= 0:
            return 0.0
        equity, _ = self.pool_state(account, contract)
        fee = min(rate * notional, max(0.0, equity))
        if fee > 0:
            self.ledger.charge(account, contract, self.funds.account_of(contract), fee)
        return fee

    def takeover(self, account: int, contract: int, step: str, *, fee: bool = True) -> None:
        """Close the whole position at the bankruptcy price: the fund takes what it may, ADL the
        rest; log it as a full liquidation."""
        ledger, mark = self.ledger, self.mark
        held = int(ledger.lots[account, contract])
        if held == 0:
            return
        side = 1 if held > 0 else -1
        lot = ledger.lot[contract]
        price = float(mark[contract])
        qty = abs(held) * lot
        charged = self.clearance_fee(account, contract, qty * price) if fee else 0.0
        bp = self.bankruptcy(account, contract)
        shortfall = max(0.0, side * qty * (bp - price))
        take, reason = self.funds.absorbable_lots(contract, side, abs(held), shortfall, mark)
        fund = self.funds.account_of(contract)
        surplus = 0.0
        if take:
            ledger.transfer_position(account, fund, contract, side * take, bp)
            surplus = side * take * lot * (price - bp)
            self.events.add(
                "takeover",
                self.t,
                fund,
                contract,
                side=side,
                qty=take * lot,
                notional=take * lot * bp,
                mark_price=price,
                bankruptcy_price=bp,
                fill_price=bp,
                insurance_change=surplus,
                counterparty=account,
                style_step=step,
            )
        rest = abs(held) - take
        if rest:
            adl_price = {"bankruptcy": bp, "mark": price, "index": float(self.prev_index[contract])}
            left = self.adl.deleverage(
                self.t,
                account,
                contract,
                side * rest,
                adl_price[self.venue.adl.price],
                mark,
                reason.replace(" ", "-"),
            )
            if left:  # nobody could take it: the fund must, beyond its limits
                ledger.transfer_position(account, fund, contract, side * left, bp)
                surplus += side * left * lot * (price - bp)
                self.events.add(
                    "takeover",
                    self.t,
                    fund,
                    contract,
                    side=side,
                    qty=left * lot,
                    notional=left * lot * bp,
                    mark_price=price,
                    bankruptcy_price=bp,
                    fill_price=bp,
                    insurance_change=side * left * lot * (price - bp),
                    counterparty=account,
                    style_step=f"{step}:forced",
                )
        self._forfeit_residual(account, contract)
        self.events.add(
            "liquidation",
            self.t,
            account,
            contract,
            side=side,
            qty=qty,
            notional=qty * bp,
            mark_price=price,
            bankruptcy_price=bp,
            fill_price=bp,
            fee=charged,
            insurance_change=charged + surplus,
            partial=False,
            style_step=step,
        )

    def _forfeit_residual(self, account: int, contract: int) -> None:
        """A fully liquidated pool keeps nothing: what is left goes to the fund (a deficit is
        settled by the fund later)."""
        ledger = self.ledger
        fund = self.funds.account_of(contract)
        if ledger.isolated[account, contract]:
            left = float(ledger.iso_margin[account, contract])
        elif not ((ledger.lots[account] != 0) & ~ledger.isolated[account]).any():
            left = float(ledger.wallet[account])
        else:
            return
        if left > 0:
            ledger.charge(account, contract, fund, left)

    def _keep_funds_solvent(self, t: float, mark: np.ndarray) -> None:
        """A fund whose holdings have lost more than its balance deleverages them at its own
        bankruptcy price; what no counterparty takes is dumped into the book at market, and the
        loss that leaves is written off as bad debt by `InsuranceFunds.cover_deficits`."""
        ledger = self.ledger
        for contract, fund in enumerate(self.funds.accounts):
            held = int(ledger.lots[fund, contract])
            if held == 0 or self.funds.equity(contract, mark) >= 0:
                continue
            bp = ledger.bankruptcy_price(fund, contract, mark)
            left = self.adl.deleverage(t, fund, contract, held, bp, mark, "fund-insolvent")
            if left:
                side = 1 if held > 0 else -1
                self.exchange.market(
                    fund, contract, -side, left, reduce_only=True, check_margin=False, fee_rate=0.0
                )

    def audit(self) -> list[str]:
        """Liquidation invariants: no isolated pool below zero once its position is closed."""
        ledger = self.ledger
        bad = (ledger.lots == 0) & (ledger.iso_margin < -1e-6)
        return [f"{int(bad.sum())} closed isolated pools below zero"] if bad.any() else []
