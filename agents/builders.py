"""Building a scenario's traders: the leveraged crowd's draws and the starting positions.

The leveraged crowd's capital, leverage, margin mode, side, contract, defences and strategy are
drawn from the scenario's distributions (the model's generator, in a fixed order, so a seed
gives the same crowd). Open interest exists before the run starts, as on a real venue: every
holder's starting position is put in place off the book against the counterparties the
scenario names (carry traders or hedgers).
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.carry import LEVERAGE as CARRY_LEVERAGE
from agents.carry import CarryTrader
from agents.crowd import HOLD, TREND, VALUE, Crowd
from agents.hedger import Hedger, open_against_hedgers
from agents.leveraged import LeveragedTrader
from agents.noise_demand import NoiseDemand
from agents.trader import Trader
from model.gateway import MarketAccess
from model.scenario import Scenario

CARRY_TRADERS = 10
WHALE_CAPITAL = 300_000.0
WHALE_LEVERAGE = 25.0
MAX_TREND_LOOKBACK_STEPS = 86_400  # a day of one-second steps


def lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """``n`` lognormal draws with the given median and log-standard deviation."""
    return median * rng.lognormal(0.0, sigma, n)


def leveraged_crowd(
    model: mesa.Model,
    access: MarketAccess,
    scenario: Scenario,
    n: int,
    crowd: Crowd,
    first: int,
    whales: bool = False,
) -> list[LeveragedTrader]:
    """``n`` leveraged traders (or whales) in the crowd's slots from ``first`` on."""
    pop = scenario.population
    rng = model.rng
    d = pop.defences
    n_contracts = access.view.n_contracts
    if whales:
        capital = WHALE_CAPITAL * rng.lognormal(0.0, 0.3, n)
        leverage = np.full(n, min(WHALE_LEVERAGE, access.leverage_cap))
        isolated = np.ones(n, dtype=bool)
    else:
        capital = lognormal(rng, pop.capital.median, pop.capital.sigma, n)
        leverage = lognormal(rng, pop.leverage.median, pop.leverage.sigma, n)
        high = rng.random(n) < pop.leverage.high_share
        leverage = np.where(high, pop.leverage.high_leverage, leverage)
        isolated = rng.random(n) < pop.isolated_share
    leverage = np.clip(leverage, 1.0, access.leverage_cap)
    side = np.where(rng.random(n) < pop.long_bias, 1, -1)
    weights = contract_weights(pop.contract_weights, n_contracts)
    home = (
        rng.integers(n_contracts, size=n)
        if weights is None
        else rng.choice(n_contracts, n, p=weights)
    )
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
        # in whole steps of the run's base step, as seconds
        dt = access.view.dt
        steps = np.clip((lookback / dt).astype(np.int64), 1, MAX_TREND_LOOKBACK_STEPS)
        crowd.lookback[first : first + n] = steps * dt
    crowd.strategy[first : first + n] = strategy
    active = strategy != HOLD  # strategy traders use no defences (agents.leveraged)
    stop &= ~active
    topup &= ~active
    reduce &= ~active
    traders = []
    for i in range(n):
        reserve = capital[i] * d.reserve_pct if topup[i] else 0.0
        held = holdings(
            rng, int(home[i]), bool(isolated[i]), n_contracts, pop.portfolio_contracts, weights
        )
        traders.append(
            LeveragedTrader(
                model,
                access,
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


def contract_weights(weights: list[float] | None, n_contracts: int) -> np.ndarray | None:
    """``population.contract_weights`` normalised to sum to 1 (None: equal, drawn the way
    they always were)."""
    if weights is None:
        return None
    out = np.asarray(weights, dtype=float)
    return out / out.sum()


def holdings(
    rng: np.random.Generator,
    home: int,
    isolated: bool,
    n_contracts: int,
    portfolio: int | None,
    weights: np.ndarray | None,
) -> list[int]:
    """The contracts a leveraged trader holds, its home contract first: only that one in
    isolated mode or on a one-contract venue; in cross mode every contract, or, with
    ``population.portfolio_contracts`` = k, its home and k − 1 others drawn by weight without
    replacement."""
    if isolated or n_contracts == 1:
        return [home]
    if portfolio is None:
        return list(range(n_contracts))
    others = [c for c in range(n_contracts) if c != home]
    k = min(portfolio, n_contracts) - 1
    if k <= 0:
        return [home]
    p = None
    if weights is not None:
        w = weights[others]
        if w.sum() <= 0:
            return [home]
        p = w / w.sum()
        k = min(k, int(np.count_nonzero(w)))
    picked = rng.choice(len(others), size=k, replace=False, p=p)
    return [home, *(others[int(j)] for j in sorted(picked.tolist()))]


def open_positions(
    model: mesa.Model,
    access: MarketAccess,
    scenario: Scenario,
    holders: list[LeveragedTrader],
    demands: list[NoiseDemand],
) -> tuple[list[CarryTrader], list[Hedger]]:
    """Put every holder's (and the noise demand's) starting position in place, off the book,
    against the counterparties the scenario names (``population.counterparties``): ten carry
    traders who take the crowd's net imbalance at 1x, or many hedgers at low leverage
    (`agents.hedger`). Returns (carry traders, hedgers): one of the two lists is empty."""
    rng = model.rng
    view = access.view
    pop = scenario.population
    wanted: list[tuple[Trader, int, int, float]] = []  # trader, contract, lots, entry
    for trader in holders:
        for c in trader.contracts:
            price = scenario.contracts[c].initial_price
            # nobody starts the run already in liquidation: an adverse entry costs at most
            # ``entry_room`` of the gap between initial and maintenance margin, the latter
            # at the rate of the tier the position will sit in
            size = trader.target_lots(c, price) * view.lot[c] * price
            mmr = view.maintenance_margin(c, size) / size if size else 0.0
            worst = pop.entry_room * max(0.0, 1.0 / trader.me.leverage(c) - mmr)
            move = float(np.expm1(rng.normal(0.0, pop.entry_dispersion)))
            entry = price * (1.0 + (min(move, worst) if trader.side > 0 else max(move, -worst)))
            lots = trader.target_lots(c, entry)
            if lots:
                wanted.append((trader, c, trader.side * lots, entry))
    for demand in demands:
        # the wandering demand starts holding its stationary draw, as it would have after
        # running for a while: traded at market in the first step, it would empty the book
        c = demand.contract
        price = scenario.contracts[c].initial_price
        lots = demand.lots_wanted(price)
        if lots:
            wanted.append((demand, c, lots, price))
    if pop.counterparties == "hedgers":
        positions = [(t.account, c, lots, entry) for t, c, lots, entry in wanted]
        hedgers = open_against_hedgers(model, access, positions, pop.hedgers)
        for trader in holders:
            trader.opened()
        return [], hedgers
    carry = [CarryTrader(model, access, 0.0, leverage=CARRY_LEVERAGE) for _ in range(CARRY_TRADERS)]
    for i, (owner, c, lots, entry) in enumerate(wanted):
        counterparty = carry[i % CARRY_TRADERS]
        access.transfer_position(counterparty.account, owner.account, c, lots, entry)
    prices = access.initial_prices()
    for holder in carry:
        # paid in up to the equity its position needs at the carry leverage: taking longs and
        # shorts at different entries realises gains and losses, so the position alone does
        # not say what is needed (whales included)
        notional, equity = view.holdings(np.array([holder.account]), prices)
        holder.capital = max(float(notional[0]) / CARRY_LEVERAGE - float(equity[0]), 1.0)
        holder.gateway.deposit(holder.capital)
    for trader in holders:
        trader.opened()
    return carry, []
