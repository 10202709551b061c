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
from agents.herding import HerdNetwork
from agents.leveraged import LeveragedTrader
from agents.market_maker import MarketMaker
from agents.momentum import MomentumTrader
from agents.noise import NoiseTrader, draw_actions
from model.events import EventLog
from model.scenario import Scenario

if TYPE_CHECKING:
    from model.simulation import CascadeModel

NOISE_RATE = 0.05  # actions per second per noise trader
MOMENTUM_RATE = 0.03
MOMENTUM_LOOKBACK = 30.0  # seconds
ENTRY_DISPERSION = 0.01  # log-std of starting entry prices around the initial price
CARRY_TRADERS = 10
FAIR_BASIS_HALFLIFE = 10.0  # seconds: makers lean on the persistent basis, not on single prints
MAX_FAIR_BASIS = 0.05
MAKER_CAPITAL = 5_000_000.0
ARBITRAGEUR_CAPITAL = 3_000_000.0
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
        self.arbitrageurs = [
            Arbitrageur(model, ARBITRAGEUR_CAPITAL * float(depth.max()), leverage=5.0)
            for _ in range(pop.arbitrageurs)
        ]
        self.noise = [
            NoiseTrader(model, float(c), leverage=5.0)
            for c in _lognormal(rng, 20_000.0, 0.5, pop.noise)
        ]
        self.momentum = [
            MomentumTrader(model, float(c), leverage=10.0)
            for c in _lognormal(rng, pop.capital.median, pop.capital.sigma, pop.momentum)
        ]
        self.leveraged = self._leveraged(model, scenario, pop.leveraged, whales=False)
        self.leveraged += self._leveraged(model, scenario, pop.whales, whales=True)
        self.carry = self._open_positions(model, scenario)
        self.accounts = np.array([t.account for t in self.leveraged], dtype=np.int64)
        self.stop = np.array([t.stop_price for t in self.leveraged])
        self.side = np.array([t.side for t in self.leveraged], dtype=np.int64)
        self.home = np.array([t.contract for t in self.leveraged], dtype=np.int64)
        self.topup = np.array([t.topup for t in self.leveraged], dtype=bool)
        self.reduce = np.array([t.reduce for t in self.leveraged], dtype=bool)
        self.last_reduce = np.full(len(self.leveraged), -np.inf)
        self.by_account = {t.account: t for t in (*self.leveraged, *self.momentum)}
        self.slot = {t.account: i for i, t in enumerate(self.leveraged)}

        self.mid_history: deque[np.ndarray] = deque(
            maxlen=max(2, int(MOMENTUM_LOOKBACK / self.dt) + 1)
        )
        self.herd = HerdNetwork(model, [*self.leveraged, *self.momentum], pop.herding)
        self.n_contracts = n_contracts
        self.basis = np.zeros(n_contracts)

    def _open_positions(self, model: CascadeModel, scenario: Scenario) -> list[CarryTrader]:
        """Put every leveraged trader's starting position in place, off the book, against carry
        traders who take the crowd's net imbalance at low leverage (open interest exists before
        the run starts, as on a real venue)."""
        rng = model.rng
        ledger = model.ledger
        wanted = []
        for trader in self.leveraged:
            for c in trader.contracts:
                price = scenario.contracts[c].initial_price
                # nobody starts the run already in liquidation: an adverse entry costs at most
                # half of the gap between initial and maintenance margin
                mmr = ledger.tiers[c].tier_for(0.0).mmr
                worst = 0.5 * max(0.0, 1.0 / trader.leverage - mmr)
                move = float(np.expm1(rng.normal(0.0, ENTRY_DISPERSION)))
                entry = price * (1.0 + (min(move, worst) if trader.side > 0 else max(move, -worst)))
                lots = trader.target_lots(c, entry)
                if lots:
                    wanted.append((trader, c, trader.side * lots, entry))
        carry = [CarryTrader(model, 0.0, leverage=CARRY_LEVERAGE) for _ in range(CARRY_TRADERS)]
        for i, (trader, c, lots, entry) in enumerate(wanted):
            counterparty = carry[i % CARRY_TRADERS]
            ledger.transfer_position(counterparty.account, trader.account, c, lots, entry)
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
        for trader in self.leveraged:
            trader.opened()
        return carry

    @staticmethod
    def _leveraged(
        model: CascadeModel, scenario: Scenario, n: int, whales: bool
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

    def act(self, t: float) -> None:
        """Every trader that acts this step sends its orders."""
        m = self.model
        rng = m.rng
        index = m.index_price
        _, last = self._prices()
        weight = 1.0 - 0.5 ** (self.dt / FAIR_BASIS_HALFLIFE)
        self.basis += weight * (
            np.clip(last / index - 1.0, -MAX_FAIR_BASIS, MAX_FAIR_BASIS) - self.basis
        )
        fair = index * (1.0 + self.basis)
        for maker in self.makers:
            maker.observe(m.mark, self.dt)
            maker.quote(fair)
        mids = self._prices()[0]
        mid_list, index_list = mids.tolist(), index.tolist()
        for arb in self.arbitrageurs:
            arb.act(mid_list, index_list)
        self.mid_history.append(mids)
        returns = (mids / self.mid_history[0] - 1.0).tolist()
        acting = _poisson_pick(rng, self.noise, NOISE_RATE * self.dt)
        if acting:
            draws = draw_actions(rng, len(acting), self.n_contracts)
            for trader, action in zip(acting, draws, strict=True):
                trader.act(mid_list, action)
        for trader in _poisson_pick(rng, self.momentum, MOMENTUM_RATE * self.dt):
            trader.act(returns)
        self._defend(t, last)

    def _defend(self, t: float, last: np.ndarray) -> None:
        if not len(self.leveraged):
            return
        price = last[self.home]
        open_ = self.model.ledger.lots[self.accounts, self.home] != 0
        hit = (
            open_
            & np.isfinite(self.stop)
            & (((self.side > 0) & (price <= self.stop)) | ((self.side < 0) & (price >= self.stop)))
        )
        for i in np.flatnonzero(hit):
            self.leveraged[i].trigger_stop()
            self.stop[i] = self.leveraged[i].stop_price
        ratio = self.model.risk.margin_ratio[self.accounts]
        d = self.model.config.population.defences
        for i in np.flatnonzero(self.topup & (ratio >= d.topup_threshold)):
            self.leveraged[i].top_up()
        cut = (
            self.reduce & (ratio >= d.reduce_threshold) & (t - self.last_reduce >= REDUCE_COOLDOWN)
        )
        for i in np.flatnonzero(cut):
            self.leveraged[i].cut(0.5)
            self.last_reduce[i] = t

    def after_liquidations(self, t: float, events: EventLog, since: int) -> None:
        """Herding: neighbours of traders liquidated this step (or panicking last step) may
        panic."""
        liquidated = sorted(
            {e.account for e in events.rows_since(since) if e.kind == "liquidation"}
        )
        self.herd.spread_panic([self.by_account[a] for a in liquidated if a in self.by_account])
        for trader in self.herd.pending:  # a flip re-enters the other way with a new stop
            i = self.slot.get(trader.account)
            if i is not None:
                self.side[i] = self.leveraged[i].side
                self.stop[i] = self.leveraged[i].stop_price


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
        return [traders[i] for i in np.flatnonzero(rng.random(n) < p).tolist()]
    k = int(rng.binomial(n, p))
    if k == 0:
        return []
    return [traders[i] for i in np.sort(rng.choice(n, size=k, replace=False)).tolist()]
