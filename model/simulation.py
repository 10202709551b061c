"""The Mesa model: one exchange, its traders, and the liquidation feedback loop.

Each step of simulated time flows one way (design.md):

    fundamental value moves → spot venues trade → traders act on the perpetual (orders; basis
    arbitrageurs trade perpetual against spot) → book matches → fills settle in the ledger →
    index from the spot venues → funding (when due) → mark price → risk check on mark →
    liquidations (orders back into the book: the feedback loop) → herding panic → insurance
    fund / ADL, deficits → record

The loop that turns a price move into a cascade is visible here: liquidation orders move the
perpetual's last price and book; arbitrageurs buy what liquidations sell and sell it on the spot
venues, which moves the index; the next step's mark price follows both, and the next risk check
finds the accounts that move pushed under maintenance margin. With ``index.mode = "exogenous"``
the index is the fundamental value and only the perpetual's own prices feed back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.experimental.scenarios import Scenario as MesaScenario

from model.cascades import find_cascades
from model.events import EventLog
from model.exchange import ContractSpec, Exchange
from model.fundamental import FundamentalValue, Shock
from model.index_price import composite_index
from model.insurance import InsuranceFunds
from model.liquidation import LiquidationEngine
from model.margin import TierTable
from model.pricing import FundingAccumulator, impact_notional, make_mark_price, premium_index
from model.randomness import RandomStreams
from model.recorder import AccountSnapshots, Recorder
from model.risk import RiskSnapshot, assess
from model.scenario import Scenario, scenario_from_keywords
from model.spot import SpotMarkets

YEAR_SECONDS = 365.0 * 86_400.0


class InvariantViolation(AssertionError):
    """Raised in audit mode when an invariant of the exchange breaks."""


class CascadeModel(mesa.Model):
    """A perpetual-futures exchange with leveraged traders, built from a `Scenario`.

    Mesa's tools build a model from keyword arguments (SolaraViz's model_params, batch_run's
    parameters): ``CascadeModel(preset="flash-crash", **{"population.long_bias": 0.8})``.

    Args:
        scenario: everything the run needs (see `model.scenario.Scenario`).
        rng: seed, `SeedSequence` or Generator; None uses ``scenario.seed``.
        audit: check every invariant after every step and raise `InvariantViolation`.
        preset: a preset name or TOML path, loaded when no ``scenario`` is given.
        **settings: dotted keys (as ``--set``) applied on top of the scenario or preset.
    """

    def __init__(
        self,
        scenario: Scenario | MesaScenario | None = None,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        audit: bool = False,
        *,
        preset: str | Path | None = None,
        **settings: Any,
    ) -> None:
        if isinstance(scenario, MesaScenario):
            # SolaraViz's Reset passes Mesa's own Scenario under Mesa's reserved name: its
            # fields are settings, its rng the seed.
            fields = dict(scenario)
            mesa_rng = fields.pop("rng", None)
            rng = mesa_rng if rng is None else rng
            settings = {**fields, **settings}
            scenario = None
        scenario = scenario_from_keywords(scenario, preset, settings)
        super().__init__(rng=scenario.seed if rng is None else rng)
        self.config = scenario
        self.seed = scenario.seed if rng is None else rng
        # what the run draws as it goes comes from streams of its own (common random numbers)
        self.streams = RandomStreams(self.rng)
        self.audit = audit
        self.dt = scenario.step
        self.clock = 0.0
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
        # nobody can hold more leverage than the venue's first tier allows, whatever was drawn
        venue_cap = min(float(s.tiers.max_leverages[0]) for s in specs)
        self.leverage_cap = min(scenario.population.max_leverage, venue_cap)
        # market makers and arbitrageurs: the venue's cap, and the scenario's if it says so
        self.provider_leverage_cap = (
            self.leverage_cap if scenario.population.cap_providers else venue_cap
        )
        self.exchange = Exchange(specs, venue.maker_fee, venue.taker_fee)
        self.ledger = self.exchange.ledger
        self.events = EventLog()

        initial = np.array([c.initial_price for c in scenario.contracts])
        idx = scenario.index
        self.fundamental_process = FundamentalValue(
            initial,
            volatility=np.array([c.volatility for c in scenario.contracts]) / np.sqrt(YEAR_SECONDS),
            correlation=idx.correlation,
            jump_intensity=idx.jump_intensity / 86_400.0,
            jump_mean=idx.jump_mean,
            jump_std=idx.jump_std,
            shocks=[Shock(s.start, s.duration, s.change_pct, s.contracts) for s in idx.shocks],
            replay=idx.replay,
            rng=self.streams["fundamental"],
        )
        self.fundamental = initial.copy()
        self.index_price = initial.copy()
        self.prev_index = initial.copy()
        self.spot: SpotMarkets | None = None
        self.index_weights = np.zeros((self.n_contracts, 0))
        # each index source's price at the last publication (None: the venue had none)
        self.index_sources: list[list[float | None]] = [[] for _ in range(self.n_contracts)]
        if idx.mode == "spot":
            self.spot = SpotMarkets(
                [c.tick_size for c in scenario.contracts],
                [c.lot_size for c in scenario.contracts],
                scenario.spot.venues,
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
        self.insurance_fund_start = self.funds.total_balance()
        self.liquidator = LiquidationEngine(venue, self.exchange, self.funds, self.events)

        # Imported here: agents depend on the model, not the other way round.
        from agents.population import Population

        self.population = Population(self, scenario)
        self.risk: RiskSnapshot = assess(self.ledger, self.mark)
        self.recorder = Recorder(self)
        self.datacollector = self.recorder.datacollector
        self.snapshots = AccountSnapshots(self, scenario.account_snapshot_every)
        self.conservation_error_max = 0.0
        self.running = True

    # ---- the step ----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the market by one step of ``scenario.step`` seconds."""
        t = self.clock
        self.exchange.reset_volume()
        self._move_fundamental(t)
        self.population.act_on_spot(t)
        self.population.act(t)  # orders → matching → fills settled inside the exchange
        self._publish_index()
        self._fund(t)
        self._update_mark(t)
        self.risk = assess(self.ledger, self.mark)
        n_events = len(self.events)
        self.liquidator.run(t, self.risk, self.mark, self.index_price, self.prev_index)
        # herding reacts to this step's liquidations before the fund settles the step, so the
        # deficits that panic closes leave are covered in the step that made them
        self.population.after_liquidations(t, self.events, n_events)
        self.liquidator.settle(t, self.mark, self.prev_index)
        self.clock = t + self.dt
        self.recorder.record(n_events)
        self.snapshots.maybe_record(self.clock)
        if self.audit:
            self.check_invariants()
        if self.steps >= self.config.n_steps:
            self.running = False

    def _move_fundamental(self, t: float) -> None:
        self.prev_index = self.index_price.copy()
        self.fundamental = self.fundamental_process.step(t, self.dt)
        if self.spot is None:  # the exogenous index: the fundamental value itself
            self.index_price = self.fundamental.copy()

    def _publish_index(self) -> None:
        """The index from the spot venues' prices as they stand after this step's trading."""
        if self.spot is None:
            return
        band = self.config.spot.outlier_pct / 100.0
        index = self.index_price.copy()
        for c in range(self.n_contracts):
            self.index_sources[c] = self.spot.prices(c)
            index[c], used = composite_index(
                self.index_sources[c], self._spot_weights, float(index[c]), band
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

    # ---- running and results -------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run every step of the scenario; ``progress`` is called with the step count."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.steps)

    def check_invariants(self) -> None:
        """Raise `InvariantViolation` if any exchange invariant is broken now."""
        problems = self.ledger.audit(self.mark)
        problems += self.funds.audit()
        problems += self.liquidator.audit()
        if self.spot is not None:
            problems += self.spot.audit()
        if problems:
            raise InvariantViolation(f"t={self.clock:.1f}s: " + "; ".join(problems))

    @property
    def margin_ratio(self) -> np.ndarray:
        """Margin ratio (MM / margin balance) of every account at this step's risk check."""
        return self.risk.margin_ratio

    def accounts_frame(self) -> pd.DataFrame:
        """Per-position snapshots: margin ratio and ADL lights (see `model.recorder`)."""
        return self.snapshots.frame()

    def cascades_frame(self) -> pd.DataFrame:
        """One row per cascade of linked liquidations (see `model.cascades`). The event log is
        left as it is: `model.cascades.find_cascades` gives the events tagged with their
        cascade as well."""
        return find_cascades(self.events.to_frame(), self.config.cascade_window).table
