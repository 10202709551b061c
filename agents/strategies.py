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
themselves, not defences, move their positions.
"""

from __future__ import annotations

import numpy as np

from agents.crowd import TREND, VALUE


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
