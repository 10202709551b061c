"""Investors' money following value funds' performance (Thurner, Farmer & Geanakoplos 2012).

In TFG's model investors move money towards funds that did well and away from funds that did
badly, measured against a benchmark. That is what lets leveraged value funds grow large in calm
times (the more leverage, the faster), and what makes a fund that lost money shrink, selling into
the fall that made its investors leave.

Here, every ``flow_interval`` seconds the investors of each value fund look at its return since
their last look, ``r = equity / equity after the last flow − 1`` (equity on the mark: wallet,
isolated margins and UPNL), and keep a moving average of it, ``perf ← (1 − a) perf + a r`` with
``a = flow_smoothing``. They then pay in ``b × (perf − benchmark) × equity`` when that is
positive and take it out when it is negative (``b = flow_sensitivity``). A withdrawal takes only
what the fund can pay without closing a position (its available balance); the smaller equity
shrinks the fund's target, and it sells at its next rebalance. Money paid in or out crosses the
exchange's boundary (``Ledger.deposit`` / ``Ledger.withdraw``), so conservation still holds.

A fund's first look (at the start, or after a new entrant took its place) only records its
equity. The moving average and the equity at the last look live in the crowd's arrays
(``Crowd.flow_perf``, ``Crowd.flow_base``), the one home of a trader's state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.crowd import Crowd
from agents.leveraged import LeveragedTrader
from model.view import MarketView


class FundFlows:
    """Performance-chasing flows into and out of value funds.

    Args:
        sensitivity: TFG's b: share of equity moved per unit of smoothed excess return; 0 is off.
        smoothing: weight of the latest interval's return in the moving average (TFG's a).
        benchmark: return per interval investors expect; below it they take money out.
        interval: seconds between two looks.
    """

    def __init__(
        self, sensitivity: float, smoothing: float, benchmark: float, interval: float
    ) -> None:
        self.sensitivity = sensitivity
        self.smoothing = smoothing
        self.benchmark = benchmark
        self.interval = interval
        self.next_look = 0.0
        self.paid_in = 0.0  # USDT investors paid into funds so far
        self.taken_out = 0.0  # USDT investors took out so far

    @property
    def on(self) -> bool:
        return self.sensitivity > 0

    def step(
        self,
        t: float,
        crowd: Crowd,
        slots: np.ndarray,
        traders: Sequence[LeveragedTrader],
        view: MarketView,
    ) -> None:
        """At each look, move money in and out of the value funds in ``slots`` (``traders``:
        the crowd's traders by slot)."""
        if not self.on or not slots.size or t + 1e-9 < self.next_look:
            return
        self.next_look = t + self.interval
        equity = view.crowd(crowd.accounts).equity(slots)
        base = crowd.flow_base[slots]
        known = np.isfinite(base) & (base > 0)
        ret = np.zeros(slots.size)
        ret[known] = equity[known] / base[known] - 1.0
        perf = crowd.flow_perf[slots]
        perf[known] += self.smoothing * (ret[known] - perf[known])
        flow = np.where(
            known, self.sensitivity * (perf - self.benchmark) * np.maximum(equity, 0.0), 0.0
        )
        for i in np.flatnonzero(flow).tolist():
            fund = traders[int(slots[i])]
            amount = float(flow[i])
            if amount > 0:
                fund.gateway.deposit(amount)
                self.paid_in += amount
            else:
                free = fund.me.available_balance()
                amount = -min(-amount, max(0.0, free), fund.me.wallet)
                if amount < 0:
                    fund.gateway.withdraw(-amount)
                    self.taken_out -= amount
            flow[i] = amount
        crowd.flow_perf[slots] = perf
        crowd.flow_base[slots] = equity + flow

    def forget(self, crowd: Crowd, slot: int) -> None:
        """A new entrant took ``slot``: its investors start afresh at their next look."""
        crowd.flow_perf[slot] = 0.0
        crowd.flow_base[slot] = np.nan
