"""Spot liquidity providers: ladders on one spot venue around the fundamental value.

A spot maker knows what the asset is worth (the exogenous fundamental value: news, flows on
markets the model does not hold) and quotes around it, leaning against its inventory: coins it
bought from sellers push its quotes down until it has sold them again. That lean is how selling
that reaches the spot venues (perpetual liquidations passed on by basis arbitrageurs, an
order-flow shock) moves the index beyond the fundamental move, and why it comes back when the
selling stops. Makers on a spot venue do not get liquidated; they stop buying at their cash and
stop selling at their coins.

By default the makers know the fundamental value, so a flow moves prices only within their
inventory lean. With ``spot.learning_bps`` above 0 they do not know it exactly: they also learn
from the order flow they absorb (`ValueEstimate`), the way a dealer who keeps buying from
sellers infers that the asset is worth less (Kyle 1985; Glosten & Milgrom 1985). That part of a
flow's impact stays after the makers have unwound their inventory, and fades back to the
fundamental value only over ``spot.learning_halflife``; what brings prices back sooner are the
traders who know the value (spot value traders, leveraged value funds on the perpetual).

In the flow mode, the default (docs/price-formation.md), they do not know it at all:
they quote around the belief they share with the perpetual's makers (`agents.belief`), their
depth comes back at a finite rate after it is taken, and they widen and thin their quotes as
the market speeds up or they lose money (`agents.liquidity`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import mesa

from agents.liquidity import LossGuard, Resilience, VolatilityGauge, WithdrawalRules
from agents.quoting import Ladder, Quotes
from model.gateway import MarketAccess, SpotGateway
from model.view import MarketView, SpotView

HALF_SPREAD_BPS = 2.0
LEVEL_STEP_BPS = 3.0
LEVELS = 10
LEVEL_VALUE = 60_000.0  # USDT per level, before spot.depth_scale
INVENTORY_LIMIT_VALUE = 3_000_000.0  # USDT of inventory at which the lean is SKEW_BPS
SKEW_BPS = 60.0  # lean of the quotes at the inventory limit
MIN_DEPTH_SHARE = 0.05  # flow mode: what is left of a side's size when its depth is all taken


class Estimate(Protocol):
    """What spot makers quote around: each underlying's value as they see it."""

    values: list[float]

    def update(self, fundamental: list[float], dt: float) -> list[float]: ...


class SpotMaker(mesa.Agent):
    """Quotes one underlying on one spot venue.

    Args:
        model: the Mesa model.
        access: the market's view and account opening.
        contract: the underlying (by its perpetual's index).
        venue: the spot venue.
        price: starting price, to size the starting coins.
        depth_scale: multiplier on level sizes and inventory.
    """

    kind = "spot_maker"

    # the makers' shared estimate of value, set when all are built: `ValueEstimate` when they
    # know the value signal, `agents.belief.FlowBelief` when they learn from flow
    estimate: Estimate

    def __init__(
        self,
        model: mesa.Model,
        access: MarketAccess,
        contract: int,
        venue: int,
        price: float,
        depth_scale: float,
        rules: WithdrawalRules | None = None,
        calm_vol_bps: float = 0.0,
    ) -> None:
        super().__init__(model)
        spot = access.view.spot
        assert spot is not None  # spot makers exist only with spot venues
        self.spot: SpotView = spot
        self.contract = contract
        self.venue = venue
        self.depth = depth_scale
        capital = INVENTORY_LIMIT_VALUE * depth_scale * 2.0
        coins = [0.0] * access.view.n_contracts
        coins[contract] = capital / price
        self.gateway = access.open_spot_account(capital, coins)
        self.spot_account = self.gateway.account
        self.coins_start = coins[contract]
        self.ladder = Ladder(LEVEL_STEP_BPS, float(model.rng.uniform(0.0, 1.0)))
        self.resting = {side: Quotes(self.spot_account, side) for side in (1, -1)}
        self.jitter = float(model.rng.uniform(0.8, 1.2))
        self._to_ticks = spot.tick_rounder(contract)
        self._port = self.gateway.quotes(contract, venue)
        # flow mode: depth that comes back at a finite rate, size cut by losses
        self.rules = rules
        if rules is not None:
            self.resilience = Resilience(1, rules.refill_halflife, access.view.dt)
            self.guard = LossGuard(capital * 2.0, rules.loss_limit)  # cash and as much in coins
            self.coins_before = coins[contract]
            self.gauge = VolatilityGauge(calm_vol_bps, access.view.dt)
            # the perpetual's mark, watched to step away from a fast market as its makers do
            self.market = VolatilityGauge(calm_vol_bps, access.view.dt)
            self.view = access.view

    @classmethod
    def step_crowd(cls, makers: Sequence[SpotMaker], view: MarketView, estimate: Estimate) -> None:
        """The makers' estimate of value learns from last step's flow, then every maker
        requotes around it."""
        estimate.update(view.fundamental.tolist(), view.dt)
        for maker in makers:
            maker.act(view, maker.gateway)

    def act(self, view: MarketView, gateway: SpotGateway) -> None:
        """Requote around the makers' estimate of value of this maker's underlying."""
        self.quote(self.estimate.values[self.contract])

    def coins_held(self) -> float:
        """Coins of its underlying the maker holds."""
        return self.spot.coins(self.spot_account, self.contract)

    def inventory(self, price: float) -> float:
        """USDT value of the coins held beyond the starting holding (negative: sold)."""
        return (self.spot.coins(self.spot_account, self.contract) - self.coins_start) * price

    def quote(self, fundamental: float) -> None:
        """Bring both sides of the ladder to where they should be around ``fundamental`` (the
        makers' estimate of value: `ValueEstimate`)."""
        spot, c = self.spot, self.contract
        lot = spot.lot[c]
        inventory = self.inventory(fundamental)
        lean = -SKEW_BPS * max(-2.0, min(2.0, inventory / (INVENTORY_LIMIT_VALUE * self.depth)))
        centre = fundamental * (1.0 + lean / 1e4)
        half = HALF_SPREAD_BPS * self.jitter
        lots = max(1, int(LEVEL_VALUE * self.depth / fundamental / lot))
        cash = spot.cash(self.spot_account)
        coins = spot.coins(self.spot_account, c)
        book = self._port
        sizes = {1: lots, -1: lots}
        if self.rules is not None:
            # the faster the market, the wider and thinner the quotes (as the perpetual's makers)
            dt = self.view.dt
            excess = max(0.0, self.gauge.observe(fundamental, dt) - 1.0)
            half *= 1.0 + 0.5 * excess
            away = self.rules.steps_away(self.market.observe(float(self.view.mark[c]), dt))
            sizes = self._withdraw(fundamental, cash, coins, inventory, 1.0 + 0.3 * excess, away)

        to_ticks = self._to_ticks
        for side in (1, -1):
            lots = sizes[side]
            # a maker bids only with the cash it has and offers only the coins it holds
            room = cash / centre if side > 0 else coins
            if lots <= 0 or room < lots * lot * LEVELS:
                self.resting[side].cancel_all(book)
                continue
            touch = centre * (1.0 - side * half / 1e4)
            ticks = self.ladder.wanted(0, side, touch, LEVELS, to_ticks)
            self.resting[side].amend(book, ticks, lots)

    def _withdraw(
        self,
        price: float,
        cash: float,
        coins: float,
        inventory: float,
        thinning: float,
        away: bool = False,
    ) -> dict[int, int]:
        """Flow mode: lots per level on each side after the depth this maker lost to fills
        (`agents.liquidity.Resilience`), its losses (`agents.liquidity.LossGuard`) and the
        market's speed (sizes divided by ``thinning``); at its loss limit it quotes only the
        side that cuts its inventory, and so it does while it steps ``away`` from a fast
        market."""
        lot = self.spot.lot[self.contract]
        full = LEVEL_VALUE * self.depth * LEVELS
        self.resilience.update(0, (coins - self.coins_before) * price, full, self.view.dt)
        self.coins_before = coins
        keep = self.guard.size_share(cash + coins * price)
        share = self.resilience.share[0]
        sizes = {}
        for side in (1, -1):
            if (keep <= 0 and side * inventory >= 0) or (away and side * inventory > 0):
                sizes[side] = 0
                continue
            value = LEVEL_VALUE * self.depth * max(keep, MIN_DEPTH_SHARE) / thinning
            sizes[side] = max(1, int(value * max(MIN_DEPTH_SHARE, share[side]) / price / lot))
        return sizes


class ValueEstimate:
    """What the spot makers of each underlying think it is worth: the fundamental value times
    ``exp(offset)``, where the offset moves against the net flow the makers absorbed last step
    and fades back to 0.

    Each step, for each underlying, the makers' coins bought since the last step (valued at the
    estimate) over their summed inventory limits moves the offset by ``learning_bps`` per unit:
    buying a whole inventory limit from sellers lowers the estimate by ``learning_bps``. The
    offset then decays with half-life ``halflife`` seconds.

    Args:
        makers: the spot makers (all underlyings).
        n_contracts: number of underlyings.
        learning_bps: basis points per inventory limit of net flow absorbed; 0 keeps the
            estimate at the fundamental value.
        halflife: seconds for half of the offset to fade.
    """

    def __init__(
        self, makers: list[SpotMaker], n_contracts: int, learning_bps: float, halflife: float
    ) -> None:
        self.makers = makers
        self.learning = learning_bps / 1e4
        self.halflife = halflife
        self.offset = [0.0] * n_contracts  # log(estimate / fundamental value)
        self.limit = [0.0] * n_contracts
        for maker in makers:
            self.limit[maker.contract] += INVENTORY_LIMIT_VALUE * maker.depth
        self.held = [maker.coins_held() for maker in makers]
        # the last estimates (recorded as ``maker_value``; none before the first step)
        self.values = [math.nan] * n_contracts

    def update(self, fundamental: list[float], dt: float) -> list[float]:
        """Learn from last step's flow; return each underlying's estimate of value."""
        if not self.learning:
            self.values = list(fundamental)
            return self.values
        bought = [0.0] * len(self.offset)
        for i, maker in enumerate(self.makers):
            held = maker.coins_held()
            bought[maker.contract] += held - self.held[i]
            self.held[i] = held
        keep = 0.5 ** (dt / self.halflife)
        estimates = []
        for c, value in enumerate(fundamental):
            offset = self.offset[c]
            estimate = value * math.exp(offset)
            if self.limit[c] > 0:
                offset -= self.learning * bought[c] * estimate / self.limit[c]
            offset *= keep
            self.offset[c] = offset
            estimates.append(value * math.exp(offset))
        self.values = estimates
        return estimates
