"""Spot liquidity providers: ladders on one spot venue around the fundamental value.

A spot maker knows what the asset is worth (the exogenous fundamental value: news, flows on
markets the model does not hold) and quotes around it, leaning against its inventory: coins it
bought from sellers push its quotes down until it has sold them again. That lean is how selling
that reaches the spot venues (perpetual liquidations passed on by basis arbitrageurs, an
order-flow shock) moves the index beyond the fundamental move, and why it comes back when the
selling stops. Makers on a spot venue do not get liquidated; they stop buying at their cash and
stop selling at their coins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from agents.quoting import Ladder, Quotes
from model.spot import SpotMarkets

if TYPE_CHECKING:
    from model.simulation import CascadeModel

HALF_SPREAD_BPS = 2.0
LEVEL_STEP_BPS = 3.0
LEVELS = 10
LEVEL_VALUE = 60_000.0  # USDT per level, before spot.depth_scale
INVENTORY_LIMIT_VALUE = 3_000_000.0  # USDT of inventory at which the lean is SKEW_BPS
SKEW_BPS = 60.0  # lean of the quotes at the inventory limit


class SpotMaker(mesa.Agent):
    """Quotes one underlying on one spot venue.

    Args:
        model: the model.
        spot: the spot markets.
        contract: the underlying (by its perpetual's index).
        venue: the spot venue.
        price: starting price, to size the starting coins.
        depth_scale: multiplier on level sizes and inventory.
    """

    kind = "spot_maker"

    def __init__(
        self,
        model: CascadeModel,
        spot: SpotMarkets,
        contract: int,
        venue: int,
        price: float,
        depth_scale: float,
    ) -> None:
        super().__init__(model)
        self.spot = spot
        self.contract = contract
        self.venue = venue
        self.depth = depth_scale
        capital = INVENTORY_LIMIT_VALUE * depth_scale * 2.0
        coins = [0.0] * spot.n_contracts
        coins[contract] = capital / price
        self.spot_account = spot.open_account(capital, coins)
        self.coins_start = coins[contract]
        self.ladder = Ladder(LEVEL_STEP_BPS, float(model.rng.uniform(0.0, 1.0)))
        self.resting = {side: Quotes(self.spot_account, side) for side in (1, -1)}
        self.jitter = float(model.rng.uniform(0.8, 1.2))
        self._to_ticks = spot.tick_rounder(contract)

    def inventory(self, price: float) -> float:
        """USDT value of the coins held beyond the starting holding (negative: sold)."""
        return (float(self.spot.coins[self.spot_account, self.contract]) - self.coins_start) * price

    def quote(self, fundamental: float) -> None:
        """Bring both sides of the ladder to where they should be around ``fundamental``."""
        spot, c, v = self.spot, self.contract, self.venue
        lot = spot.lot[c]
        inventory = self.inventory(fundamental)
        lean = -SKEW_BPS * max(-2.0, min(2.0, inventory / (INVENTORY_LIMIT_VALUE * self.depth)))
        centre = fundamental * (1.0 + lean / 1e4)
        half = HALF_SPREAD_BPS * self.jitter
        lots = max(1, int(LEVEL_VALUE * self.depth / fundamental / lot))
        cash = float(spot.cash[self.spot_account])
        coins = float(spot.coins[self.spot_account, c])
        book = spot.books[c][v]

        to_ticks = self._to_ticks
        for side in (1, -1):
            # a maker bids only with the cash it has and offers only the coins it holds
            room = cash / centre if side > 0 else coins
            if room < lots * lot * LEVELS:
                self.resting[side].cancel_all(book)
                continue
            touch = centre * (1.0 - side * half / 1e4)
            ticks = self.ladder.wanted(0, side, touch, LEVELS, to_ticks)
            self.resting[side].amend(book, ticks, lots)
