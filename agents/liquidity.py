"""Liquidity that withdraws: what a maker quotes after it was traded against, or lost money.

Two rules, shared by the perpetual's and the spot venues' makers when they learn prices from
order flow (the flow mode: the default, ``prices.makers_know_value`` unset or false):

* **Resilience.** Depth taken from a side of a maker's ladder comes back at a finite rate: each
  side quotes a share of its full size, the share falls by the value filled over the ladder's
  full value, and regrows towards 1 with half-life ``refill_halflife`` (the book's resilience
  of Obizhaeva & Wang 2013; the half-life is chosen, not measured). A maker who was just run
  over does not stand in front of the same flow again at once.
* **Volatility.** A maker widens its spread and cuts its size as realised volatility rises
  over its calm level (`VolatilityGauge`; the perpetual's makers have always done so).
* **Stepping away.** With ``step_away_multiple`` set, a maker quotes only the side that cuts
  its inventory while the mark's realised volatility is above that multiple of its calm level:
  in a fast one-way market the intermediaries stop absorbing and become, if anything, sellers
  (the high-frequency market makers of the 6 May 2010 flash crash: Kirilenko, Kyle, Samadi &
  Tuzun 2017, J. Finance 72(3)). The multiple is chosen.
* **Losses.** A maker that lost money from its peak equity cuts its size in proportion and, at
  ``loss_limit`` of its capital, quotes only the side that cuts its inventory: liquidity
  providers' funding constraints (Brunnermeier & Pedersen 2009).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WithdrawalRules:
    """How a maker's liquidity withdraws (from `model.settings.PriceFormation`).

    Args:
        refill_halflife: seconds for half of the depth lost to fills to come back (0: at once).
        loss_limit: share of capital lost from the peak at which only the reducing side stays.
        inventory_limit: USDT of inventory (per unit of depth) at which the side adding to it
            is pulled.
        step_away: realised over calm volatility of the mark above which the side adding to
            the inventory is pulled (0: never).
    """

    refill_halflife: float
    loss_limit: float
    inventory_limit: float
    step_away: float = 0.0

    def steps_away(self, vol_ratio: float) -> bool:
        """True when the market moves too fast for the maker to take on more inventory."""
        return 0.0 < self.step_away < vol_ratio


class Resilience:
    """The share of its full size each side of a maker's ladders quotes now, per book.

    Args:
        n_books: books the maker quotes.
        refill_halflife: seconds for half of the lost depth to come back (0: at once).
        dt: seconds per step (the step ``update`` assumes when it is not told).
    """

    __slots__ = ("dt", "halflife", "keep", "share")

    def __init__(self, n_books: int, refill_halflife: float, dt: float) -> None:
        self.share = [{1: 1.0, -1: 1.0} for _ in range(n_books)]
        self.halflife = refill_halflife
        self.dt = dt
        self.keep = 0.5 ** (dt / refill_halflife) if refill_halflife > 0 else 0.0

    def update(
        self, book: int, bought_value: float, full_value: float, dt: float | None = None
    ) -> None:
        """Depth comes back for one step of ``dt`` seconds, then the side the maker traded on
        (bids when it bought: ``bought_value`` > 0) loses the value filled over
        ``full_value``."""
        if dt is not None and dt != self.dt:
            self.dt = dt
            self.keep = 0.5 ** (dt / self.halflife) if self.halflife > 0 else 0.0
        sides = self.share[book]
        keep = self.keep
        for side in (1, -1):
            sides[side] = 1.0 - (1.0 - sides[side]) * keep
        if bought_value and full_value > 0:
            side = 1 if bought_value > 0 else -1
            sides[side] = max(0.0, sides[side] - abs(bought_value) / full_value)


class LossGuard:
    """How much of its size a maker keeps after losing money from its peak equity.

    Args:
        capital: the maker's capital (USDT).
        loss_limit: share of capital lost from the peak at which the size is 0.
    """

    __slots__ = ("limit", "peak")

    def __init__(self, capital: float, loss_limit: float) -> None:
        self.peak = capital
        self.limit = loss_limit * capital

    def size_share(self, equity: float) -> float:
        """1 at the peak, falling in proportion to the loss, 0 at the limit."""
        self.peak = max(self.peak, equity)
        return max(0.0, 1.0 - (self.peak - equity) / self.limit)


class VolatilityGauge:
    """Realised volatility of a price over its calm level, for a maker that widens its spread
    and cuts its size as the market moves faster: an exponentially weighted mean of squared
    one-step log returns (per √second) with half-life ``halflife`` seconds.

    Args:
        calm_bps: the calm volatility, bps per √second.
        dt: seconds per step (the step ``observe`` assumes when it is not told).
        halflife: seconds.
    """

    __slots__ = ("calm", "dt", "halflife", "last", "scale", "var", "weight")

    def __init__(self, calm_bps: float, dt: float, halflife: float = 20.0) -> None:
        self.calm = max(calm_bps, 0.2)
        self.var = self.calm**2
        self.halflife = halflife
        self.dt = dt
        self.weight = 1.0 - 0.5 ** (dt / halflife)
        self.scale = 1e4 / math.sqrt(dt)
        self.last = math.nan

    def observe(self, price: float, dt: float | None = None) -> float:
        """Take this step's price, ``dt`` seconds after the last; return realised over calm
        volatility."""
        if dt is not None and dt != self.dt:
            self.dt = dt
            self.weight = 1.0 - 0.5 ** (dt / self.halflife)
            self.scale = 1e4 / math.sqrt(dt)
        if price > 0:
            if self.last > 0:
                ret = math.log(price / self.last) * self.scale
                self.var += self.weight * (ret * ret - self.var)
            self.last = price
        return math.sqrt(self.var) / self.calm
