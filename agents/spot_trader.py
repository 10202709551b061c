"""Spot traders: background flow on the spot venues, and value traders who bring the spot price
back to the fundamental value after a dislocation.

Noise traders send market and limit orders at random (Poisson times) on a random venue. Value
traders compare a venue's price with what the asset is worth and trade against the gap once it
is wider than their threshold, more the wider it is, within their cash and coins: they are why
an index pushed below the fundamental value by forced selling recovers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from model.gateway import MarketAccess, SpotGateway, TimeInForce
from model.view import MarketView, SpotView

NOISE_RATE = 0.1  # orders per second per spot noise trader
NOISE_CAPITAL = 200_000.0
VALUE_RATE = 0.2  # looks per second per spot value trader
VALUE_CAPITAL = 5_000_000.0
NOISE_ORDER_VALUE = 2_000.0  # mean USDT per noise order (exponential)
NOISE_MARKET_SHARE = 0.5
NOISE_MAX_OFFSET_BPS = 20.0  # limit orders rest up to this far behind the same-side best
VALUE_THRESHOLD_BPS = 10.0  # gap to the fundamental below which value traders do nothing
VALUE_CLIP = 25_000.0  # USDT per order per 10 bps of gap beyond the threshold
VALUE_MAX_CLIP = 200_000.0


@dataclass(frozen=True, slots=True)
class InformedRules:
    """How an informed trader trades when the makers do not know the value (flow mode, from
    `model.settings.PriceFormation`): it trades a gap wider than ``threshold_bps``,
    ``clip_per_bps`` USDT per look per bp beyond it (at most ``max_clip``), and holds at most
    ``max_position`` USDT of position either way, or ``position_per_bps`` per bp of gap where
    that is more (its risk limit: a wider gap is a larger edge)."""

    threshold_bps: float
    clip_per_bps: float
    max_clip: float
    max_position: float
    position_per_bps: float

    def order_value(self, gap_bps: float, held: float) -> float:
        """USDT to trade on one look at a gap of ``gap_bps`` (beyond the threshold) while
        holding ``held`` USDT of position on the gap's side: the clip, cut to what the risk
        limit leaves (negative when the holding is already over it)."""
        clip = min(self.max_clip, self.clip_per_bps * (gap_bps - self.threshold_bps))
        return min(clip, max(self.max_position, self.position_per_bps * gap_bps) - held)


def look_at_random_contracts(
    acting: Sequence[Any], view: MarketView, rng: np.random.Generator
) -> None:
    """Informed traders looking this step (spot or perpetual), each at a contract drawn at
    random with its value signal: the draw is handed over, then the trader acts."""
    fundamental = view.fundamental.tolist()
    for trader in acting:
        c = int(rng.integers(view.n_contracts))
        trader.draw = (c, fundamental[c])
        trader.act(view, trader.gateway)


class SpotTrader(mesa.Agent):
    """A spot account that trades at random or on value.

    Args:
        model: the Mesa model.
        access: the market's view and account opening.
        capital: USDT held; the same value is held in coins of every underlying.
        prices: starting price of every underlying, to size the coins.
        value: True for a value trader, False for a noise trader.
    """

    draw: tuple = ()  # this step's draws, handed over by the crowd steps  # type: ignore[type-arg]

    def __init__(
        self,
        model: mesa.Model,
        access: MarketAccess,
        capital: float,
        prices: list[float],
        value: bool,
        informed: InformedRules | None = None,
    ) -> None:
        super().__init__(model)
        spot = access.view.spot
        assert spot is not None  # spot traders exist only with spot venues
        self.spot: SpotView = spot
        self.value = value
        self.kind = "spot_value" if value else "spot_noise"
        self.gateway = access.open_spot_account(capital, [capital / p for p in prices])
        self.spot_account = self.gateway.account
        # flow mode: how an informed trader trades the gap and its risk limit (None: the
        # baseline's value trader, whose cash and coins are its only limit)
        self.informed = informed
        self.coins_start = [capital / p for p in prices]

    @classmethod
    def step_noise(
        cls, acting: Sequence[SpotTrader], view: MarketView, rng: np.random.Generator
    ) -> None:
        """The noise traders acting this step: their draws made together, then each acts."""
        spot = view.spot
        if not acting or spot is None:
            return
        k = len(acting)
        contract = rng.integers(view.n_contracts, size=k).tolist()
        venue = rng.integers(spot.n_venues, size=k).tolist()
        roll = rng.random(k).tolist()
        buy = (rng.random(k) < 0.5).tolist()
        value = rng.exponential(NOISE_ORDER_VALUE, k).tolist()
        offset = rng.uniform(0.0, NOISE_MAX_OFFSET_BPS, k).tolist()
        for i, trader in enumerate(acting):
            trader.draw = (contract[i], venue[i], roll[i], buy[i], value[i], offset[i])
            trader.act(view, trader.gateway)

    @classmethod
    def step_value(
        cls, acting: Sequence[SpotTrader], view: MarketView, rng: np.random.Generator
    ) -> None:
        """The value traders looking this step, each at a contract drawn at random."""
        look_at_random_contracts(acting, view, rng)

    def act(self, view: MarketView, gateway: SpotGateway) -> None:
        """A noise order or a value trade, on the draws the crowd step handed over."""
        if self.value:
            self.act_value(*self.draw)
        else:
            self.act_noise(*self.draw)

    def act_noise(
        self, contract: int, venue: int, roll: float, buy: bool, value: float, offset_bps: float
    ) -> None:
        """One random order (draws made by the population for all acting traders at once)."""
        spot = self.spot
        book = spot.books[contract][venue]
        gateway = self.gateway
        side = 1 if buy else -1
        ref = spot.price(contract, venue)
        if ref is None:
            return
        lots = int(value / ref / spot.lot[contract])
        if not self._affordable(contract, side, lots, ref):
            return
        if roll < NOISE_MARKET_SHARE:
            gateway.send(contract, venue, side, lots, None, TimeInForce.IOC)
            return
        gateway.cancel_all()
        same = book.best_bid() if side > 0 else book.best_ask()
        base = same * spot.tick[contract] if same is not None else ref
        price = base * (1.0 - side * offset_bps / 1e4)
        gateway.send(contract, venue, side, lots, spot.to_ticks(contract, price), TimeInForce.GTC)

    def act_value(self, contract: int, fundamental: float) -> None:
        """Trade the venue furthest from ``fundamental`` towards it, if the gap is wide."""
        spot = self.spot
        buy = spot.best(contract, 1)  # cheapest ask
        sell = spot.best(contract, -1)  # richest bid
        for side, best in ((1, buy), (-1, sell)):
            if best is None:
                continue
            venue, price = best
            gap_bps = side * (fundamental - price) / fundamental * 1e4
            rules = self.informed
            threshold = VALUE_THRESHOLD_BPS if rules is None else rules.threshold_bps
            if gap_bps <= threshold:
                continue
            if rules is None:
                value = min(VALUE_MAX_CLIP, VALUE_CLIP * (gap_bps - threshold) / 10.0)
            else:
                # its risk limit: limited capital, not a free anchor
                held = side * (spot.coins(self.spot_account, contract) - self.coins_start[contract])
                value = rules.order_value(gap_bps, held * price)
            lots = int(value / price / spot.lot[contract])
            if not self._affordable(contract, side, lots, price):
                continue
            # limited at the fundamental less the threshold: a value trader never overpays
            limit = fundamental * (1.0 - side * threshold / 1e4)
            self.gateway.send(
                contract, venue, side, lots, spot.to_ticks(contract, limit), TimeInForce.IOC
            )

    def _affordable(self, contract: int, side: int, lots: int, price: float) -> bool:
        """Enough cash to buy or coins to sell ``lots`` (no borrowing on spot)."""
        if lots <= 0:
            return False
        qty = lots * self.spot.lot[contract]
        if side > 0:
            return self.spot.cash(self.spot_account) >= qty * price * 1.01
        return self.spot.coins(self.spot_account, contract) >= qty
