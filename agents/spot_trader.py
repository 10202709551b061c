"""Spot traders: background flow on the spot venues, and value traders who bring the spot price
back to the fundamental value after a dislocation.

Noise traders send market and limit orders at random (Poisson times) on a random venue. Value
traders compare a venue's price with what the asset is worth and trade against the gap once it
is wider than their threshold, more the wider it is, within their cash and coins: they are why
an index pushed below the fundamental value by forced selling recovers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from model.orderbook import TimeInForce
from model.spot import SpotMarkets

if TYPE_CHECKING:
    from model.simulation import CascadeModel

NOISE_ORDER_VALUE = 2_000.0  # mean USDT per noise order (exponential)
NOISE_MARKET_SHARE = 0.5
NOISE_MAX_OFFSET_BPS = 20.0  # limit orders rest up to this far behind the same-side best
VALUE_THRESHOLD_BPS = 10.0  # gap to the fundamental below which value traders do nothing
VALUE_CLIP = 25_000.0  # USDT per order per 10 bps of gap beyond the threshold
VALUE_MAX_CLIP = 200_000.0


class SpotTrader(mesa.Agent):
    """A spot account that trades at random or on value.

    Args:
        model: the model.
        spot: the spot markets.
        capital: USDT held; the same value is held in coins of every underlying.
        prices: starting price of every underlying, to size the coins.
        value: True for a value trader, False for a noise trader.
    """

    def __init__(
        self,
        model: CascadeModel,
        spot: SpotMarkets,
        capital: float,
        prices: list[float],
        value: bool,
    ) -> None:
        super().__init__(model)
        self.spot = spot
        self.value = value
        self.kind = "spot_value" if value else "spot_noise"
        self.spot_account = spot.open_account(capital, [capital / p for p in prices])

    def act_noise(
        self, contract: int, venue: int, roll: float, buy: bool, value: float, offset_bps: float
    ) -> None:
        """One random order (draws made by the population for all acting traders at once)."""
        spot = self.spot
        book = spot.books[contract][venue]
        side = 1 if buy else -1
        ref = spot.price(contract, venue)
        if ref is None:
            return
        lots = int(value / ref / spot.lot[contract])
        if not self._affordable(contract, side, lots, ref):
            return
        if roll < NOISE_MARKET_SHARE:
            spot.send(self.spot_account, contract, venue, side, lots, None, TimeInForce.IOC)
            return
        spot.cancel_all(self.spot_account)
        same = book.best_bid() if side > 0 else book.best_ask()
        base = same * spot.tick[contract] if same is not None else ref
        price = base * (1.0 - side * offset_bps / 1e4)
        spot.send(
            self.spot_account,
            contract,
            venue,
            side,
            lots,
            spot.to_ticks(contract, price),
            TimeInForce.GTC,
        )

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
            if gap_bps <= VALUE_THRESHOLD_BPS:
                continue
            value = min(VALUE_MAX_CLIP, VALUE_CLIP * (gap_bps - VALUE_THRESHOLD_BPS) / 10.0)
            lots = int(value / price / spot.lot[contract])
            if not self._affordable(contract, side, lots, price):
                continue
            # limited at the fundamental less the threshold: a value trader never overpays
            limit = fundamental * (1.0 - side * VALUE_THRESHOLD_BPS / 1e4)
            spot.send(
                self.spot_account,
                contract,
                venue,
                side,
                lots,
                spot.to_ticks(contract, limit),
                TimeInForce.IOC,
            )

    def _affordable(self, contract: int, side: int, lots: int, price: float) -> bool:
        """Enough cash to buy or coins to sell ``lots`` (no borrowing on spot)."""
        if lots <= 0:
            return False
        qty = lots * self.spot.lot[contract]
        if side > 0:
            return self.spot.cash.item(self.spot_account) >= qty * price * 1.01
        return self.spot.coins.item(self.spot_account, contract) >= qty
