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

from collections.abc import Sequence

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


def trend_returns(
    history: Sequence[np.ndarray], mids: np.ndarray, home: np.ndarray, lookback: np.ndarray
) -> np.ndarray:
    """Return of each trader's contract over its own lookback.

    Args:
        history: mids of every contract at the last steps, oldest first, the newest being this
            step's (``mids``).
        mids: this step's mid of every contract.
        home: each trader's contract.
        lookback: each trader's lookback in steps; one longer than the history reaches back
            uses the oldest mid there is.
    """
    if not len(history):
        return np.zeros(home.size)
    rows = np.maximum(len(history) - 1 - lookback, 0).tolist()
    start = [float(history[r][h]) for r, h in zip(rows, home.tolist(), strict=True)]
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
