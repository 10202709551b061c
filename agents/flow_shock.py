"""Exogenous order flow: a seller (or buyer) from outside the model, the way real crashes start.

A flow shock sends ``notional`` USDT of market orders, spread evenly over its window, to the
perpetual's book or to one spot venue. It is not a trader with a view; it stands for a large
participant that must trade now (a fund de-risking, a hack, a liquidation on another venue). Its
account is funded for the whole order at 1x, so it never runs out or gets liquidated.
"""

from __future__ import annotations

import mesa

from agents.trader import Trader
from model.gateway import MarketAccess, OrderGateway, SpotGateway, TimeInForce
from model.scenario import FlowShock
from model.view import MarketView


class FlowTrader(Trader):
    """Sends one flow shock's market orders.

    Args:
        model: the Mesa model.
        access: the market's view and account opening.
        shock: the flow shock's settings.
        price: the underlying's starting price (to size the coins a spot seller holds).
    """

    kind = "flow"

    def __init__(
        self, model: mesa.Model, access: MarketAccess, shock: FlowShock, price: float
    ) -> None:
        super().__init__(model, access, 2.0 * abs(shock.notional), leverage=1.0)
        self.shock = shock
        self.side = 1 if shock.notional > 0 else -1
        self.spot_gateway: SpotGateway | None = None
        self.owed = 0.0  # base units still to send (fractions of a lot carry over)
        if shock.market == "spot":
            # the scenario refuses spot flow without spot venues
            coins = [0.0] * self.view.n_contracts
            coins[shock.contract] = 2.0 * abs(shock.notional) / price
            self.spot_gateway = access.open_spot_account(2.0 * abs(shock.notional), coins)

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """This step's share of the orders, if the window is open."""
        shock = self.shock
        t, dt = view.time, view.dt
        overlap = min(t + dt, shock.start + shock.duration) - max(t, shock.start)
        if overlap <= 0:
            return
        c = shock.contract
        price = float(view.index[c])
        self.owed += abs(shock.notional) * overlap / shock.duration / price
        if shock.market == "perp":
            lot = view.lot[c]
            lots = int(self.owed / lot)
            if lots:
                self.owed -= lots * lot
                gateway.send(c, self.side, lots, None, TimeInForce.IOC)
            return
        spot, spot_gateway = view.spot, self.spot_gateway
        assert spot is not None and spot_gateway is not None
        lots = int(self.owed / spot.lot[c])
        if lots:
            self.owed -= lots * spot.lot[c]
            spot_gateway.send(c, shock.venue, self.side, lots, None, TimeInForce.IOC)
