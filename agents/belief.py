"""What the makers think an underlying is worth when nobody tells them: a belief learned from
order flow.

In the flow mode (the default; ``prices.makers_know_value`` unset or false) the perpetual's
market makers and the spot venues' makers quote around one shared belief per underlying. It
starts at the starting price and moves with the net order flow they see: every USDT that buyers took from them (on the perpetual's
tape and on the spot books) raises it by ``impact`` in log terms, every USDT sold lowers it.
That is the linear learning rule of a dealer facing traders some of whom know more (Kyle 1985;
Glosten & Milgrom 1985): it has no reference to fade back to, so what a flow moved stays moved
until other trades move it back. Their inventory lean (`agents.market_maker`,
`agents.spot_maker`) is the transient part on top of it. One belief for both markets, because
the makers watch both: price discovery in bitcoin happens mostly on the derivatives venues and
spot follows them (Alexander, Choi, Park & Sohn 2020, J. Futures Markets 40(1)).

The value signal reaches this belief only through trades: the informed spot traders
(`agents.spot_trader`) see it, the makers do not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from model.view import MarketView

if TYPE_CHECKING:
    from agents.spot_maker import SpotMaker

FLOW_UNIT = 1_000_000.0  # USDT of net flow (per unit of depth_scale) that ``impact_bps`` is for


class FlowBelief:
    """The makers' shared belief of every underlying's price, learned from net order flow.

    Args:
        view: the market view (the perpetual's tape of the last step).
        spot_makers: the spot makers (the spot flow is what they absorbed).
        prices: starting price of every underlying.
        impact: log move per USDT of net flow, by underlying.
    """

    def __init__(
        self,
        view: MarketView,
        spot_makers: Sequence[SpotMaker],
        prices: Sequence[float],
        impact: Sequence[float],
    ) -> None:
        self.view = view
        self.spot_makers = list(spot_makers)
        self.impact = list(impact)
        self.log_price = [math.log(p) for p in prices]
        self.values = list(prices)  # read by the spot makers and recorded as ``maker_value``
        self.price = np.array(prices, dtype=float)  # the same, for the perpetual's makers
        self.held = [maker.coins_held() for maker in self.spot_makers]
        # base units the perpetual's makers took themselves (picking off stale orders) since
        # the last update: their own trades teach them nothing
        self.own_flow = [0.0] * len(self.values)
        self.time = -math.inf

    def update(self, fundamental: list[float] | None = None, dt: float = 0.0) -> list[float]:
        """Learn from the flow since the last update, once per step (the spot makers and the
        perpetual's makers both ask; the first asks makes it move). ``fundamental`` is not
        read: the makers do not see the value signal."""
        view = self.view
        if view.time <= self.time:
            return self.values
        self.time = view.time
        # the perpetual's tape of the last step (buyers positive), in USDT at the belief
        flow = ((view.last_signed_volume() - self.own_flow) * self.price).tolist()
        self.own_flow = [0.0] * len(flow)
        for i, maker in enumerate(self.spot_makers):  # what the spot makers sold, in USDT
            held = maker.coins_held()
            c = maker.contract
            flow[c] -= (held - self.held[i]) * self.values[c]
            self.held[i] = held
        for c, net in enumerate(flow):
            self.log_price[c] += self.impact[c] * net
            self.values[c] = math.exp(self.log_price[c])
        self.price = np.array(self.values)
        return self.values
