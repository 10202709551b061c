"""The traders of a scenario: who they are, and who acts in a step (sparse activation).

`Population` builds the kinds of trader (`agents.builders` draws the leveraged crowd and puts
the starting positions in place) and schedules them; what each kind decides lives in its own
module. Every step, on spot: makers requote around their estimate of value, a Poisson-thinned
handful of noise traders send orders, value traders trade wide gaps, flow shocks on spot send
their share. On the perpetual: market makers requote around their shared fair price,
arbitrageurs check the basis, flow shocks and the noise demand trade, a Poisson-thinned handful
of noise and momentum traders act, value funds' investors move money, strategy traders
rebalance, and the crowd's defences (stops on the last price, margin top-ups, size cuts on the
margin ratio) are checked for all leveraged traders at once on arrays, so only the traders
whose trigger fired run any Python; then new entrants take vacated places. After the
liquidations of a step, herding lets neighbours of liquidated traders panic. When the makers
learn prices from flow (the flow mode: the default, ``prices.makers_know_value`` unset or
false), patient traders keep a latent
book far from the price on the perpetual (`agents.latent`), right after the arbitrageurs, and
informed traders on the perpetual (`agents.informed_perp`, none by default) act after the
perpetual's flow shocks.

The model reads the population only through `measures` and `account_kinds`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import mesa
import numpy as np

from agents import leveraged as crowd_rules
from agents import price_formation, strategies
from agents.arbitrageur import Arbitrageur
from agents.belief import FlowBelief
from agents.builders import leveraged_crowd, lognormal, open_positions
from agents.crowd import HOLD, VALUE, Crowd
from agents.flow_shock import FlowTrader
from agents.fund_flows import FundFlows
from agents.herding import HerdNetwork
from agents.history import PriceHistory
from agents.informed_perp import InformedPerpTrader
from agents.market_maker import FairValue, MarketMaker
from agents.momentum import MomentumTrader
from agents.noise import NoiseTrader
from agents.noise_demand import NoiseDemand
from agents.spot_maker import SpotMaker
from agents.spot_trader import NOISE_CAPITAL as SPOT_NOISE_CAPITAL
from agents.spot_trader import NOISE_RATE as SPOT_NOISE_RATE
from agents.spot_trader import VALUE_RATE as SPOT_VALUE_RATE
from agents.spot_trader import SpotTrader
from agents.strategies import share_at_cap
from agents.trader import Trader
from model.gateway import MarketAccess
from model.randomness import RandomStreams
from model.scenario import Scenario

NOISE_RATE = 0.05  # actions per second per noise trader
MOMENTUM_RATE = 0.03
MOMENTUM_LOOKBACK = 30.0  # seconds
MAKER_CAPITAL = 5_000_000.0
YEAR_SECONDS = 365.0 * 86_400.0
SMALL_CROWD = 2_000  # up to this many traders of a kind, activation draws one uniform each


class Population:
    """Builds and schedules the traders of a scenario.

    Args:
        model: the Mesa model the agents belong to.
        access: the market's view, account opening and leverage caps.
        scenario: the scenario (its population, contracts and spot settings).
        streams: the run's random streams (one per source of chance).
    """

    def __init__(
        self, model: mesa.Model, access: MarketAccess, scenario: Scenario, streams: RandomStreams
    ) -> None:
        self._model = model
        self.view = view = access.view
        self.streams = streams
        self.settings = pop = scenario.population
        rng = model.rng
        n_contracts = view.n_contracts
        self.n_contracts = n_contracts
        self.dt = scenario.step
        contracts = scenario.contracts
        calm_vol = np.array([c.volatility / math.sqrt(YEAR_SECONDS) * 1e4 for c in contracts])
        depth = np.array([c.depth_scale for c in contracts])

        rules = price_formation.withdrawal_rules(scenario)  # None: the scripted baseline
        informed, informed_capital = price_formation.informed_rules(scenario)
        self.fair = FairValue(n_contracts, self.dt)
        self.makers = [
            MarketMaker(
                model,
                access,
                MAKER_CAPITAL * float(depth.max()),
                calm_vol,
                depth,
                self.fair,
                rules,
            )
            for _ in range(pop.market_makers)
        ]
        arb = pop.arbitrage
        prices = [c.initial_price for c in contracts]
        self.arbitrageurs = [
            Arbitrageur(
                model,
                access,
                arb.capital * float(depth.max()),
                arb.leverage,
                arb.edge_bps,
                arb.delay,
                arb.replenish_rate,
                prices,
            )
            for _ in range(pop.arbitrageurs)
        ]
        # flow mode: patient limit orders far from the price (the latent book)
        self.latent = price_formation.latent_book(model, access, scenario, prices)
        self.spot_makers: list[SpotMaker] = []
        self.spot_noise: list[SpotTrader] = []
        self.spot_value: list[SpotTrader] = []
        if view.spot is not None:
            sp = scenario.spot
            self.spot_makers = [
                SpotMaker(
                    model,
                    access,
                    c,
                    v,
                    prices[c],
                    sp.depth_scale * float(depth[c]),
                    rules,
                    float(calm_vol[c]),
                )
                for c in range(n_contracts)
                for v in range(sp.venues)
                for _ in range(sp.makers_per_venue)
            ]
            self.spot_noise = [
                SpotTrader(model, access, SPOT_NOISE_CAPITAL, prices, value=False)
                for _ in range(sp.noise)
            ]
            self.spot_value = [
                SpotTrader(
                    model,
                    access,
                    informed_capital,
                    prices,
                    value=True,
                    informed=informed,
                )
                for _ in range(sp.value_traders)
            ]
        self.spot_estimate = price_formation.maker_estimate(
            access, scenario, self.spot_makers, prices
        )
        if isinstance(self.spot_estimate, FlowBelief):  # one belief for both markets
            self.fair.belief = self.spot_estimate
        for maker in self.spot_makers:
            maker.estimate = self.spot_estimate
        self.flows = [
            FlowTrader(model, access, shock, contracts[shock.contract].initial_price)
            for shock in scenario.flow_shocks
        ]
        demand = pop.noise_demand
        self.noise_demand = (
            [NoiseDemand(model, access, c, demand.std, demand.halflife) for c in range(n_contracts)]
            if demand.std > 0
            else []
        )
        self.noise = [
            NoiseTrader(model, access, float(c), leverage=5.0)
            for c in lognormal(rng, 20_000.0, 0.5, pop.noise)
        ]
        self.momentum = [
            MomentumTrader(model, access, float(c), leverage=10.0)
            for c in lognormal(rng, pop.capital.median, pop.capital.sigma, pop.momentum)
        ]
        self.crowd = Crowd(pop.leveraged + pop.whales)
        self.leveraged = leveraged_crowd(model, access, scenario, pop.leveraged, self.crowd, 0)
        self.leveraged += leveraged_crowd(
            model, access, scenario, pop.whales, self.crowd, pop.leveraged, whales=True
        )
        holders = [t for t in self.leveraged if self.crowd.strategy[t.slot] == HOLD]
        self.carry, self.hedgers = open_positions(
            model, access, scenario, holders, self.noise_demand
        )
        # carry traders who size their position by funding and basis (none by default)
        self.carry_acting = price_formation.carry_traders(self.carry, scenario)
        self.by_account = {t.account: t for t in (*self.leveraged, *self.momentum)}
        self.value_slots = np.flatnonzero(self.crowd.strategy == VALUE)  # strategies never change
        st = pop.strategies
        self.fund_flows = FundFlows(
            st.flow_sensitivity, st.flow_smoothing, st.flow_benchmark, st.flow_interval
        )

        self.mid_history = PriceHistory(MOMENTUM_LOOKBACK)
        # the mids of the last steps, as far back as the longest lookback
        self.trend_history = PriceHistory(float(self.crowd.lookback.max(initial=1.0)))
        self.herd = HerdNetwork(
            model, [*self.leveraged, *self.momentum], pop.herding, streams["herding"], n_contracts
        )
        # informed traders on the perpetual (none by default; built last, so that the other
        # agents' accounts are the same with or without them)
        self.perp_informed = price_formation.perp_informed(model, access, scenario, informed)
        self.entrants = 0  # new leveraged traders who took a vacated place
        self.joined: list[Trader] = []  # traders of other kinds added with `join`

    # ---- the step --------------------------------------------------------------------------
    def trade_spot(self, t: float) -> None:
        """The spot venues trade: makers, noise traders, value traders, flow shocks on spot."""
        view = self.view
        if view.spot is None:
            return
        SpotMaker.step_crowd(self.spot_makers, view, self.spot_estimate)
        rng = self.streams["spot_noise"]
        SpotTrader.step_noise(
            poisson_pick(rng, self.spot_noise, SPOT_NOISE_RATE * view.dt), view, rng
        )
        rng = self.streams["spot_value"]
        SpotTrader.step_value(
            poisson_pick(rng, self.spot_value, SPOT_VALUE_RATE * view.dt), view, rng
        )
        for flow in self.flows:
            if flow.shock.market == "spot":
                flow.act(view, flow.gateway)

    def trade_perp(self, t: float) -> None:
        """Every trader that acts on the perpetual this step sends its orders."""
        view, streams = self.view, self.streams
        _, last = view.prices()
        MarketMaker.step_crowd(self.makers, view, self.fair, last)
        for arb in self.arbitrageurs:
            arb.act(view, arb.gateway)
        for patient in self.latent:
            patient.act(view, patient.gateway)
        for holder in self.carry_acting:
            holder.act(view, holder.gateway)
        for flow in self.flows:
            if flow.shock.market == "perp":
                flow.act(view, flow.gateway)
        if self.perp_informed:
            rng = streams["perp_informed"]
            InformedPerpTrader.step_crowd(
                poisson_pick(rng, self.perp_informed, SPOT_VALUE_RATE * view.dt), view, rng
            )
        NoiseDemand.step_crowd(self.noise_demand, view, streams["noise_demand"])
        mids = view.prices()[0]
        mid_list = mids.tolist()
        self.mid_history.append(t, mids)
        self.trend_history.append(t, mids)
        returns = (mids / self.mid_history.oldest() - 1.0).tolist()
        rng = streams["noise"]
        NoiseTrader.step_crowd(
            poisson_pick(rng, self.noise, NOISE_RATE * view.dt), view, rng, mid_list
        )
        rng = streams["momentum"]
        MomentumTrader.step_crowd(
            poisson_pick(rng, self.momentum, MOMENTUM_RATE * view.dt), view, rng, returns
        )
        for trader in self.joined:
            trader.act(view, trader.gateway)
        self.fund_flows.step(t, self.crowd, self.value_slots, self.leveraged, view)
        self.rebalance(mids)
        self.defend(t, last)
        self.replace(t)

    def join(self, traders: Sequence[Trader]) -> None:
        """Add traders of a kind the scenario does not build (a new kind is one module with
        one `agents.trader.Trader` subclass): each acts on the perpetual every step, after the
        built-in kinds and before the crowd's strategies and defences (docs/CONTRACTS.md)."""
        self.joined += traders

    def rebalance(self, mids: np.ndarray) -> None:
        """Value funds and trend followers whose time has come trade towards their target
        (`agents.strategies.rebalance`)."""
        strategies.rebalance(
            self.leveraged,
            self.crowd,
            self.view,
            self.streams["rebalance"],
            self.settings.strategies,
            mids,
            self.trend_history,
        )

    def defend(self, t: float, last: np.ndarray) -> None:
        """The crowd's stops, top-ups and size cuts (`agents.leveraged.defend`)."""
        crowd_rules.defend(self.leveraged, self.crowd, self.view, t, last, self.settings.defences)

    def replace(self, t: float) -> None:
        """New entrants take the places of leveraged traders who left
        (`agents.leveraged.vacated`). Each place is taken with probability ``entry_rate × dt``
        per step."""
        pop = self.settings
        if pop.entry_rate <= 0 or not len(self.leveraged):
            return
        places = crowd_rules.vacated(self.crowd, self.view)
        if not places.size:
            return
        rng = self.streams["entrants"]
        places = places[rng.random(places.size) < min(1.0, pop.entry_rate * self.view.dt)]
        for i in places.tolist():
            trader = self.leveraged[i]
            capital = float(lognormal(rng, pop.capital.median, pop.capital.sigma, 1)[0])
            side = 1 if rng.random() < pop.long_bias else -1
            trader.rejoin(capital, side, pop.defences.reserve_pct)
            self.fund_flows.forget(self.crowd, i)
            self.entrants += 1

    def react(self, liquidated: Sequence[int]) -> None:
        """Herding: neighbours of the traders whose accounts were liquidated this step (or who
        panicked last step) may panic."""
        by_account = self.by_account
        self.herd.spread_panic([by_account[a] for a in liquidated if a in by_account])

    # ---- what the model may read -------------------------------------------------------------
    def measures(self) -> dict[str, Any]:
        """The population's measures for the recorder: the spot makers' estimate of value of
        each underlying (``maker_value``), this step's panics, the share of value funds at
        their cap and the funds' summed equity."""
        at_cap, equity = self.fund_measures()
        return {
            "maker_value": self.spot_estimate.values,
            "panics": self.herd.last_count,
            "funds_at_cap": at_cap,
            "funds_equity": equity,
        }

    def funds_at_cap(self) -> float:
        """Share of value funds at (90% or more of) their leverage cap on the mark
        (`agents.strategies.share_at_cap`); NaN without value funds."""
        return self.fund_measures()[0]

    def fund_measures(self) -> tuple[float, float]:
        """`funds_at_cap`, and the value funds' summed equity on the mark (USDT: how large they
        are, which investors' flows change); both NaN without value funds."""
        slots = self.value_slots
        if not slots.size:
            return float("nan"), float("nan")
        view = self.view
        accounts = view.crowd(self.crowd.accounts)
        home = self.crowd.home[slots]
        lots = accounts.positions(slots, home)
        notional = np.abs(lots) * np.asarray(view.lot)[home] * view.mark[home]
        equity = accounts.equity(slots)
        at_cap = share_at_cap(notional, equity, accounts.leverage(slots, home))
        return at_cap, float(equity.sum())

    def account_kinds(self) -> dict[int, str]:
        """The kind of trader behind each exchange account (spot-only agents have none)."""
        kinds: dict[int, str] = {}
        for agent in self._model.agents:
            account = getattr(agent, "account", None)
            if account is not None:
                kinds[account] = agent.kind  # type: ignore[attr-defined]
        return kinds


def poisson_pick[T](rng: np.random.Generator, traders: Sequence[T], p: float) -> list[T]:
    """The traders that act this step: each independently with probability ``p`` (the rate
    times the step's length); where that is above 1 (a long step), each acts a Poisson number
    of times with mean ``p``, listed once per action.

    A few hundred traders draw one uniform each (one call); a large crowd draws how many act
    (binomial) and then which (sampling without replacement touches only those), so the cost
    follows the number that act rather than the crowd's size."""
    n = len(traders)
    if not n:
        return []
    if p > 1.0:  # a long step: each acts a Poisson number of times, so no rate is capped
        counts = rng.poisson(p, n).tolist()
        return [traders[i] for i, k in enumerate(counts) for _ in range(k)]
    if n <= SMALL_CROWD:
        return [traders[i] for i in (rng.random(n) < p).nonzero()[0].tolist()]
    k = int(rng.binomial(n, p))
    if k == 0:
        return []
    return [traders[i] for i in np.sort(rng.choice(n, size=k, replace=False)).tolist()]
