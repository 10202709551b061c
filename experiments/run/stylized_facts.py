"""Stylized facts of returns, measured the way ``shared/spec/validation.md`` prescribes.

Returns are log returns of a price sampled at a fixed clock interval, with the first 10% of steps
dropped as burn-in. Tails are measured with the Hill estimator on the largest k = 2.5% (and 1%,
5%) of |r|: Gaussian data gives about 7.3 at 2.5%, a Student-t(3) tail about 2.8 (spec). Sample
kurtosis is reported as a secondary statistic only, because it is unstable when the tail index is
near 3 (Cont 2001).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

CLUSTERING_LAGS = (1, 5, 10, 25, 50, 100)
AGGREGATION_SCALES = (1, 5, 15, 60, 240)


def log_returns(prices: Sequence[float] | np.ndarray, burn_in: float = 0.1) -> np.ndarray:
    """Log returns of a price path after dropping the first ``burn_in`` share of it.

    Non-positive or missing prices are carried forward from the last valid one, so a step with
    an empty book side does not create an artificial return.
    """
    p = pd.Series(np.asarray(prices, dtype=float))
    p = p.where(p > 0).ffill().bfill()
    if p.isna().all():
        raise ValueError("prices: no positive value to compute returns from")
    start = int(len(p) * burn_in)
    values = p.to_numpy()[start:]
    return np.diff(np.log(values))


def hill_tail_index(returns: np.ndarray, fraction: float = 0.025, tail: str = "both") -> float:
    """Hill estimator of the tail index on the largest ``fraction`` of |r| (or one tail).

    Args:
        returns: the returns.
        fraction: share of the sample in the tail (k = fraction·n order statistics).
        tail: "both" uses |r|; "negative" uses −r; "positive" uses r.

    Returns:
        alpha_hat = 1 / mean(log(x_(i) / x_(k+1))) over the k largest values; NaN when there
        are fewer than 10 tail points.
    """
    if not 0.0 < fraction < 0.5:
        raise ValueError(f"fraction must be in (0, 0.5), got {fraction}")
    r = np.asarray(returns, dtype=float)
    x = {"both": np.abs(r), "negative": -r, "positive": r}.get(tail)
    if x is None:
        raise ValueError(f"tail must be 'both', 'negative' or 'positive', got {tail!r}")
    x = np.sort(x[x > 0])[::-1]
    k = int(fraction * len(r))
    if k < 10 or len(x) <= k:
        return float("nan")
    logs = np.log(x[:k]) - np.log(x[k])
    mean = logs.mean()
    return float(1.0 / mean) if mean > 0 else float("nan")


def autocorrelation(x: np.ndarray, lags: Sequence[int]) -> np.ndarray:
    """Sample autocorrelation of ``x`` at the given lags (NaN where the lag is too long)."""
    x = np.asarray(x, dtype=float)
    out = np.full(len(lags), np.nan)
    if not len(x):
        return out
    x = x - x.mean()
    denom = float(np.dot(x, x))
    if denom == 0.0:
        return out
    for i, lag in enumerate(lags):
        if 0 < lag < len(x):
            out[i] = float(np.dot(x[:-lag], x[lag:]) / denom)
    return out


def excess_kurtosis(x: np.ndarray) -> float:
    """Sample excess kurtosis (0 for a Gaussian)."""
    x = np.asarray(x, dtype=float)
    if len(x) < 4 or x.std() == 0:
        return float("nan")
    z = (x - x.mean()) / x.std()
    return float(np.mean(z**4) - 3.0)


def skewness(x: np.ndarray) -> float:
    """Sample skewness."""
    x = np.asarray(x, dtype=float)
    if len(x) < 3 or x.std() == 0:
        return float("nan")
    z = (x - x.mean()) / x.std()
    return float(np.mean(z**3))


def clustering_slope(abs_acf: np.ndarray, lags: Sequence[int] = CLUSTERING_LAGS) -> float:
    """Slope of log ACF(|r|) against log lag (a power-law decay exponent is its negative)."""
    acf = np.asarray(abs_acf, dtype=float)
    lag = np.asarray(lags, dtype=float)
    ok = np.isfinite(acf) & (acf > 0)
    if ok.sum() < 3:
        return float("nan")
    return float(np.polyfit(np.log(lag[ok]), np.log(acf[ok]), 1)[0])


def aggregate(returns: np.ndarray, scale: int) -> np.ndarray:
    """Non-overlapping sums of ``scale`` consecutive returns."""
    n = len(returns) // scale
    return np.asarray(returns[: n * scale]).reshape(n, scale).sum(axis=1)


def stylized_facts(prices: Sequence[float] | np.ndarray, burn_in: float = 0.1) -> dict[str, float]:
    """Every statistic of the validation spec for one price path, as a flat dict."""
    r = log_returns(prices, burn_in)
    facts: dict[str, float] = {"n_returns": float(len(r))}
    for frac in (0.01, 0.025, 0.05):
        facts[f"hill_{frac * 100:g}pct"] = hill_tail_index(r, frac)
    facts["hill_negative_2.5pct"] = hill_tail_index(r, 0.025, "negative")
    facts["hill_positive_2.5pct"] = hill_tail_index(r, 0.025, "positive")
    facts["excess_kurtosis"] = excess_kurtosis(r)
    facts["skewness"] = skewness(r)
    raw = autocorrelation(r, range(1, 101))
    facts["acf_lag1"] = float(raw[0])
    facts["max_abs_acf_lags_2_100"] = float(np.nanmax(np.abs(raw[1:]))) if len(r) > 3 else np.nan
    abs_acf = autocorrelation(np.abs(r), CLUSTERING_LAGS)
    for lag, value in zip(CLUSTERING_LAGS, abs_acf, strict=True):
        facts[f"abs_acf_lag{lag}"] = float(value)
    facts["abs_acf_slope"] = clustering_slope(abs_acf)
    for scale in AGGREGATION_SCALES:
        agg = aggregate(r, scale)
        facts[f"kurtosis_agg{scale}"] = excess_kurtosis(agg)
    return facts
