"""The Mesa model: one market, its traders, and the liquidation feedback loop.

Each step of simulated time flows one way (design.md), and `CascadeModel.step` reads as that:

    value signal moves → spot venues trade → traders act on the perpetual (orders through their
    gateways; the book matches and fills settle in the ledger at once) → the market clears:
    index from the spot venues, funding (when due), mark price, risk check on mark, liquidations
    (orders back into the book: the feedback loop) → herding panic → the market settles:
    insurance fund / ADL, deficits → record

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

from agents.population import Population
from model.cascades import find_cascades
from model.events import EventLog
from model.fundamental import FundamentalValue, Shock
from model.gateway import MarketAccess
from model.market import Market
from model.randomness import RandomStreams
from model.recorder import AccountSnapshots, Recorder
from model.risk import RiskSnapshot, liquidation_distance
from model.scenario import Scenario, scenario_from_keywords
from model.stepping import StepPolicy
from model.view import MarketView

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
        self.venue = scenario.venue
        self.events = EventLog()
        self.market = market = Market(scenario, self.events)
        self.n_contracts = market.n_contracts
        # nobody can hold more leverage than the venue's first tier allows, whatever was drawn
        self.leverage_cap = min(scenario.population.max_leverage, market.venue_leverage_cap)
        # market makers and arbitrageurs: the venue's cap, and the scenario's if it says so
        self.provider_leverage_cap = (
            self.leverage_cap if scenario.population.cap_providers else market.venue_leverage_cap
        )
        # the market's objects, by their usual names (tests, notebooks and the dashboard read them)
        self.exchange = market.exchange
        self.ledger = market.ledger
        self.spot = market.spot
        self.funds = market.funds
        self.liquidator = market.liquidator
        self.mark = market.mark
        self.funding_rate = market.funding_rate
        self.index_weights = market.index_weights
        self.index_sources = market.index_sources

        initial = np.array([c.initial_price for c in scenario.contracts])
        idx = scenario.index
        self.fundamental_process = FundamentalValue(
            initial,
            volatility=np.array([c.volatility for c in scenario.contracts]) / np.sqrt(YEAR_SECONDS),
            correlation=idx.correlation,
            betas=idx.betas,
            jump_intensity=idx.jump_intensity / 86_400.0,
            jump_mean=idx.jump_mean,
            jump_std=idx.jump_std,
            shocks=[Shock(s.start, s.duration, s.change_pct, s.contracts) for s in idx.shocks],
            replay=idx.replay,
            rng=self.streams["fundamental"],
        )
        self.fundamental = initial.copy()
        self.insurance_fund_start = self.funds.total_balance()

        self.view = MarketView(market)
        self.view.value = self.fundamental
        # what builders of traders get: the view, accounts to open (with their gateways), caps
        self.access = MarketAccess(market, self.view, self.leverage_cap, self.provider_leverage_cap)
        self.population = Population(self, self.access, scenario, self.streams)
        market.assess()  # the first risk check, on the positions the population opened
        self.recorder = Recorder(self)
        self.datacollector = self.recorder.datacollector
        self.snapshots = AccountSnapshots(self, scenario.account_snapshot_every)
        self.stepping = StepPolicy(
            scenario,
            lambda material: liquidation_distance(
                market.ledger, market.risk, market.mark, material
            ),
        )
        self.running = True

    # ---- the step ----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the market by one step: ``scenario.step`` seconds, or several of them when
        adaptive steps find nothing happening (`model.stepping`)."""
        t = self.clock
        market = self.market
        dt = self.stepping.next(t, self.events, market.mark, market.index_price)
        self.fundamental = self.fundamental_process.step(t, dt)
        self.view.value = self.fundamental
        market.open(t, self.fundamental, dt)
        self.population.trade_spot(t)
        self.population.trade_perp(t)  # orders → matching → fills settled inside the exchange
        liquidated = market.clear(t)
        # herding reacts to this step's liquidations before the fund settles the step, so the
        # deficits that panic closes leave are covered in the step that made them
        self.population.react(liquidated)
        market.settle(t)
        self.clock = t + dt
        self.recorder.record(market.step_events_start)
        self.snapshots.maybe_record(self.clock)
        if self.audit:
            self.check_invariants()
        if self.clock >= self.config.duration - 1e-9 * max(1.0, self.config.duration):
            self.running = False

    # ---- the market's state, by its usual names -------------------------------------------------
    @property
    def index_price(self) -> np.ndarray:
        """Index price of every contract (USDT)."""
        return self.market.index_price

    @index_price.setter
    def index_price(self, value: np.ndarray) -> None:
        self.market.index_price = value

    @property
    def prev_index(self) -> np.ndarray:
        """The index at the end of the previous step."""
        return self.market.prev_index

    @property
    def risk(self) -> RiskSnapshot:
        """The last risk check on the mark."""
        return self.market.risk

    @risk.setter
    def risk(self, value: RiskSnapshot) -> None:
        self.market.risk = value

    @property
    def conservation_error_max(self) -> float:
        """The largest relative conservation error recorded so far."""
        return self.recorder.conservation_error_max

    # ---- running and results -------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run every step of the scenario; ``progress`` is called with the step count."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.steps)

    def check_invariants(self) -> None:
        """Raise `InvariantViolation` if any exchange invariant is broken now."""
        problems = self.market.audit()
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
