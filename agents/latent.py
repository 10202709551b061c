"""Latent liquidity: patient buyers and sellers who rest orders far from the price.

Most of what would trade in a large move is not in the visible book: it sits with patient
traders who buy only once the price is well below where it has been, and sell only well above,
and who reveal their orders as the price comes to them. With a density of such orders that
grows with the distance from the recent price (a linear "latent order book"), the cost of
walking it grows as the square root of the quantity traded: the square-root law of market
impact (Tóth et al. 2011, "Anomalous price impact and the critical nature of liquidity in
financial markets"; Donier, Bonart, Mastromatteo & Bouchaud 2015, "A fully consistent, minimal
model for non-linear market impact").

A `LatentLiquidity` trader holds an account on the perpetual and a ladder on each side of every
contract: level k (1..``levels``) sits ``k × step_bps`` from its reference price, with
``k × size`` USDT, so the depth within a distance grows with its square. Unless a number of
levels is set, the ladder has as many as the trader's buying power (its capital at LEVERAGE)
pays for: patient traders are limited by their capital, not by a distance, and a ladder cut at
a fixed distance (it was 20 levels, 5%) left a deeper fall with no bid at all in the book. The
reference is a slow moving average of the mark (half-life ``halflife`` seconds): in calm
markets the ladder follows the price far behind the touch and never trades; in a fast fall the
price runs into it. It looks every LOOK seconds, quotes only behind the visible touch
(post-only), and keeps what it buys: its capital and leverage bound how much it can take. It is
present only when the makers learn prices from flow (the flow mode: the default,
``prices.makers_know_value`` unset or false); the numbers are chosen, not calibrated
(docs/price-formation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa

from agents.quoting import amend
from agents.trader import Trader
from model.gateway import MarketAccess, OrderGateway
from model.view import MarketView

LOOK = 5.0  # seconds between two looks
LEVERAGE = 3.0


@dataclass(frozen=True, slots=True)
class LatentRules:
    """The shape of the latent book (from `model.settings.PriceFormation`).

    Args:
        size: USDT at the first level, per unit of the contract's depth_scale (level k holds
            k times as much).
        step_bps: distance between levels.
        levels: levels per side; None: as many as the trader's buying power pays for.
        halflife: seconds: half-life of the moving average of the mark the ladder hangs from.
    """

    size: float
    step_bps: float
    levels: int | None
    halflife: float


MAX_LEVELS = 200


def ladder_levels(rules: LatentRules, budget: float, depth_scale: float) -> int:
    """The most levels (at least 1, at most MAX_LEVELS) whose summed size, level k holding
    ``k × size × depth_scale`` USDT, is within ``budget`` (USDT of buying power)."""
    per_level = rules.size * depth_scale
    k, total = 0, 0.0
    while k < MAX_LEVELS and per_level > 0 and total + (k + 1) * per_level <= budget:
        k += 1
        total += k * per_level
    return max(1, k)


class LatentLiquidity(Trader):
    """Patient limit orders far from the price on every contract.

    Args:
        model: the Mesa model.
        access: the market's view and account opening.
        capital: USDT of margin.
        rules: the shape of the latent book.
        depth_scale: each contract's depth multiplier.
        prices: starting price of every contract (the first reference).
    """

    kind = "latent_liquidity"
    provides_liquidity = True

    def __init__(
        self,
        model: mesa.Model,
        access: MarketAccess,
        capital: float,
        rules: LatentRules,
        depth_scale: list[float],
        prices: list[float],
    ) -> None:
        super().__init__(model, access, capital, leverage=LEVERAGE)
        view = access.view
        n = view.n_contracts
        self.rules = rules
        self.depth = depth_scale
        self.reference = list(prices)
        self.keep = 0.5 ** (LOOK / rules.halflife)
        self.next_look = float(model.rng.uniform(0.0, LOOK))
        self.quotes: list[dict[int, dict[int, int]]] = [{1: {}, -1: {}} for _ in range(n)]
        self._ports = [self.gateway.quotes(c) for c in range(n)]
        self._to_ticks = [view.tick_rounder(c) for c in range(n)]
        self.levels = [
            ladder_levels(rules, capital * LEVERAGE, scale)
            if rules.levels is None
            else rules.levels
            for scale in depth_scale
        ]

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """Every LOOK seconds: move the reference towards the mark, then bring the ladders to
        it, behind the visible touch."""
        if view.time + 1e-9 < self.next_look:
            return
        self.next_look = view.time + LOOK
        rules, keep = self.rules, self.keep
        mark = view.mark.tolist()
        for c, price in enumerate(mark):
            if not price > 0:  # no mark yet (NaN)
                continue
            reference = price + (self.reference[c] - price) * keep
            self.reference[c] = reference
            book = view.books[c]
            to_ticks = self._to_ticks[c]
            for side in (1, -1):
                touch = book.best_bid() if side > 0 else book.best_ask()
                wanted: dict[int, int] = {}
                for k in range(1, self.levels[c] + 1):
                    tick = to_ticks(reference * (1.0 - side * k * rules.step_bps / 1e4))
                    if tick <= 0 or (touch is not None and side * (tick - touch) >= 0):
                        continue  # at or through the touch: it waits behind it
                    lots = view.to_lots(c, k * rules.size * self.depth[c] / (tick * book.tick_size))
                    if lots > 0:
                        wanted[tick] = wanted.get(tick, 0) + lots
                amend(self._ports[c], self.quotes[c][side], wanted, side)
