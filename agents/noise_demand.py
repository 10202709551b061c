"""Persistent noise demand, the noise traders of Thurner, Farmer & Geanakoplos (2012).

In TFG the price moves because the aggregate demand of uninformed traders wanders: it follows an
Ornstein–Uhlenbeck process around zero, so it pushes the price away from value for a while and
lets it come back. Value funds trade against the gap; at their leverage cap they can no longer
absorb a push and, as the price falls, must sell. The model's own noise traders send
independent orders, whose net flow averages out within seconds; this agent adds the wandering
part: one account per contract holds a position (USDT notional, positive long) that follows an
OU process with standard deviation ``std`` and half-life ``halflife`` seconds, and trades the
difference to it at market every step. It starts holding a draw from the stationary
distribution (opened off the book, like the crowd's starting positions), so a run starts as it
goes on. Its account is funded at 1x for ten standard deviations, so it never runs out or gets
liquidated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from agents.trader import Trader
from model.gateway import MarketAccess, OrderGateway
from model.view import MarketView

FUNDING_STDS = 10.0  # capital in standard deviations of the target position


class NoiseDemand(Trader):
    """The wandering demand of uninformed traders on one contract.

    Args:
        model: the Mesa model.
        access: the market's view and account opening.
        contract: the contract it trades.
        std: stationary standard deviation of the target position (USDT notional).
        halflife: seconds for half of a deviation of the target to fade.
    """

    kind = "noise_demand"

    draw = 0.0  # this step's standard normal, handed over by `step_crowd`

    def __init__(
        self, model: mesa.Model, access: MarketAccess, contract: int, std: float, halflife: float
    ) -> None:
        super().__init__(model, access, FUNDING_STDS * std, leverage=1.0)
        self.contract = contract
        self.std = std
        self.halflife = halflife
        self.dt = access.view.dt
        self.keep = 0.5 ** (self.dt / halflife)
        self.shock = std * math.sqrt(1.0 - self.keep**2)
        # USDT notional wanted: drawn from the stationary distribution, so a run starts as it
        # goes on (no warm-up from 0)
        self.target = std * float(model.rng.standard_normal())

    def lots_wanted(self, price: float) -> int:
        """Signed lots of the target position at ``price``."""
        want = self.view.to_lots(self.contract, abs(self.target) / price)
        return want if self.target >= 0 else -want

    @classmethod
    def step_crowd(
        cls, demands: Sequence[NoiseDemand], view: MarketView, rng: np.random.Generator
    ) -> None:
        """One standard normal per contract's demand, drawn together; each then trades."""
        if not demands:
            return
        for demand, draw in zip(demands, rng.standard_normal(len(demands)).tolist(), strict=True):
            demand.draw = draw
            demand.act(view, demand.gateway)

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """Move the target one step (by the standard normal `step_crowd` drew) and trade
        towards it."""
        if view.dt != self.dt:  # a step of another length: the same process, sampled at it
            self.dt = view.dt
            self.keep = 0.5 ** (self.dt / self.halflife)
            self.shock = self.std * math.sqrt(1.0 - self.keep**2)
        self.target = self.target * self.keep + self.shock * self.draw
        c = self.contract
        want = self.lots_wanted(float(view.mark[c]))
        held = self.position(c)
        if want != held:
            self.market(c, 1 if want > held else -1, abs(want - held))
