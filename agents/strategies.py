"""How leveraged traders with a strategy trade: value funds and trend followers.

Value funds are the leveraged funds of Thurner, Farmer & Geanakoplos (2012): each has its own
estimate of value (the fundamental value times a fixed log offset) and wants a position whose
leverage is proportional to the mispricing, ``aggression × (value − price) / price``, capped at
its maximum leverage (with ``value_long_only``, as in TFG, a fund does not short what is dear:
its target is then at least 0). Its equity sets the size, so at the cap a falling price forces it to sell
what it holds: equity falls faster than the price, and the capped target shrinks (the margin
spiral). Trend followers want ``max leverage × tanh(return over the lookback / scale)``.

Both rebalance at Poisson times (``strategies.rate`` per second) with market orders, and only
when the trade changes the position by at least ``min_trade`` of the target: the trades
themselves, not defences, move their positions. Each trend follower may have its own lookback
(``trend_lookback_dispersion``), as real trend followers use many.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from agents.crowd import HOLD, TREND, VALUE, Crowd
from agents.history import PriceHistory
from agents.leveraged import LeveragedTrader
from model.scenario import Strategies
from model.view import MarketView


def target_leverage(
    strategy: np.ndarray,
    price: np.ndarray,
    value: np.ndarray,
    trend_return: np.ndarray,
    cap: np.ndarray,
    aggression: float,
    scale: float,
    long_only: bool = False,
) -> np.ndarray:
    """Signed leverage each trader wants (position notional / equity), within ±cap.

    Args:
        strategy: strategy code of each trader (HOLD traders get 0).
        price: the price each trader trades at (its contract's mid).
        value: each trader's estimate of value (value funds).
        trend_return: return of each trader's contract over the lookback (trend followers).
        cap: each trader's maximum leverage.
        aggression: target leverage per unit of relative mispricing.
        scale: return over the lookback at which a trend follower is at tanh(1) of its cap.
        long_only: value funds never want a short position.
    """
    lev = np.zeros(price.shape)
    v = strategy == VALUE
    lev[v] = aggression * (value[v] - price[v]) / price[v]
    if long_only:
        lev[v] = np.maximum(lev[v], 0.0)
    t = strategy == TREND
    lev[t] = cap[t] * np.tanh(trend_return[t] / scale)
    return np.clip(lev, -cap, cap)


def trend_returns(
    history: PriceHistory, mids: np.ndarray, home: np.ndarray, lookback: np.ndarray
) -> np.ndarray:
    """Return of each trader's contract over its own lookback.

    Args:
        history: mids of every contract at the last steps, the newest being this step's
            (``mids``).
        mids: this step's mid of every contract.
        home: each trader's contract.
        lookback: each trader's lookback in seconds; one longer than the history reaches back
            uses the oldest mid there is.
    """
    if not len(history):
        return np.zeros(home.size)
    rows = history.rows_back(lookback)
    kept = history.mids
    start = [float(kept[r][h]) for r, h in zip(rows, home.tolist(), strict=True)]
    return mids[home] / np.array(start, dtype=float).reshape(home.shape) - 1.0


def share_at_cap(
    notional: np.ndarray, equity: np.ndarray, cap: np.ndarray, near: float = 0.9
) -> float:
    """Share of traders whose position's leverage (``notional`` / ``equity``, both USDT) is at
    least ``near`` of their maximum ``cap``: funds that can absorb no more and, as the price
    falls, must sell (TFG's margin spiral). A trader holding a position on no equity counts as
    at its cap; a flat one never does. NaN for no traders."""
    if not notional.size:
        return float("nan")
    at = (notional > 0) & (notional >= near * cap * np.maximum(equity, 0.0))
    return float(np.count_nonzero(at) / notional.size)


def rebalance(
    traders: Sequence[LeveragedTrader],
    crowd: Crowd,
    view: MarketView,
    rng: np.random.Generator,
    settings: Strategies,
    mids: np.ndarray,
    history: PriceHistory,
) -> None:
    """The strategy traders' vectorised step: value funds and trend followers whose time has
    come (each with probability ``rate × dt``) trade towards their target at market.

    Args:
        traders: the crowd's traders, by slot.
        crowd: the crowd's arrays.
        view: the market view.
        rng: the generator of rebalancing times.
        settings: the scenario's strategy settings.
        mids: this step's mid of every contract.
        history: the mids of the last steps (trend followers' lookbacks).
    """
    st = settings
    slots = np.flatnonzero(crowd.strategy != HOLD)
    if not slots.size:
        return
    slots = slots[rng.random(slots.size) < min(1.0, st.rate * view.dt)]
    if not slots.size:
        return
    accounts = view.crowd(crowd.accounts)
    home = crowd.home[slots]
    price = mids[home]
    value = view.fundamental[home] * np.exp(crowd.value_bias[slots])
    trend = trend_returns(history, mids, home, crowd.lookback[slots])
    cap = accounts.leverage(slots, home)
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
    equity = accounts.equity(slots)
    lot = np.asarray(view.lot)[home]
    target = np.trunc(lev * np.maximum(equity, 0.0) / price / lot).astype(np.int64)
    held = accounts.positions(slots, home)
    for i in np.flatnonzero(target != held).tolist():
        trader = traders[int(slots[i])]
        want, have = int(target[i]), int(held[i])
        if abs(want - have) < st.min_trade * max(abs(want), abs(have)):
            continue
        c = int(home[i])
        most = view.max_notional(c, trader.me.leverage(c))
        if math.isfinite(most):  # a table whose last tier allows this leverage has no cap
            cap_lots = view.to_lots(c, most * 0.999 / float(price[i]))
            want = max(-cap_lots, min(cap_lots, want))
        if want == have:
            continue
        side = 1 if want > have else -1
        if have and (want == 0 or (want > 0) != (have > 0) or abs(want) < abs(have)):
            # reduce first (never refused for margin), then open the other way if wanted
            trader.market(c, side, min(abs(have), abs(want - have)), reduce_only=True)
            have = trader.position(c)
        if want != have and (want > 0) == (side > 0) and abs(want) > abs(have):
            trader.market(c, side, abs(want - have))
        crowd.side[trader.slot] = side if want else crowd.side[trader.slot]
