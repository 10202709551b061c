"""Mark price and funding: the formulas, and the small stateful pieces that apply them each step.

Formulas from shared/spec/exchange-mechanics.md §6:

* premium index ``(max(0, impact bid − index) − max(0, index − impact ask)) / index``, where an
  impact price is the average fill price of a market order of ``200 USDT / initial margin rate``;
* funding rate ``F = P + clamp(I − P, −0.05%, +0.05%)`` on the time-weighted average premium P,
  optionally capped; paid peer to peer on mark notional, longs pay when F > 0;
* Binance mark price = median(Price1, Price2, last) with
  ``Price1 = index·(1 + last funding rate·time to funding / interval)`` and
  ``Price2 = index + moving average of (mid − index)``;
* Hyperliquid mark price = median(oracle + EMA of (mid − oracle), median(bid, ask, last),
  other venues' perp mids); with two components the median is their mean.

Example:
    >>> round(premium_index(60_030.0, 60_050.0, 60_000.0), 6)
    0.0005
    >>> round(funding_rate(0.0005), 8)  # P + clamp(I − P): 0.05% − 0.04% = 0.01%
    0.0001
"""

from __future__ import annotations

import math
from collections import deque
from typing import Protocol

import numpy as np

IMPACT_MARGIN_USDT = 200.0  # impact notional = 200 USDT / initial margin rate (spec §6)


def _median(values: list[float]) -> float:
    """`numpy.median` of a few values (NaN if any is NaN), without its per-call overhead: the
    mark price takes one every step."""
    if any(math.isnan(v) for v in values):
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def _finite(name: str, value: float) -> None:
    number = int | float | np.integer | np.floating
    if isinstance(value, bool) or not isinstance(value, number) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _positive(name: str, value: float) -> None:
    _finite(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def premium_index(impact_bid: float, impact_ask: float, index: float) -> float:
    """Premium of the perpetual over the index, from the book's impact prices.

    Raises:
        ValueError: a price that is not a finite number > 0.
    """
    _positive("impact_bid", impact_bid)
    _positive("impact_ask", impact_ask)
    _positive("index", index)
    return (max(0.0, impact_bid - index) - max(0.0, index - impact_ask)) / index


def funding_rate(
    avg_premium: float,
    interest: float = 0.0001,
    clamp: float = 0.0005,
    cap: float | None = None,
) -> float:
    """``F = P + clamp(I − P, −clamp, +clamp)``, then ``|F| ≤ cap`` when a cap is given.

    Raises:
        ValueError: a non-finite premium or interest, a negative or non-finite clamp, or a cap
            that is not a finite number > 0.
    """
    _finite("avg_premium", avg_premium)
    _finite("interest", interest)
    _finite("clamp", clamp)
    if clamp < 0:
        raise ValueError(f"clamp must be ≥ 0, got {clamp!r}")
    if cap is not None:
        _positive("cap", cap)
    rate = avg_premium + min(max(interest - avg_premium, -clamp), clamp)
    if cap is not None:
        rate = min(max(rate, -cap), cap)
    return rate


def impact_notional(initial_margin_rate: float) -> float:
    """Notional (USDT) of the market order whose average fill price is the impact price."""
    _finite("initial_margin_rate", initial_margin_rate)
    if not 0 < initial_margin_rate <= 1:
        raise ValueError(f"initial_margin_rate must be in (0, 1], got {initial_margin_rate!r}")
    return IMPACT_MARGIN_USDT / initial_margin_rate


def mark_price_binance(
    index: float,
    last_funding_rate: float,
    time_to_funding: float,
    funding_interval: float,
    ma_basis: float,
    last_price: float,
) -> float:
    """Binance perpetual mark price: the median of Price1, Price2 and the last price.

    Raises:
        ValueError: non-finite input, an index, last price or funding interval not > 0, or a
            negative time to funding.
    """
    _positive("index", index)
    _finite("last_funding_rate", last_funding_rate)
    _finite("time_to_funding", time_to_funding)
    if time_to_funding < 0:
        raise ValueError(f"time_to_funding must be ≥ 0, got {time_to_funding!r}")
    _positive("funding_interval", funding_interval)
    _finite("ma_basis", ma_basis)
    _positive("last_price", last_price)
    price1 = index * (1.0 + last_funding_rate * (time_to_funding / funding_interval))
    price2 = index + ma_basis
    return _median([price1, price2, last_price])


def mark_price_hyperliquid(
    oracle: float,
    ema_basis: float,
    best_bid: float | None,
    best_ask: float | None,
    last_price: float | None,
    other_venues: float | None = None,
) -> float:
    """Hyperliquid mark price: the median of (oracle + EMA of the basis, the median of best bid,
    best ask and last, other venues' perp mids). A component without data is left out; the
    median of two components is their mean.

    Raises:
        ValueError: a non-finite basis, or a price given that is not a finite number > 0.
    """
    _positive("oracle", oracle)
    _finite("ema_basis", ema_basis)
    for name, value in (("best_bid", best_bid), ("best_ask", best_ask), ("last_price", last_price)):
        if value is not None:
            _positive(name, value)
    if other_venues is not None:
        _positive("other_venues", other_venues)
    parts = [oracle + ema_basis]
    quotes = [q for q in (best_bid, best_ask, last_price) if q is not None]
    if quotes:
        parts.append(_median(quotes))
    if other_venues is not None:
        parts.append(other_venues)
    return _median(parts)


class MarkPrice(Protocol):
    """A mark-price method: fed the market once per step, returns the new mark."""

    def update(
        self,
        t: float,
        index: float,
        bid: float | None,
        ask: float | None,
        last: float | None,
        last_funding_rate: float,
        time_to_funding: float,
        funding_interval: float,
    ) -> float: ...


class BinanceMark:
    """Binance mark with a moving average of the basis over ``window_seconds`` (30 s since
    2025-09-18). Steps with an empty book side add no basis sample."""

    def __init__(self, window_seconds: float = 30.0) -> None:
        self.window = window_seconds
        self._samples: deque[tuple[float, float]] = deque()
        self._sum = 0.0

    def update(self, t, index, bid, ask, last, last_funding_rate, time_to_funding, interval):  # type: ignore[no-untyped-def]
        if bid is not None and ask is not None:
            basis = (bid + ask) / 2.0 - index
            self._samples.append((t, basis))
            self._sum += basis
        while self._samples and self._samples[0][0] <= t - self.window:
            self._sum -= self._samples.popleft()[1]
        ma = self._sum / len(self._samples) if self._samples else 0.0
        return mark_price_binance(
            index,
            last_funding_rate,
            time_to_funding,
            interval,
            ma,
            index + ma if last is None else last,
        )


class HyperliquidMark:
    """Hyperliquid mark with an EMA of (mid − oracle) of time constant ``window_seconds``.

    Args:
        window_seconds: EMA time constant (150 s on Hyperliquid).
        external_index: take the third component, other venues' perp mids, at the index (the
            model simulates one venue; other venues' perpetuals are held to the same spot index
            by their own arbitrage). False leaves it out, so the mark is the mean of the other
            two.
    """

    def __init__(self, window_seconds: float = 150.0, external_index: bool = True) -> None:
        self.tau = window_seconds
        self.external_index = external_index
        self.ema: float | None = None
        self._t: float | None = None

    def update(self, t, index, bid, ask, last, last_funding_rate, time_to_funding, interval):  # type: ignore[no-untyped-def]
        if bid is not None and ask is not None:
            basis = (bid + ask) / 2.0 - index
            if self.ema is None or self._t is None:
                self.ema = basis
            else:
                weight = 1.0 - math.exp(-(t - self._t) / self.tau)
                self.ema += weight * (basis - self.ema)
            self._t = t
        external = index if self.external_index else None
        return mark_price_hyperliquid(index, self.ema or 0.0, bid, ask, last, external)


class LastMark:
    """Mark = last traded price (the index until the first trade)."""

    def update(self, t, index, bid, ask, last, last_funding_rate, time_to_funding, interval):  # type: ignore[no-untyped-def]
        return index if last is None else last


class IndexMark:
    """Mark = index price (no book influence at all)."""

    def update(self, t, index, bid, ask, last, last_funding_rate, time_to_funding, interval):  # type: ignore[no-untyped-def]
        return index


MARK_METHODS = {
    "binance": BinanceMark,
    "hyperliquid": HyperliquidMark,
    "last": LastMark,
    "index": IndexMark,
}


def make_mark_price(
    method: str, window_seconds: float = 30.0, external_index: bool = True
) -> MarkPrice:
    """A fresh mark-price calculator for a venue's method name."""
    if method not in MARK_METHODS:
        raise ValueError(f"mark method must be one of {sorted(MARK_METHODS)}, got {method!r}")
    if method == "hyperliquid":
        return HyperliquidMark(window_seconds, external_index)
    if method == "binance":
        return BinanceMark(window_seconds)
    return MARK_METHODS[method]()  # type: ignore[call-arg,no-any-return]


class FundingAccumulator:
    """Collects the premium each step and turns it into a funding rate when an interval ends.

    Args:
        interval_seconds: time between payments (8 h Binance, 1 h Hyperliquid).
        interest: interest rate I per 8 hours.
        clamp: the clamp on ``I − P``.
        cap: the cap on ``|rate paid|``; None for none.
        payout_divisor: the rate paid each interval is ``F / payout_divisor`` (8 for
            Hyperliquid's hourly payment of the 8-hour rate).
    """

    def __init__(
        self,
        interval_seconds: float = 28_800.0,
        interest: float = 0.0001,
        clamp: float = 0.0005,
        cap: float | None = None,
        payout_divisor: float = 1.0,
    ) -> None:
        if not interval_seconds > 0 or not payout_divisor > 0:
            raise ValueError("interval_seconds and payout_divisor must be > 0")
        self.interval_seconds = interval_seconds
        self.interest = interest
        self.clamp = clamp
        self.cap = cap
        self.payout_divisor = payout_divisor
        self.next_time = interval_seconds
        self.last_rate = 0.0
        self._weighted = 0.0
        self._weight = 0.0

    def sample(self, t: float, dt: float, premium: float) -> None:
        """Add one premium observation covering ``dt`` seconds."""
        self._weighted += premium * dt
        self._weight += dt

    @property
    def average_premium(self) -> float:
        """Time-weighted average premium since the last payment (0 before any sample)."""
        return self._weighted / self._weight if self._weight else 0.0

    def predicted_rate(self) -> float:
        """The rate that would be paid if the interval ended now."""
        rate = funding_rate(self.average_premium, self.interest, self.clamp) / self.payout_divisor
        if self.cap is not None:
            rate = min(max(rate, -self.cap), self.cap)
        return rate

    def due(self, t: float) -> bool:
        """True when a payment falls due at or before ``t``."""
        return t >= self.next_time - 1e-9

    def settle(self, t: float) -> float:
        """Close the interval: return the rate to pay and start the next interval."""
        rate = self.predicted_rate()
        self.last_rate = rate
        self._weighted = self._weight = 0.0
        while self.next_time <= t + 1e-9:
            self.next_time += self.interval_seconds
        return rate

    def time_to_funding(self, t: float) -> float:
        """Seconds until the next payment."""
        return max(0.0, self.next_time - t)
