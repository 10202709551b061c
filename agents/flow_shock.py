"""Exogenous order flow: a seller (or buyer) from outside the model, the way real crashes start.

A flow shock sends ``notional`` USDT of market orders, spread evenly over its window, to the
perpetual's book or to one spot venue. It is not a trader with a view; it stands for a large
participant that must trade now (a fund de-risking, a hack, a liquidation on another venue). Its
account is funded for the whole order at 1x, so it never runs out or gets liquidated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.trader import Trader
from model.orderbook import TimeInForce
from model.scenario import FlowShock

if TYPE_CHECKING:
    from model.simulation import CascadeModel


class FlowTrader(Trader):
    """Sends one flow shock's market orders.

    Args:
        model: the model.
        shock: the flow shock's settings.
    """

    kind = "flow"

    def __init__(self, model: CascadeModel, shock: FlowShock) -> None:
        super().__init__(model, 2.0 * abs(shock.notional), leverage=1.0)
        self.shock = shock
        self.side = 1 if shock.notional > 0 else -1
        self.spot_account = -1
        self.owed = 0.0  # base units still to send (fractions of a lot carry over)
        spot = model.spot
        if shock.market == "spot":
            assert spot is not None  # the scenario refuses spot flow without spot venues
            price = model.config.contracts[shock.contract].initial_price
            coins = [0.0] * spot.n_contracts
            coins[shock.contract] = 2.0 * abs(shock.notional) / price
            self.spot_account = spot.open_account(2.0 * abs(shock.notional), coins)

    def act(self, t: float, dt: float) -> None:
        """This step's share of the orders, if the window is open."""
        shock = self.shock
        overlap = min(t + dt, shock.start + shock.duration) - max(t, shock.start)
        if overlap <= 0:
            return
        m = self.market_model
        c = shock.contract
        price = float(m.index_price[c])
        self.owed += abs(shock.notional) * overlap / shock.duration / price
        if shock.market == "perp":
            lots = int(self.owed / float(self.ledger.lot[c]))
            if lots:
                self.owed -= lots * float(self.ledger.lot[c])
                self.exchange.send(self.account, c, self.side, lots, None, TimeInForce.IOC)
            return
        spot = m.spot
        assert spot is not None
        lots = int(self.owed / spot.lot[c])
        if lots:
            self.owed -= lots * spot.lot[c]
            spot.send(self.spot_account, c, shock.venue, self.side, lots, None, TimeInForce.IOC)
