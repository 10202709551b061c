"""What every liquidation style shares: the pool a position draws on, orders at the bankruptcy
price, clearance fees, insurance-fund takeover and the hand-over to ADL.

Liquidation orders are real orders in the same book as everyone else's. They are reduce-only and
limited at the bankruptcy price, so they take any liquidity better than bankruptcy (moving the
last price: the feedback loop) and never push an account below zero; what cannot be sold that
way is taken over by the insurance fund at the bankruptcy price, and what the fund may not take
goes to ADL.
"""

from __future__ import annotations

import numpy as np

from model import pools
from model.adl import AutoDeleverager
from model.closeout import close_at_bankruptcy, log_closeout
from model.events import EventLog
from model.exchange import Exchange
from model.insurance import InsuranceFunds
from model.liquidation.base import LiquidationOps, Moment, Position, Style
from model.liquidation.styles import make_style
from model.orderbook import OrderBook
from model.orders import TimeInForce
from model.risk import RiskSnapshot
from model.venue import LiquidationRules, Venue


class StyleGateway:
    """The engine as a liquidation style sees it (`LiquidationOps`): the few actions and
    queries a style needs, each on a `Position`, and nothing else of the exchange or ledger.

    Args:
        engine: the engine whose actions the gateway forwards.
    """

    __slots__ = ("_engine",)

    def __init__(self, engine: LiquidationEngine) -> None:
        self._engine = engine

    @property
    def rules(self) -> LiquidationRules:
        return self._engine.rules

    def pool_state(self, position: Position, mark: np.ndarray) -> tuple[float, float]:
        return self._engine.pool_state(position.account, position.contract, mark)

    def breached(self, position: Position, mark: np.ndarray) -> bool:
        return self._engine.breached(position.account, position.contract, mark)

    def book(self, contract: int) -> OrderBook:
        return self._engine.exchange.books[contract]

    def tick_size(self, contract: int) -> float:
        return self._engine.exchange.contracts[contract].tick_size

    def reduce_at_market(
        self, position: Position, lots: int, tif: TimeInForce, step: str, now: Moment
    ) -> int:
        return self._engine.reduce_at_market(
            position.account, position.contract, lots, tif, step, now
        )

    def close_out(
        self, position: Position, order_step: str, takeover_step: str, now: Moment, *, fee: bool
    ) -> None:
        self._engine.close_out(
            position.account, position.contract, order_step, takeover_step, now, fee=fee
        )

    def takeover(self, position: Position, step: str, now: Moment, *, fee: bool) -> None:
        self._engine.takeover(position.account, position.contract, step, now, fee=fee)


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
        self.venue = venue
        self.rules = venue.liquidation
        self.exchange = exchange
        self.ledger = exchange.ledger
        self.funds = funds
        self.events = events
        self.adl = AutoDeleverager(exchange, venue.adl, events)
        self.style: Style = make_style(self.rules)
        self.gateway: LiquidationOps = StyleGateway(self)
        self.bad_debt = 0.0
        # the impact-free ablation closes against an outside party instead of the book
        self.outside: int | None = None
        if self.rules.impact == "off_book":
            self.outside = self.ledger.open_account(0.0, system=True)

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
        now = Moment(t, mark, prev_index)
        for account, contract in risk.isolated_breaches:
            self.liquidate(int(account), int(contract), now)
        ledger = self.ledger
        for account in risk.cross_breaches:
            account = int(account)
            cross = np.flatnonzero((ledger.lots[account] != 0) & ~ledger.isolated[account])
            notional = ledger.notional(mark, np.array([account]))[0, cross]
            for contract in cross[np.argsort(-notional, kind="stable")]:
                if not self.breached(account, int(contract), mark):
                    break
                self.liquidate(account, int(contract), now)

    def liquidate(self, account: int, contract: int, now: Moment) -> None:
        """Liquidate one breached position by the venue's style. The account's resting orders
        are cancelled first, here and once for every style (each venue does so before it
        liquidates, spec §3), so no style has to reach the exchange for it."""
        self.exchange.cancel_all(account)
        self.style.liquidate(self.gateway, Position(self.ledger, account, contract), now)

    def settle(
        self,
        t: float,
        mark: np.ndarray,
        prev_index: np.ndarray | None = None,
        steps: float = 1.0,
    ) -> None:
        """After liquidations: offload fund holdings, keep funds solvent, settle deficits.
        ``steps``: how many of the scenario's steps this (adaptive) step covers."""
        now = Moment(t, mark, mark if prev_index is None else prev_index)
        self.funds.offload(t, self.exchange, self.events, mark, self.outside, steps)
        self._keep_funds_solvent(now)
        self.bad_debt += self.funds.cover_deficits(t, self.events)
        self.funds.record(t)

    # ---- state of a position ------------------------------------------------------------------
    def pool_state(self, account: int, contract: int, mark: np.ndarray) -> tuple[float, float]:
        """(margin balance, maintenance margin) of the pool a position draws on, at the mark."""
        return pools.pool_state(self.ledger, account, contract, mark)

    def breached(self, account: int, contract: int, mark: np.ndarray) -> bool:
        """Position open and its pool at or below maintenance margin."""
        if self.ledger.lots[account, contract] == 0:
            return False
        equity, mm = self.pool_state(account, contract, mark)
        return equity <= mm

    def adl_price(self, contract: int, bankruptcy: float, now: Moment) -> float:
        """The price ADL closes at on this venue (spec §5): the bankruptcy price of the
        liquidated order, the mark, or the previous index (Hyperliquid's oracle)."""
        rule = self.venue.adl.price
        if rule == "mark":
            return float(now.mark[contract])
        if rule == "index":
            return float(now.prev_index[contract])
        return bankruptcy

    # ---- actions ------------------------------------------------------------------------------
    def reduce_at_market(
        self, account: int, contract: int, lots: int, tif: TimeInForce, step: str, now: Moment
    ) -> int:
        """Send a reduce-only order for ``lots`` limited at the bankruptcy price; charge the
        clearance fee on what fills and log the liquidation. Returns the lots filled."""
        close = close_at_bankruptcy(
            self.exchange, account, contract, lots, tif, now.mark, self.outside
        )
        if not close.lots:
            return 0
        fee = self.clearance_fee(account, contract, close.notional, now.mark)
        log_closeout(
            self.events,
            "liquidation",
            now.t,
            account,
            contract,
            close,
            now.mark,
            fee=fee,
            insurance_change=fee,
            partial=bool(self.ledger.lots[account, contract] != 0),
            style_step=step,
            closed_by="book" if self.outside is None else "outside",
        )
        return close.lots

    def close_out(
        self,
        account: int,
        contract: int,
        order_step: str,
        takeover_step: str,
        now: Moment,
        *,
        fee: bool = True,
    ) -> None:
        """Close the whole position: one reduce-only IOC order for all of it into the book,
        limited at the bankruptcy price, and a takeover at the bankruptcy price of whatever the
        book could not absorb within that limit (the fund or ADL). The clearance fee is charged
        on what fills and, with ``fee``, on what is taken over."""
        held = abs(int(self.ledger.lots[account, contract]))
        if held:
            self.reduce_at_market(account, contract, held, TimeInForce.IOC, order_step, now)
        if self.ledger.lots[account, contract] != 0:
            self.takeover(account, contract, takeover_step, now, fee=fee)

    def clearance_fee(
        self, account: int, contract: int, notional: float, mark: np.ndarray
    ) -> float:
        """Charge the clearance fee to the insurance fund, never more than the margin left."""
        rate = self.rules.clearance_fee
        if rate <= 0:
            return 0.0
        equity, _ = self.pool_state(account, contract, mark)
        fee = min(rate * notional, max(0.0, equity))
        if fee > 0:
            self.ledger.charge(account, contract, self.funds.account_of(contract), fee)
        return fee

    def takeover(
        self, account: int, contract: int, step: str, now: Moment, *, fee: bool = True
    ) -> None:
        """Close the whole position at the bankruptcy price: the fund takes what it can and may,
        ADL the rest; log it as a full liquidation."""
        ledger, mark = self.ledger, now.mark
        held = int(ledger.lots[account, contract])
        if held == 0:
            return
        side = 1 if held > 0 else -1
        if side > 0 and not ledger.bankruptcy_price(account, contract, mark) > 0.0:
            # what is left of a long whose close-out mostly filled well above its bankruptcy
            # price: the margin left covers it even at a price of zero, so it is not bankrupt
            # and nobody takes it over (a takeover at 0 would hand the fund the position for
            # nothing); the owner keeps it, no longer in breach
            return
        lot = float(ledger.lot[contract])
        price = float(mark[contract])
        qty = abs(held) * lot
        charged = self.clearance_fee(account, contract, qty * price, mark) if fee else 0.0
        bp = ledger.bankruptcy_price(account, contract, mark)
        if side < 0 and not bp > 0.0:
            # a short whose margin is below −entry × qty (its cross account's other positions
            # lost more than this short could ever earn): no price above zero brings the
            # margin to zero, so it goes to the fund at the mark and the account's loss is
            # settled as a deficit once it is flat (`InsuranceFunds.cover_deficits`)
            bp = price
        per_lot = max(0.0, side * lot * (bp - price))  # the fund's loss at the mark, per lot
        equity = self.funds.equity(contract, mark)
        if self.venue.adl.ranking == "minimal":  # the fund takes it all; only insolvency is shared
            take, reason = abs(held), ""
        else:
            take, reason = self.funds.absorbable_lots(
                contract, side, abs(held), per_lot * abs(held), mark
            )
        surplus = self._to_fund(account, contract, side * take, bp, step, now) if take else 0.0
        rest = abs(held) - take
        if rest:
            needed = max(0.0, rest * per_lot - max(0.0, equity - take * per_lot))
            self._log_shortfall(account, contract, side, needed, reason, now)
            if self.adl.closes_positions:
                left = self.adl.deleverage(
                    now.t,
                    account,
                    contract,
                    side * rest,
                    self.adl_price(contract, bp, now),
                    mark,
                    reason.replace(" ", "-"),
                )
            else:
                left = rest
            if left:  # nobody's position closed against it: the fund must hold it
                surplus += self._to_fund(account, contract, side * left, bp, f"{step}:forced", now)
                if not self.adl.closes_positions:
                    self.adl.haircut(
                        now.t,
                        self.funds.account_of(contract),
                        contract,
                        side,
                        rest * per_lot,
                        mark,
                        reason.replace(" ", "-"),
                    )
        self._forfeit_residual(account, contract)
        self.events.add(
            "liquidation",
            now.t,
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
            closed_by="fund",
        )

    def _to_fund(
        self, account: int, contract: int, lots: int, bp: float, step: str, now: Moment
    ) -> float:
        """Move ``lots`` (signed, as held) to the fund at the bankruptcy price; returns the
        fund's gain at the mark (negative: the shortfall it took)."""
        fund = self.funds.account_of(contract)
        side = 1 if lots > 0 else -1
        qty = abs(lots) * float(self.ledger.lot[contract])
        price = float(now.mark[contract])
        self.ledger.transfer_position(account, fund, contract, lots, bp)
        surplus = side * qty * (price - bp)
        self.events.add(
            "takeover",
            now.t,
            fund,
            contract,
            side=side,
            qty=qty,
            notional=qty * bp,
            mark_price=price,
            bankruptcy_price=bp,
            fill_price=bp,
            insurance_change=surplus,
            counterparty=account,
            style_step=step,
        )
        return surplus

    def _log_shortfall(
        self, account: int, contract: int, side: int, needed: float, cause: str, now: Moment
    ) -> None:
        """Record a loss handed to ADL and the part of it the venue could not cover itself."""
        self.events.add(
            "shortfall",
            now.t,
            account,
            contract,
            side=side,
            notional=needed,
            mark_price=float(now.mark[contract]),
            style_step=f"adl:{self.venue.adl.ranking}:{cause.replace(' ', '-')}",
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

    def _keep_funds_solvent(self, now: Moment) -> None:
        """A fund whose holdings have lost more than its balance is deleveraged at the venue's
        ADL price (both sides realise their PnL there), or under a haircut policy the winners
        pay the deficit from their profit; what no counterparty takes is dumped into the book at
        market, and the loss left is written off as bad debt by
        `InsuranceFunds.cover_deficits`."""
        ledger, mark = self.ledger, now.mark
        for contract, fund in enumerate(self.funds.accounts):
            held = ledger.lots.item(fund, contract)
            if held == 0:  # nothing held, nothing to lose (most steps)
                continue
            equity = self.funds.equity(contract, mark)
            if equity >= 0:
                continue
            side = 1 if held > 0 else -1
            self._log_shortfall(fund, contract, side, -equity, "fund-insolvent", now)
            if not self.adl.closes_positions:
                short = self.adl.haircut(
                    now.t, fund, contract, side, -equity, mark, "fund-insolvent"
                )
                left = abs(held) if short > 0 else 0  # winners' profit ran out: sell it all
            else:
                bp = ledger.bankruptcy_price(fund, contract, mark)
                price = self.adl_price(contract, bp, now)
                left = self.adl.deleverage(
                    now.t, fund, contract, held, price, mark, "fund-insolvent"
                )
            if left:
                self.exchange.market(
                    fund, contract, -side, left, reduce_only=True, check_margin=False, fee_rate=0.0
                )

    def audit(self) -> list[str]:
        """Liquidation invariants: no isolated pool below zero once its position is closed."""
        ledger = self.ledger
        bad = (ledger.lots == 0) & (ledger.iso_margin < -1e-6)
        return [f"{int(bad.sum())} closed isolated pools below zero"] if bad.any() else []
