"""The traders of a scenario: who they are, and who acts in a step (sparse activation).

Every step: market makers observe the market and requote, arbitrageurs check the basis, a
Poisson-thinned handful of noise and momentum traders act, leveraged traders whose entry time has
come enter, and the defences (stops on the last price, margin top-ups, size cuts on the margin
ratio) are checked for all leveraged traders at once on arrays, so only the traders whose trigger
fired run any Python. After the liquidations of a step, herding lets neighbours of liquidated
traders panic.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from agents.arbitrageur import Arbitrageur
from agents.carry import LEVERAGE as CARRY_LEVERAGE
from agents.carry import CarryTrader
from agents.crowd import HOLD, TREND, VALUE, Crowd
from agents.flow_shock import FlowTrader
from agents.fund_flows import FundFlows
from agents.hedger import Hedger, open_against_hedgers
from agents.herding import HerdNetwork
from agents.leveraged import LeveragedTrader
from agents.market_maker import MarketMaker
from agents.momentum import MomentumTrader
from agents.noise import NoiseTrader, draw_actions
from agents.noise_demand import NoiseDemand
from agents.spot_maker import SpotMaker, ValueEstimate
from agents.spot_trader import NOISE_MAX_OFFSET_BPS, NOISE_ORDER_VALUE, SpotTrader
from agents.strategies import share_at_cap, target_leverage, trend_returns
from agents.trader import Trader
from model import pools
from model.events import EventLog
from model.scenario import Scenario

if TYPE_CHECKING:
    from model.simulation import CascadeModel

NOISE_RATE = 0.05  # actions per second per noise trader
MOMENTUM_RATE = 0.03
MOMENTUM_LOOKBACK = 30.0  # seconds
CARRY_TRADERS = 10
FAIR_BASIS_HALFLIFE = 30.0  # seconds: makers lean on the persistent basis, not on single prints
# seconds: half-life of the pull of makers' basis back to zero. Faster than the tracking, so the
# makers' fair value keeps only a small share of the basis their own trades printed: a fair
# value that followed the last trade would anchor the perpetual to itself and it would
# under-react to the index (std of 60-s returns 0.87 of the index's, against 0.98 now)
FAIR_BASIS_REVERSION = 5.0
MAX_FAIR_BASIS = 0.05
MAKER_CAPITAL = 5_000_000.0
SPOT_NOISE_RATE = 0.1  # orders per second per spot noise trader
SPOT_NOISE_CAPITAL = 200_000.0
SPOT_VALUE_RATE = 0.2  # looks per second per spot value trader
SPOT_VALUE_CAPITAL = 5_000_000.0
BUST_SHARE = 0.1  # a flat trader left with less than this share of its capital has left
WHALE_CAPITAL = 300_000.0
WHALE_LEVERAGE = 25.0
REDUCE_COOLDOWN = 10.0
YEAR_SECONDS = 365.0 * 86_400.0
SMALL_CROWD = 2_000  # up to this many traders of a kind, activation draws one uniform each


class Population:
    """Builds and activates the traders of a scenario.

    Args:
        model: the model (exchange, ledger, rng, mark and risk are read from it).
        scenario: the scenario's population settings.
    """

    def __init__(self, model: CascadeModel, scenario: Scenario) -> None:
        self.model = model
        pop = scenario.population
        rng = model.rng
        n_contracts = model.n_contracts
        self.dt = scenario.step
        contracts = scenario.contracts
        calm_vol = np.array([c.volatility / math.sqrt(YEAR_SECONDS) * 1e4 for c in contracts])
        depth = np.array([c.depth_scale for c in contracts])

        self.makers = [
            MarketMaker(model, MAKER_CAPITAL * float(depth.max()), calm_vol, depth)
            for _ in range(pop.market_makers)
        ]
        arb = pop.arbitrage
        prices = [c.initial_price for c in contracts]
        self.arbitrageurs = [
            Arbitrageur(
                model,
                arb.capital * float(depth.max()),
                arb.leverage,
                arb.edge_bps,
                arb.delay,
                arb.replenish_rate,
                model.spot,
                prices,
            )
            for _ in range(pop.arbitrageurs)
        ]
        self.spot_makers: list[SpotMaker] = []
        self.spot_noise: list[SpotTrader] = []
        self.spot_value: list[SpotTrader] = []
        if model.spot is not None:
            sp = scenario.spot
            self.spot_makers = [
                SpotMaker(model, model.spot, c, v, prices[c], sp.depth_scale * float(depth[c]))
                for c in range(n_contracts)
                for v in range(sp.venues)
                for _ in range(sp.makers_per_venue)
            ]
            self.spot_noise = [
                SpotTrader(model, model.spot, SPOT_NOISE_CAPITAL, prices, value=False)
                for _ in range(sp.noise)
            ]
            self.spot_value = [
                SpotTrader(model, model.spot, SPOT_VALUE_CAPITAL, prices, value=True)
                for _ in range(sp.value_traders)
            ]
        self.spot_estimate = ValueEstimate(
            self.spot_makers,
            n_contracts,
            scenario.spot.learning_bps,
            scenario.spot.learning_halflife,
        )
        self.flows = [FlowTrader(model, shock) for shock in scenario.flow_shocks]
        demand = pop.noise_demand
        self.noise_demand = (
            [NoiseDemand(model, c, demand.std, demand.halflife) for c in range(n_contracts)]
            if demand.std > 0
            else []
        )
        self.noise = [
            NoiseTrader(model, float(c), leverage=5.0)
            for c in _lognormal(rng, 20_000.0, 0.5, pop.noise)
        ]
        self.momentum = [
            MomentumTrader(model, float(c), leverage=10.0)
            for c in _lognormal(rng, pop.capital.median, pop.capital.sigma, pop.momentum)
        ]
        self.crowd = Crowd(pop.leveraged + pop.whales)
        self.leveraged = self._leveraged(model, scenario, pop.leveraged, self.crowd, 0)
        self.leveraged += self._leveraged(
            model, scenario, pop.whales, self.crowd, pop.leveraged, whales=True
        )
        self.carry: list[CarryTrader] = []
        self.hedgers: list[Hedger] = []
        self._open_positions(model, scenario)
        self.by_account = {t.account: t for t in (*self.leveraged, *self.momentum)}
        self.value_slots = np.flatnonzero(self.crowd.strategy == VALUE)  # strategies never change
        st = pop.strategies
        self.fund_flows = FundFlows(
            st.flow_sensitivity, st.flow_smoothing, st.flow_benchmark, st.flow_interval
        )

        self.mid_history: deque[np.ndarray] = deque(
            maxlen=max(2, int(MOMENTUM_LOOKBACK / self.dt) + 1)
        )
        # the mids of the last steps, as far back as the longest lookback
        longest = int(self.crowd.lookback.max(initial=1))
        self.trend_history: deque[np.ndarray] = deque(maxlen=max(2, longest + 1))
        self.herd = HerdNetwork(model, [*self.leveraged, *self.momentum], pop.herding)
        self.n_contracts = n_contracts
        self.basis = np.zeros(n_contracts)
        self.entrants = 0  # new leveraged traders who took a vacated place

    def _open_positions(self, model: CascadeModel, scenario: Scenario) -> None:
        """Put every leveraged trader's starting position in place, off the book, against the
        counterparties the scenario names (``population.counterparties``): ten carry traders
        who take the crowd's net imbalance at 1x, or many hedgers at low leverage
        (`agents.hedger`). Open interest exists before the run starts, as on a real venue."""
        rng = model.rng
        ledger = model.ledger
        pop = scenario.population
        wanted: list[tuple[Trader, int, int, float]] = []  # trader, contract, lots, entry
        holders = [t for t in self.leveraged if self.crowd.strategy[t.slot] == HOLD]
        for trader in holders:
            for c in trader.contracts:
                price = scenario.contracts[c].initial_price
                # nobody starts the run already in liquidation: an adverse entry costs at most
                # ``entry_room`` of the gap between initial and maintenance margin, the latter
                # at the rate of the tier the position will sit in
                size = trader.target_lots(c, price) * float(ledger.lot[c]) * price
                mmr = float(ledger.tiers[c].maintenance_margin(size)) / size if size else 0.0
                worst = pop.entry_room * max(0.0, 1.0 / trader.leverage - mmr)
                move = float(np.expm1(rng.normal(0.0, pop.entry_dispersion)))
                entry = price * (1.0 + (min(move, worst) if trader.side > 0 else max(move, -worst)))
                lots = trader.target_lots(c, entry)
                if lots:
                    wanted.append((trader, c, trader.side * lots, entry))
        for demand in self.noise_demand:
            # the wandering demand starts holding its stationary draw, as it would have after
            # running for a while: traded at market in the first step, it would empty the book
            c = demand.contract
            price = scenario.contracts[c].initial_price
            lots = demand.lots_wanted(price)
            if lots:
                wanted.append((demand, c, lots, price))
        if pop.counterparties == "hedgers":
            positions = [(t.account, c, lots, entry) for t, c, lots, entry in wanted]
            self.hedgers = open_against_hedgers(model, positions, pop.hedgers)
            for trader in holders:
                trader.opened()
            return
        carry = [CarryTrader(model, 0.0, leverage=CARRY_LEVERAGE) for _ in range(CARRY_TRADERS)]
        for i, (owner, c, lots, entry) in enumerate(wanted):
            counterparty = carry[i % CARRY_TRADERS]
            ledger.transfer_position(counterparty.account, owner.account, c, lots, entry)
        prices = np.array([c.initial_price for c in scenario.contracts])
        notional, upnl = ledger.notional(prices), ledger.upnl(prices)
        for holder in carry:
            # paid in up to the equity its position needs at the carry leverage: taking longs and
            # shorts at different entries realises gains and losses, so the position alone does
            # not say what is needed (whales included)
            account = holder.account
            equity = float(ledger.wallet[account] + upnl[account].sum())
            holder.capital = max(float(notional[account].sum()) / CARRY_LEVERAGE - equity, 1.0)
            ledger.deposit(account, holder.capital)
        for trader in holders:
            trader.opened()
        self.carry = carry

    @staticmethod
    def _leveraged(
        model: CascadeModel,
        scenario: Scenario,
        n: int,
        crowd: Crowd,
        first: int,
        whales: bool = False,
    ) -> list[LeveragedTrader]:
        pop = scenario.population
        rng = model.rng
        d = pop.defences
        n_contracts = model.n_contracts
        if whales:
            capital = WHALE_CAPITAL * rng.lognormal(0.0, 0.3, n)
            leverage = np.full(n, min(WHALE_LEVERAGE, model.leverage_cap))
            isolated = np.ones(n, dtype=bool)
        else:
            capital = _lognormal(rng, pop.capital.median, pop.capital.sigma, n)
            leverage = _lognormal(rng, pop.leverage.median, pop.leverage.sigma, n)
            high = rng.random(n) < pop.leverage.high_share
            leverage = np.where(high, pop.leverage.high_leverage, leverage)
            isolated = rng.random(n) < pop.isolated_share
        leverage = np.clip(leverage, 1.0, model.leverage_cap)
        side = np.where(rng.random(n) < pop.long_bias, 1, -1)
        home = rng.integers(n_contracts, size=n)
        stop = rng.random(n) < d.stop_loss_share
        topup = rng.random(n) < d.topup_share
        reduce = rng.random(n) < d.reduce_share
        st = pop.strategies
        strategy = np.full(n, HOLD, dtype=np.int8)
        if not whales and (st.value_share > 0 or st.trend_share > 0):
            roll = rng.random(n)
            strategy[roll < st.value_share + st.trend_share] = TREND
            strategy[roll < st.value_share] = VALUE
            crowd.value_bias[first : first + n] = rng.normal(0.0, st.value_dispersion, n)
            lookback = np.full(n, st.trend_lookback)
            if st.trend_lookback_dispersion > 0:
                lookback *= rng.lognormal(0.0, st.trend_lookback_dispersion, n)
            crowd.lookback[first : first + n] = np.clip(
                (lookback / model.dt).astype(np.int64), 1, MAX_TREND_LOOKBACK_STEPS
            )
        crowd.strategy[first : first + n] = strategy
        active = strategy != HOLD  # strategy traders use no defences (module docstring)
        stop &= ~active
        topup &= ~active
        reduce &= ~active
        traders = []
        for i in range(n):
            reserve = capital[i] * d.reserve_pct if topup[i] else 0.0
            held = (
                list(range(n_contracts))
                if (not isolated[i] and n_contracts > 1)
                else [int(home[i])]
            )
            traders.append(
                LeveragedTrader(
                    model,
                    float(capital[i] - reserve),
                    float(leverage[i]),
                    bool(isolated[i]),
                    int(side[i]),
                    held,
                    float(reserve),
                    d.stop_loss_pct if stop[i] else None,
                    bool(topup[i]),
                    bool(reduce[i]),
                    crowd,
                    first + i,
                )
            )
            if whales:  # a leveraged trader in a higher tier, told apart in the records
                traders[-1].kind = "whale"
        return traders

    # ---- the step --------------------------------------------------------------------------
    def _prices(self) -> tuple[np.ndarray, np.ndarray]:
        """Mid (else last, else mark) and last (else index) of every contract, in USDT."""
        m = self.model
        mids = np.empty(self.n_contracts)
        last = np.empty(self.n_contracts)
        for c, book in enumerate(m.exchange.books):
            mid = book.mid()
            traded = book.last_price
            tick = book.tick_size
            mids[c] = mid * tick if mid is not None else (traded * tick if traded else m.mark[c])
            last[c] = traded * tick if traded else m.index_price[c]
        return mids, last

    def act_on_spot(self, t: float) -> None:
        """The spot venues trade: makers requote around their estimate of value, a Poisson-thinned
        handful of noise traders send orders, value traders trade wide gaps, flow shocks on spot
        send their share."""
        m = self.model
        spot = m.spot
        if spot is None:
            return
        rng = m.streams["spot_noise"]
        fundamental = m.fundamental.tolist()
        estimate = self.spot_estimate.update(fundamental, self.dt)
        for maker in self.spot_makers:
            maker.quote(estimate[maker.contract])
        acting = _poisson_pick(rng, self.spot_noise, SPOT_NOISE_RATE * self.dt)
        if acting:
            k = len(acting)
            contract = rng.integers(self.n_contracts, size=k).tolist()
            venue = rng.integers(spot.n_venues, size=k).tolist()
            roll = rng.random(k).tolist()
            buy = (rng.random(k) < 0.5).tolist()
            value = rng.exponential(NOISE_ORDER_VALUE, k).tolist()
            offset = rng.uniform(0.0, NOISE_MAX_OFFSET_BPS, k).tolist()
            for i, trader in enumerate(acting):
                trader.act_noise(contract[i], venue[i], roll[i], buy[i], value[i], offset[i])
        rng = m.streams["spot_value"]
        for trader in _poisson_pick(rng, self.spot_value, SPOT_VALUE_RATE * self.dt):
            c = int(rng.integers(self.n_contracts))
            trader.act_value(c, fundamental[c])
        for flow in self.flows:
            if flow.shock.market == "spot":
                flow.act(t, self.dt)

    def act(self, t: float) -> None:
        """Every trader that acts this step sends its orders."""
        m = self.model
        streams = m.streams
        index = m.index_price
        _, last = self._prices()
        # makers lean on the persistent basis, which itself decays back to zero: the perpetual
        # is priced off the index, not off its own last trade
        weight = 1.0 - 0.5 ** (self.dt / FAIR_BASIS_HALFLIFE)
        self.basis += weight * (
            np.clip(last / index - 1.0, -MAX_FAIR_BASIS, MAX_FAIR_BASIS) - self.basis
        )
        self.basis *= 0.5 ** (self.dt / FAIR_BASIS_REVERSION)
        fair = index * (1.0 + self.basis)
        for maker in self.makers:
            maker.observe(m.mark, self.dt)
            maker.quote(fair)
        index_list = index.tolist()
        for arb in self.arbitrageurs:
            arb.act(t, index_list)
        for flow in self.flows:
            if flow.shock.market == "perp":
                flow.act(t, self.dt)
        if self.noise_demand:
            for demand, draw in zip(
                self.noise_demand,
                streams["noise_demand"].standard_normal(len(self.noise_demand)).tolist(),
                strict=True,
            ):
                demand.act(draw)
        mids = self._prices()[0]
        mid_list = mids.tolist()
        self.mid_history.append(mids)
        self.trend_history.append(mids)
        returns = (mids / self.mid_history[0] - 1.0).tolist()
        rng = streams["noise"]
        acting = _poisson_pick(rng, self.noise, NOISE_RATE * self.dt)
        if acting:
            draws = draw_actions(rng, len(acting), self.n_contracts)
            for trader, action in zip(acting, draws, strict=True):
                trader.act(mid_list, action)
        rng = streams["momentum"]
        for trader in _poisson_pick(rng, self.momentum, MOMENTUM_RATE * self.dt):
            trader.act(returns, int(rng.integers(self.n_contracts)))
        self.fund_flows.step(t, self.crowd, self.value_slots, m.ledger, m.mark)
        self._rebalance(mids)
        self._defend(t, last)
        self._replace(t)

    def _rebalance(self, mids: np.ndarray) -> None:
        """Value funds and trend followers whose time has come trade towards their target."""
        crowd = self.crowd
        st = self.model.config.population.strategies
        slots = np.flatnonzero(crowd.strategy != HOLD)
        if not slots.size:
            return
        m = self.model
        rng = m.streams["rebalance"]
        slots = slots[rng.random(slots.size) < min(1.0, st.rate * self.dt)]
        if not slots.size:
            return
        ledger = m.ledger
        accounts, home = crowd.accounts[slots], crowd.home[slots]
        price = mids[home]
        value = m.fundamental[home] * np.exp(crowd.value_bias[slots])
        trend = trend_returns(self.trend_history, mids, home, crowd.lookback[slots])
        cap = ledger.leverage[accounts, home]
        lev = target_leverage(
            crowd.strategy[slots],
            price,
            value,
            trend,
            cap,
            st.value_aggression,
            st.trend_scale,
            st.value_long_only,
        )
        equity = pools.account_equities(ledger, accounts, m.mark)
        lot = ledger.lot[home]
        target = np.trunc(lev * np.maximum(equity, 0.0) / price / lot).astype(np.int64)
        held = ledger.lots[accounts, home]
        for i in np.flatnonzero(target != held).tolist():
            trader = self.leveraged[int(slots[i])]
            want, have = int(target[i]), int(held[i])
            if abs(want - have) < st.min_trade * max(abs(want), abs(have)):
                continue
            c = int(home[i])
            most = ledger.tiers[c].max_notional(trader.leverage)
            if math.isfinite(most):  # a table whose last tier allows this leverage has no cap
                cap_lots = self.model.exchange.to_lots(c, most * 0.999 / float(price[i]))
                want = max(-cap_lots, min(cap_lots, want))
            if want == have:
                continue
            side = 1 if want > have else -1
            if have and (want == 0 or (want > 0) != (have > 0) or abs(want) < abs(have)):
                # reduce first (never refused for margin), then open the other way if wanted
                trader.market(c, side, min(abs(have), abs(want - have)), reduce_only=True)
                have = int(ledger.lots[trader.account, c])
            if want != have and (want > 0) == (side > 0) and abs(want) > abs(have):
                trader.market(c, side, abs(want - have))
            crowd.side[trader.slot] = side if want else crowd.side[trader.slot]

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
        m = self.model
        ledger = m.ledger
        accounts, home = self.crowd.accounts[slots], self.crowd.home[slots]
        notional = np.abs(ledger.lots[accounts, home]) * ledger.lot[home] * m.mark[home]
        equity = pools.account_equities(ledger, accounts, m.mark)
        at_cap = share_at_cap(notional, equity, ledger.leverage[accounts, home])
        return at_cap, float(equity.sum())

    def _defend(self, t: float, last: np.ndarray) -> None:
        if not len(self.leveraged):
            return
        crowd = self.crowd
        price = last[crowd.home]
        open_ = self.model.ledger.lots[crowd.accounts, crowd.home] != 0
        side, stop = crowd.side, crowd.stop
        hit = (
            open_
            & np.isfinite(stop)
            & (((side > 0) & (price <= stop)) | ((side < 0) & (price >= stop)))
        )
        for i in np.flatnonzero(hit):
            self.leveraged[i].trigger_stop()
        ratio = self.model.risk.margin_ratio[crowd.accounts]
        d = self.model.config.population.defences
        for i in np.flatnonzero(crowd.topup & (ratio >= d.topup_threshold)):
            self.leveraged[i].top_up()
        cut = (
            crowd.reduce
            & (ratio >= d.reduce_threshold)
            & (t - crowd.last_reduce >= REDUCE_COOLDOWN)
        )
        for i in np.flatnonzero(cut):
            self.leveraged[i].cut(0.5)
            crowd.last_reduce[i] = t

    def _replace(self, t: float) -> None:
        """New entrants take the places of leveraged traders who were liquidated or left: a flat
        account with less than BUST_SHARE of its capital, or a holder whose stop closed it. Each
        place is taken with probability ``entry_rate × dt`` per step."""
        rate = self.model.config.population.entry_rate
        if rate <= 0 or not len(self.leveraged):
            return
        m = self.model
        crowd, ledger = self.crowd, m.ledger
        accounts = crowd.accounts
        flat = ~(ledger.lots[accounts] != 0).any(axis=1)
        wealth = ledger.wallet[accounts] + ledger.iso_margin[accounts].sum(axis=1)
        gone = flat & ((wealth < BUST_SHARE * crowd.capital) | crowd.stopped)
        places = np.flatnonzero(gone)
        if not places.size:
            return
        rng = m.streams["entrants"]
        places = places[rng.random(places.size) < min(1.0, rate * self.dt)]
        pop = m.config.population
        for i in places.tolist():
            trader = self.leveraged[i]
            capital = float(_lognormal(rng, pop.capital.median, pop.capital.sigma, 1)[0])
            trader.rejoin(capital, 1 if rng.random() < pop.long_bias else -1)
            self.fund_flows.forget(crowd, i)
            self.entrants += 1

    def after_liquidations(self, t: float, events: EventLog, since: int) -> None:
        """Herding: neighbours of traders liquidated this step (or panicking last step) may
        panic."""
        liquidated = sorted(
            {e.account for e in events.rows_since(since) if e.kind == "liquidation"}
        )
        self.herd.spread_panic([self.by_account[a] for a in liquidated if a in self.by_account])


MAX_TREND_LOOKBACK_STEPS = 86_400  # a day of one-second steps


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * rng.lognormal(0.0, sigma, n)


def _poisson_pick(rng: np.random.Generator, traders: list, p: float) -> list:  # type: ignore[type-arg]
    """The traders that act this step: each independently with probability ``p``.

    A few hundred traders draw one uniform each (one call); a large crowd draws how many act
    (binomial) and then which (sampling without replacement touches only those), so the cost
    follows the number that act rather than the crowd's size."""
    n = len(traders)
    if not n:
        return []
    p = min(1.0, p)
    if n <= SMALL_CROWD:
        return [traders[i] for i in (rng.random(n) < p).nonzero()[0].tolist()]
    k = int(rng.binomial(n, p))
    if k == 0:
        return []
    return [traders[i] for i in np.sort(rng.choice(n, size=k, replace=False)).tolist()]
