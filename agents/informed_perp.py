"""Informed traders on the perpetual: the value signal reaches the perpetual's own book.

In the flow mode the value signal is private: the spot value traders (`agents.spot_trader`) see
it and trade it into the spot books, and the perpetual follows only through the arbitrageurs,
who move once the basis passes their edge. In bitcoin, though, the derivatives venues lead price
discovery (Alexander, Choi, Park & Sohn 2020), so some informed traders trade the perpetual
itself. These do: they look at Poisson times, compare the best quote on the perpetual's book
with the value signal and take the gap beyond their threshold, with the same rules as the spot
informed traders (`agents.spot_trader.InformedRules`: a clip per bp of gap, a position limit
that grows with the gap), in IOC orders limited the threshold short of the value, on margin
(``LEVERAGE``, capped by the scenario's leverage cap). How many there are is
``prices.informed_perp_traders`` (0 by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np

from agents.spot_trader import InformedRules, look_at_random_contracts
from agents.trader import Trader
from model.gateway import MarketAccess, OrderGateway, TimeInForce
from model.view import MarketView

LEVERAGE = 2.0  # chosen: an informed trader's margin leverage on the perpetual


class InformedPerpTrader(Trader):
    """Trades the perpetual towards the value signal, within its risk limit.

    Args:
        model: the Mesa model.
        access: the market's view, account opening and leverage caps.
        capital: USDT of margin.
        rules: how it trades the gap (`agents.spot_trader.InformedRules`).
    """

    kind = "informed_perp"
    draw: tuple[int, float] = (0, 0.0)  # this step's contract and value, from `step_crowd`

    def __init__(
        self, model: mesa.Model, access: MarketAccess, capital: float, rules: InformedRules
    ) -> None:
        super().__init__(model, access, capital, leverage=LEVERAGE)
        self.rules = rules

    @classmethod
    def step_crowd(
        cls, acting: Sequence[InformedPerpTrader], view: MarketView, rng: np.random.Generator
    ) -> None:
        """The informed traders looking this step, each at a contract drawn at random."""
        look_at_random_contracts(acting, view, rng)

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """Take the best quote on either side that is further than the threshold from the
        value (``draw``: the contract and its value, set by `step_crowd`)."""
        contract, value = self.draw
        if not value > 0:  # no value drawn (acting outside `step_crowd`) or none to trade on
            return
        book = view.books[contract]
        tick = view.tick[contract]
        rules = self.rules
        for side, best in ((1, book.best_ask()), (-1, book.best_bid())):
            if best is None:
                continue
            price = best * tick
            gap_bps = side * (value - price) / value * 1e4
            if gap_bps <= rules.threshold_bps:
                continue
            held = side * self.position(contract) * view.lot[contract] * price
            lots = view.to_lots(contract, max(0.0, rules.order_value(gap_bps, held)) / price)
            if lots <= 0:
                continue
            # limited the threshold short of the value: it never trades through the value
            ticks = view.to_ticks(contract, value * (1.0 - side * rules.threshold_bps / 1e4))
            gateway.send(contract, side, lots, ticks, TimeInForce.IOC)
