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

With ``prices.run_scale`` above 0 the makers also watch how long the flow has gone one way
(`RunLearning`). A long run in one direction is more likely one trader working a large order
than many traders who each know something, so each further USDT of it teaches them less: a run
of R USDT moves the belief in proportion to √R once R is well past ``run_scale``. That is how
Farmer, Gerig, Lillo & Waelbroeck (2013, "How efficiency shapes market impact", Quantitative
Finance 13(11)) derive the square-root law from market makers who cannot see a metaorder's
size but know how such sizes are distributed (a Pareto tail of exponent 3/2). The makers forget
a run with half-life ``run_halflife``; as they do, part of what it moved the belief goes back,
and ``permanent_share`` stays: 2/3 is the paper's fair-pricing value for square-root impact
(the final price equals the average price the metaorder paid).

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


class RunLearning:
    """How the makers learn from a run of flow in one direction: less from each further USDT.

    The belief moves by ``impact × curve(R)`` as a run's signed size R goes from 0 to R, where
    ``curve(R) = 2·scale·(√(1 + |R|/scale) − 1)`` with R's sign: about R while the run is short
    (the linear rule), about 2√(scale·|R|) once it is long. Flow against the run shortens it
    and moves the belief back along the same curve. The run is forgotten with half-life
    ``halflife`` seconds, and of what the forgotten part had moved the belief, ``1 −
    permanent`` goes back.

    Args:
        scale: USDT of run (by underlying) beyond which learning slows.
        halflife: seconds for the makers to forget half of a run.
        permanent: share of a forgotten run's move that stays.
    """

    __slots__ = ("halflife", "permanent", "run", "scale")

    def __init__(self, scale: Sequence[float], halflife: float, permanent: float) -> None:
        self.scale = list(scale)
        self.halflife = halflife
        self.permanent = permanent
        self.run = [0.0] * len(self.scale)

    def curve(self, c: int, run: float) -> float:
        """What a run of ``run`` USDT has moved the belief, in units of the linear rule's USDT."""
        scale = self.scale[c]
        moved = 2.0 * scale * (math.sqrt(1.0 + abs(run) / scale) - 1.0)
        return moved if run >= 0 else -moved

    def learn(self, c: int, net: float, elapsed: float) -> float:
        """Forget the run for ``elapsed`` seconds, then add ``net`` USDT of flow to it; returns
        the belief's move in the linear rule's USDT (to be multiplied by the impact)."""
        run = self.run[c]
        before = self.curve(c, run)
        if run and elapsed > 0:
            run *= 0.5 ** (elapsed / self.halflife)
        kept = self.curve(c, run)
        moved = (1.0 - self.permanent) * (kept - before)  # the forgotten part goes back
        after = run + net
        self.run[c] = after
        return moved + self.curve(c, after) - kept


class FlowBelief:
    """The makers' shared belief of every underlying's price, learned from net order flow.

    Args:
        view: the market view (the perpetual's tape of the last step).
        spot_makers: the spot makers (the spot flow is what they absorbed).
        prices: starting price of every underlying.
        impact: log move per USDT of net flow, by underlying.
        runs: how they learn less from a long run of flow in one direction (None: every USDT
            moves the belief alike).
    """

    def __init__(
        self,
        view: MarketView,
        spot_makers: Sequence[SpotMaker],
        prices: Sequence[float],
        impact: Sequence[float],
        runs: RunLearning | None = None,
    ) -> None:
        self.view = view
        self.runs = runs
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
        elapsed = view.time - self.time if self.time > -math.inf else 0.0
        self.time = view.time
        # the perpetual's tape of the last step (buyers positive), in USDT at the belief
        flow = ((view.last_signed_volume() - self.own_flow) * self.price).tolist()
        self.own_flow = [0.0] * len(flow)
        for i, maker in enumerate(self.spot_makers):  # what the spot makers sold, in USDT
            held = maker.coins_held()
            c = maker.contract
            flow[c] -= (held - self.held[i]) * self.values[c]
            self.held[i] = held
        runs = self.runs
        for c, net in enumerate(flow):
            if runs is not None:
                net = runs.learn(c, net, elapsed)
            self.log_price[c] += self.impact[c] * net
            self.values[c] = math.exp(self.log_price[c])
        self.price = np.array(self.values)
        return self.values
