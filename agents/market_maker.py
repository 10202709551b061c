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

In the flow mode, the default (docs/price-formation.md), the fair price is the
belief the makers learn from order flow (`agents.belief`), and the depth each side lost to
fills, the maker's losses and its inventory limit cut what it quotes (`agents.liquidity`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from agents.belief import FlowBelief
from agents.liquidity import LossGuard, Resilience, WithdrawalRules
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
MIN_DEPTH_SHARE = 0.05  # flow mode: what is left of a side's size when its depth is all taken


class FairValue:
    """The makers' fair price of every contract, shared by all of them.

    When the makers know the value (the scripted baseline) it is the index times one plus a
    basis that follows the persistent basis of the last price and decays back to zero (the
    perpetual is priced off the index, not off its own last trade).

    When they learn from flow (``belief`` given) it is their shared belief learned from net
    order flow (`agents.belief.FlowBelief`), the same the spot makers quote around: only
    trades move it.

    Args:
        n_contracts: number of contracts.
        dt: seconds per step.
        belief: the makers' belief learned from flow (None: they know the value).
    """

    def __init__(self, n_contracts: int, dt: float, belief: FlowBelief | None = None) -> None:
        self.basis = np.zeros(n_contracts)
        self.dt = dt
        self.price = np.full(n_contracts, np.nan)
        self.belief = belief

    def update(self, index: np.ndarray, last: np.ndarray, dt: float | None = None) -> np.ndarray:
        """This step's fair prices from the index and the last traded prices (or, learning
        from flow, the makers' belief), ``dt`` seconds (default: the step it was built with)
        after the last."""
        if self.belief is not None:
            self.belief.update()
            self.price = self.belief.price
            return self.price
        dt = self.dt if dt is None else dt
        weight = 1.0 - 0.5 ** (dt / FAIR_BASIS_HALFLIFE)
        self.basis += weight * (
            np.clip(last / index - 1.0, -MAX_FAIR_BASIS, MAX_FAIR_BASIS) - self.basis
        )
        self.basis *= 0.5 ** (dt / FAIR_BASIS_REVERSION)
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
        rules: WithdrawalRules | None = None,
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
        # flow mode: depth that comes back at a finite rate, size cut by losses
        self.rules = rules
        if rules is not None:
            self.resilience = Resilience(n, rules.refill_halflife, view.dt)
            self.guard = LossGuard(capital, rules.loss_limit)
            self.held_before = [0] * n
            self.picked = [0] * n  # lots this maker took itself since its last quote

    @classmethod
    def step_crowd(
        cls, makers: Sequence[MarketMaker], view: MarketView, fair: FairValue, last: np.ndarray
    ) -> None:
        """The makers' shared fair price moves (from the index and ``last``, the last traded
        prices), then every maker requotes."""
        fair.update(view.index, last, view.dt)
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
        rules = self.rules
        keep = 1.0 if rules is None else self.guard.size_share(self.me.cross_equity)
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
            sizes = {1: lots, -1: lots}
            if rules is not None:
                away = rules.steps_away(ratio)
                sizes = self._withdraw(
                    c, held[c], price, size_value * keep, inventory, depth[c], away
                )
            for side in order:
                lots = sizes[side]
                if lots <= 0 or (usage > 0.9 and long_short == side):
                    # at the margin limit: only quote the side that reduces inventory
                    self.resting[c][side].cancel_all(self._ports[c])
                    continue
                touch = price * (1.0 + (skew - side * half) / 1e4)  # the whole ladder leans
                self._pick_off(c, side, centre, lots)
                self._amend(c, side, self._ladder(c, side, touch, levels), lots)

    def _withdraw(
        self,
        c: int,
        held: int,
        price: float,
        size_value: float,
        inventory: float,
        depth: float,
        away: bool = False,
    ) -> dict[int, int]:
        """Flow mode: lots per level on each side after the depth this maker lost to fills
        (`agents.liquidity.Resilience`), its losses (``size_value`` already cut by
        `agents.liquidity.LossGuard`) and its inventory limit: a side whose depth is all taken
        keeps MIN_DEPTH_SHARE of its size; a maker at its loss limit or its inventory limit,
        or stepping ``away`` from a fast market, quotes only the side that cuts its
        inventory."""
        rules = self.rules
        assert rules is not None
        lot = self._lot[c]
        full = LEVEL_SIZE_BTC_VALUE * depth * LEVELS
        # depth taken: what others filled against this maker's ladder, not what it took itself
        passive = held - self.held_before[c] - self.picked[c]
        self.resilience.update(c, passive * lot * price, full, self.view.dt)
        self.held_before[c] = held
        self.picked[c] = 0
        share = self.resilience.share[c]
        limit = rules.inventory_limit * depth
        sizes = {}
        for side in (1, -1):
            adds = side * inventory > 0
            if adds and (size_value <= 0 or abs(inventory) >= limit or away):
                sizes[side] = 0
                continue
            value = max(size_value, LEVEL_SIZE_BTC_VALUE * depth * MIN_DEPTH_SHARE)
            sizes[side] = self.view.to_lots(c, value * max(MIN_DEPTH_SHARE, share[side]) / price)
        return sizes

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
        result = self.gateway.send(c, side, lots, limit, TimeInForce.IOC)
        if self.rules is not None and result.filled_qty:
            self.picked[c] += side * int(result.filled_qty)
        belief = self.fair.belief
        if belief is not None and result.filled_qty:
            # the makers learn from others' flow, not from their own pick-offs
            belief.own_flow[c] += side * int(result.filled_qty) * self._lot[c]

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
