"""Market makers: ladders of quotes around a fair price, skewed by inventory.

They are where the seed article's spread widening comes from. Each maker tracks realised
volatility (an EWMA of squared one-step log returns of the mark price) and its own margin usage:
the half-spread widens and the size per level shrinks as either rises, and in stress (volatility
many times its calm level, or margin usage high) the maker pulls most of its ladder and quotes a
few wide levels only. Makers have accounts like everyone else and can be liquidated.

A maker does not cancel and re-send its ladder every step. The touch follows the fair price;
the deeper levels sit on a grid fixed in price, and each step the maker sends only the messages
that change something (a level that moved, appeared or vanished, a size that drifted more than
SIZE_TOLERANCE), so resting levels keep their queue priority the way they would on a venue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from agents.quoting import Ladder, Quotes
from agents.trader import Trader
from model.gateway import MarketAccess, OrderGateway, TimeInForce
from model.view import MarketView

HALF_SPREAD_BPS = 1.0  # calm half-spread
LEVEL_STEP_BPS = 1.5  # distance between ladder levels
LEVELS = 10
LEVEL_SIZE_BTC_VALUE = 100_000.0  # USDT per level in calm markets, before depth_scale
VOL_HALFLIFE = 20.0  # seconds
STRESS_VOL_MULTIPLE = 4.0  # realised vol above this multiple of calm vol = stress
STRESS_MARGIN_USAGE = 0.6
INVENTORY_LIMIT_VALUE = 3_000_000.0  # USDT of inventory at which quotes lean SKEW_BPS
SKEW_BPS = 20.0  # a maker full of inventory prices it well away: absorbing flow moves prices
MAX_HALF_SPREAD_BPS = 50.0  # before the stress multiple: a maker still quotes within ~1.5% of fair
FAIR_BASIS_HALFLIFE = 30.0  # seconds: makers lean on the persistent basis, not on single prints
# seconds: half-life of the pull of makers' basis back to zero. Faster than the tracking, so the
# makers' fair value keeps only a small share of the basis their own trades printed: a fair
# value that followed the last trade would anchor the perpetual to itself and it would
# under-react to the index (std of 60-s returns 0.87 of the index's, against 0.98 now)
FAIR_BASIS_REVERSION = 5.0
MAX_FAIR_BASIS = 0.05


class FairValue:
    """The makers' fair price of every contract, shared by all of them: the index times one
    plus a basis that follows the persistent basis of the last price and decays back to zero
    (the perpetual is priced off the index, not off its own last trade).

    Args:
        n_contracts: number of contracts.
        dt: seconds per step.
    """

    def __init__(self, n_contracts: int, dt: float) -> None:
        self.basis = np.zeros(n_contracts)
        self.dt = dt
        self.price = np.full(n_contracts, np.nan)

    def update(self, index: np.ndarray, last: np.ndarray) -> np.ndarray:
        """This step's fair prices from the index and the last traded prices."""
        weight = 1.0 - 0.5 ** (self.dt / FAIR_BASIS_HALFLIFE)
        self.basis += weight * (
            np.clip(last / index - 1.0, -MAX_FAIR_BASIS, MAX_FAIR_BASIS) - self.basis
        )
        self.basis *= 0.5 ** (self.dt / FAIR_BASIS_REVERSION)
        self.price = index * (1.0 + self.basis)
        return self.price


class MarketMaker(Trader):
    """A quoting market maker on every contract."""

    kind = "market_maker"
    provides_liquidity = True

    def __init__(
        self,
        model: mesa.Model,
        access: MarketAccess,
        capital: float,
        calm_vol_bps: np.ndarray,
        depth_scale: np.ndarray,
        fair: FairValue,
    ) -> None:
        super().__init__(model, access, capital, leverage=20.0, isolated=False)
        view = access.view
        n = view.n_contracts
        self.fair = fair
        self.calm_vol = np.maximum(calm_vol_bps, 0.2)
        self.var = self.calm_vol**2
        self.depth_scale = depth_scale
        self.last_mid = np.full(n, np.nan)
        self.last_centre = [0.0] * n
        self.stressed = np.zeros(n, dtype=bool)
        self.jitter = float(model.rng.uniform(0.8, 1.2))
        # where this maker's deep levels sit on the log-price grid (makers do not share levels)
        self.grid_phase = float(model.rng.uniform(0.0, 1.0))
        self.ladder = Ladder(LEVEL_STEP_BPS, self.grid_phase)
        # resting orders by contract and side
        self.resting: list[dict[int, Quotes]] = [
            {1: Quotes(self.account, 1), -1: Quotes(self.account, -1)} for _ in range(n)
        ]
        self._ports = [self.gateway.quotes(c) for c in range(n)]
        self._lot = list(view.lot)
        self._to_ticks = [view.tick_rounder(c) for c in range(n)]

    @classmethod
    def step_crowd(
        cls, makers: Sequence[MarketMaker], view: MarketView, fair: FairValue, last: np.ndarray
    ) -> None:
        """The makers' shared fair price moves (from the index and ``last``, the last traded
        prices), then every maker requotes."""
        fair.update(view.index, last)
        for maker in makers:
            maker.act(view, maker.gateway)

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """Watch the mark's volatility, then bring the ladders to the shared fair price."""
        self.observe(view.mark, view.dt)
        self.quote(self.fair.price)

    def observe(self, mids: np.ndarray, dt: float) -> None:
        """Update realised volatility from this step's reference prices (the mark: a maker
        watches the wider market, not only its own thin book, or one gap in the book would keep
        it in stress for ever)."""
        weight = 1.0 - 0.5 ** (dt / VOL_HALFLIFE)
        scale = 1e4 / math.sqrt(dt)
        var, last = self.var, self.last_mid
        for c in range(len(mids)):  # a handful of contracts: scalar maths beats array calls
            mid = float(mids[c])
            if not math.isfinite(mid):
                continue
            before = float(last[c])
            if math.isfinite(before):
                ret = math.log(mid / before) * scale
                var[c] += weight * (ret * ret - var[c])
            last[c] = mid

    def margin_usage(self) -> float:
        """Initial margin in use over equity."""
        equity = self.me.cross_equity
        if equity <= 0:
            return 1.0
        lots, lot, mark = self.me.positions(), self._lot, self.view.mark.tolist()
        notional = sum(abs(q) * lot[c] * mark[c] for c, q in enumerate(lots))
        return float(notional / self.leverage / equity)

    def quote(self, fair: np.ndarray) -> None:
        """Bring the ladder on every contract to where it should be around ``fair``."""
        usage = self.margin_usage()
        # plain floats: this runs for every maker every step
        var, calm = self.var.tolist(), self.calm_vol.tolist()
        depth, held = self.depth_scale.tolist(), self.me.positions()
        for c, price in enumerate(fair.tolist()):
            ratio = math.sqrt(var[c]) / calm[c]
            stressed = ratio > STRESS_VOL_MULTIPLE or usage > STRESS_MARGIN_USAGE
            self.stressed[c] = stressed
            half = HALF_SPREAD_BPS * self.jitter * (1.0 + 0.5 * max(0.0, ratio - 1.0))
            half = min(half * (1.0 + 2.0 * usage), MAX_HALF_SPREAD_BPS)
            levels = LEVELS
            size_value = LEVEL_SIZE_BTC_VALUE * depth[c] / (1.0 + 0.3 * max(0.0, ratio - 1.0))
            size_value *= max(0.1, 1.0 - usage)
            if stressed:
                half *= 3.0
                levels = 3
            inventory = held[c] * self._lot[c] * price
            skew = -inventory / (INVENTORY_LIMIT_VALUE * depth[c]) * max(half, SKEW_BPS)
            lots = self.view.to_lots(c, size_value / price)
            long_short = (inventory > 0) - (inventory < 0)
            centre = price * (1.0 + skew / 1e4)
            # the side the ladder moves away from goes first, so a quote moving up is not
            # refused for crossing the maker's own ask still resting below it
            order = (-1, 1) if centre > self.last_centre[c] else (1, -1)
            self.last_centre[c] = centre
            for side in order:
                if lots <= 0 or (usage > 0.9 and long_short == side):
                    # at the margin limit: only quote the side that reduces inventory
                    self.resting[c][side].cancel_all(self._ports[c])
                    continue
                touch = price * (1.0 + (skew - side * half) / 1e4)  # the whole ladder leans
                self._pick_off(c, side, centre, lots)
                self._amend(c, side, self._ladder(c, side, touch, levels), lots)

    def _pick_off(self, c: int, side: int, centre: float, lots: int) -> None:
        """Take stale orders on the other side priced through this maker's own centre (an ask
        left below fair value when the price moved up), up to one level's size: the maker's
        post-only quotes would be refused for crossing them, and the book would lag its fair
        price until someone else took them (calm, 1x: std of 60-s perp returns 0.87 of the
        index's without it)."""
        book = self.view.books[c]
        best = book.best_ask() if side > 0 else book.best_bid()
        limit = self._to_ticks[c](centre)
        if best is None or (best > limit if side > 0 else best < limit):
            return
        self.gateway.send(c, side, lots, limit, TimeInForce.IOC)

    def _ladder(self, c: int, side: int, touch: float, levels: int) -> list[int]:
        """Ticks wanted: the touch, then ``levels - 1`` levels on the maker's own grid
        (`agents.quoting.Ladder`), so most deep orders stay, and keep their place in the
        queue, from one step to the next."""
        return self.ladder.wanted(c, side, touch, levels, self._to_ticks[c])

    def _amend(self, c: int, side: int, ticks: list[int], lots: int) -> None:
        """Send only the messages that turn the resting ladder into ``lots`` at each of
        ``ticks`` (`agents.quoting.Quotes.amend`, post-only quotes on the contract's book: they
        cannot trade on entry, so `Exchange.post` has nothing to check or settle)."""
        self.resting[c][side].amend(self._ports[c], ticks, lots)
