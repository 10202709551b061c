"""The market: the exchange, the spot venues and the prices they make, and the pipeline that
turns a step's trading into index, funding, mark, risk check, liquidations and settlement.

`CascadeModel.step` runs the market's steps in one direction (design.md):

    open (a new step: the last index kept, the value signal where the index is exogenous)
    → traders trade (through `model.gateway`, seeing `model.view`)
    → clear: index from the spot venues, funding, mark, risk check on the mark, liquidations
      (their orders go back into the book: the feedback loop)
    → traders react to the liquidations (herding)
    → settle: insurance fund, ADL and deficits

Agents never hold the market itself: they get a read-only `MarketView` and an `OrderGateway`
bound to their own account. The builders of a population also use the setup methods here
(`open_account`, `transfer_position`), which exist only before a run starts.
"""

from __future__ import annotations

import numpy as np

from model.events import EventLog
from model.exchange import ContractSpec, Exchange
from model.index_price import composite_index
from model.insurance import InsuranceFunds
from model.liquidation import LiquidationEngine
from model.margin import TierTable
from model.pricing import FundingAccumulator, impact_notional, make_mark_price, premium_index
from model.risk import RiskSnapshot, assess
from model.scenario import Scenario
from model.spot import SpotMarkets


class Market:
    """One venue's perpetuals and the spot venues that make their index.

    Args:
        scenario: the contracts, venue rules, index, spot venues and insurance fund.
        events: the run's event log (liquidations, ADL, deficits).
    """

    def __init__(self, scenario: Scenario, events: EventLog) -> None:
        venue = scenario.venue
        self.venue = venue
        specs = [
            ContractSpec(
                c.symbol,
                c.tick_size,
                c.lot_size,
                TierTable.preset(c.tier_table or venue.tier_table),
            )
            for c in scenario.contracts
        ]
        self.n_contracts = len(specs)
        # nobody can hold more leverage on a contract than its first tier allows, whatever was
        # drawn (Hyperliquid: 40x on BTC, 10x on most altcoins); an account's leverage is its
        # wish, capped per contract when the account is opened
        self.leverage_caps = np.array([float(s.tiers.max_leverages[0]) for s in specs])
        self.venue_leverage_cap = float(self.leverage_caps.max())
        self.exchange = Exchange(specs, venue.maker_fee, venue.taker_fee)
        self.ledger = self.exchange.ledger
        self.events = events
        self.time = 0.0
        self.dt = scenario.step  # seconds the current step covers (set by the model each step)
        self._base_step = scenario.step  # the scenario's step: per-step rates are per this long

        initial = np.array([c.initial_price for c in scenario.contracts])
        self.index_price = initial.copy()
        self.prev_index = initial.copy()
        self.spot: SpotMarkets | None = None
        self.index_weights = np.zeros((self.n_contracts, 0))
        # each index source's price at the last publication (None: the venue had none)
        self.index_sources: list[list[float | None]] = [[] for _ in range(self.n_contracts)]
        self._band = scenario.spot.outlier_pct / 100.0
        if scenario.index.mode == "spot":
            self.spot = SpotMarkets(
                [c.tick_size for c in scenario.contracts],
                [c.lot_size for c in scenario.contracts],
                scenario.spot.venues,
                scenario.spot.wide_spread_pct / 100.0,
            )
            self._spot_weights = scenario.spot.weights or [1.0] * scenario.spot.venues
            self.index_weights = np.zeros((self.n_contracts, scenario.spot.venues))
        self.mark = initial.copy()
        self.exchange.mark = self.mark
        self._mark_price = [
            make_mark_price(
                venue.mark.method,
                window_seconds=venue.mark.window_seconds,
                external_index=venue.mark.external == "index",
            )
            for _ in specs
        ]
        f = venue.funding
        self._funding = [
            FundingAccumulator(f.interval_seconds, f.interest, f.clamp, f.cap, f.payout_divisor)
            for _ in specs
        ]
        self.funding_rate = np.zeros(self.n_contracts)
        self._impact_notional = [
            impact_notional(1.0 / s.tiers.tiers[0].max_leverage) for s in specs
        ]
        self.funds = InsuranceFunds(
            self.ledger, self.n_contracts, scenario.insurance_fund.initial, venue.insurance
        )
        self.liquidator = LiquidationEngine(venue, self.exchange, self.funds, self.events)
        self.risk: RiskSnapshot = assess(self.ledger, self.mark)
        # the first event of the step being cleared (the recorder counts the step's events)
        self.step_events_start = 0

    # ---- the pipeline --------------------------------------------------------------------------
    def open(self, t: float, value: np.ndarray, dt: float | None = None) -> None:
        """A new step at time ``t``, ``dt`` seconds long (default: as long as the last): keep
        the last index; with an exogenous index (no spot venues) the index is the value signal
        ``value`` itself."""
        self.time = t
        if dt is not None:
            self.dt = dt
        self.exchange.reset_volume()
        self.prev_index = self.index_price.copy()
        if self.spot is None:
            self.index_price = value.copy()

    def clear(self, t: float) -> list[int]:
        """After the step's trading: index, funding, mark, risk check on the mark and the
        liquidations it calls for. Returns the accounts liquidated in this step."""
        self._publish_index()
        self._fund(t)
        self._update_mark(t)
        self.assess()
        self.step_events_start = start = len(self.events)
        self.liquidator.run(t, self.risk, self.mark, self.index_price, self.prev_index)
        return sorted({e.account for e in self.events.rows_since(start) if e.kind == "liquidation"})

    def assess(self) -> RiskSnapshot:
        """Check every account's margin on the mark now (the step's risk check)."""
        self.risk = assess(self.ledger, self.mark)
        return self.risk

    def settle(self, t: float) -> None:
        """The step's close-outs settle: insurance fund, ADL, deficits."""
        self.liquidator.settle(t, self.mark, self.prev_index, self.dt / self._base_step)

    def _publish_index(self) -> None:
        """The index from the spot venues' prices as they stand after this step's trading."""
        if self.spot is None:
            return
        index = self.index_price.copy()
        for c in range(self.n_contracts):
            self.index_sources[c] = self.spot.prices(c)
            index[c], used = composite_index(
                self.index_sources[c], self._spot_weights, float(index[c]), self._band
            )
            self.index_weights[c] = used
        self.index_price = index

    def _fund(self, t: float) -> None:
        """Sample the premium every step; settle peer to peer when an interval ends."""
        for c, book in enumerate(self.exchange.books):
            acc = self._funding[c]
            bid = book.impact_price(-1, self._impact_notional[c])
            ask = book.impact_price(1, self._impact_notional[c])
            if bid is not None and ask is not None:
                acc.sample(t, self.dt, premium_index(bid, ask, float(self.index_price[c])))
            if acc.due(t + self.dt):
                rate = acc.settle(t + self.dt)
                self.funding_rate[c] = rate
                self.ledger.settle_funding(c, rate, float(self.mark[c]))

    def predicted_funding_rate(self) -> np.ndarray:
        """The funding rate of every contract if its interval ended now (venues publish it)."""
        return np.array([acc.predicted_rate() for acc in self._funding])

    def funding_interval(self, contract: int) -> float:
        """Seconds between funding payments on ``contract``."""
        return float(self._funding[contract].interval_seconds)

    def _update_mark(self, t: float) -> None:
        for c, book in enumerate(self.exchange.books):
            tick = self.exchange.contracts[c].tick_size
            bid, ask, last = book.best_bid(), book.best_ask(), book.last_price
            acc = self._funding[c]
            self.mark[c] = self._mark_price[c].update(
                t,
                float(self.index_price[c]),
                None if bid is None else bid * tick,
                None if ask is None else ask * tick,
                None if last is None else last * tick,
                acc.last_rate,
                acc.time_to_funding(t),
                acc.interval_seconds,
            )

    # ---- set-up, before a run ------------------------------------------------------------------
    def open_account(self, capital: float, isolated: bool = False, leverage: float = 10.0) -> int:
        """A new exchange account with ``capital`` USDT deposited; its index. Its leverage on
        each contract is ``leverage``, capped by that contract's first tier."""
        capped = [min(leverage, cap) for cap in self.leverage_caps.tolist()]
        return self.ledger.open_account(capital, isolated=isolated, leverage=capped)

    def transfer_position(
        self, source: int, target: int, contract: int, lots: int, entry: float
    ) -> None:
        """Move a position of ``lots`` (signed, as ``target`` will hold it) from ``source`` to
        ``target`` off the book at ``entry``: open interest that exists before the run."""
        self.ledger.transfer_position(source, target, contract, lots, entry)

    # ---- checks --------------------------------------------------------------------------------
    def audit(self) -> list[str]:
        """Every broken invariant of the exchange, the funds, the engine and the spot venues."""
        problems = self.ledger.audit(self.mark)
        problems += self.funds.audit()
        problems += self.liquidator.audit()
        if self.spot is not None:
            problems += self.spot.audit()
        return problems
