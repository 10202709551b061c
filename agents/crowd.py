"""The state of the leveraged traders, in one place: arrays indexed by a trader's slot.

Each leveraged trader's side, stop price, defences, strategy and value estimate live here and
nowhere else. The trader object reads and writes its own slot (its ``side`` and ``stop_price``
are views of these arrays), and the population checks triggers and computes targets for all
traders at once on the same arrays, so nothing has to be copied back and forth.
"""

from __future__ import annotations

import numpy as np

HOLD, VALUE, TREND = 0, 1, 2  # strategy codes
STRATEGY_NAMES = {HOLD: "hold", VALUE: "value", TREND: "trend"}


class Crowd:
    """Per-trader arrays for ``n`` leveraged traders.

    Attributes:
        side: +1 long / −1 short (the direction a holder wants; strategy traders: their last).
        stop: stop price, NaN when none.
        topup, reduce: which defences the trader uses.
        last_reduce: time of the last size cut.
        strategy: HOLD, VALUE or TREND.
        value_bias: log offset of a value fund's estimate from the fundamental value.
        lookback: a trend follower's lookback, in seconds (its trend is the return over it).
        capital: what the trader (or its latest entrant) brought.
        stopped: its stop-loss has fired (a holder who left).
        flow_perf: a value fund's moving average of returns, as its investors see it
            (`agents.fund_flows`).
        flow_base: a value fund's equity after its investors' last flow (NaN: not looked yet).
    """

    def __init__(self, n: int) -> None:
        self.side = np.ones(n, dtype=np.int64)
        self.stop = np.full(n, np.nan)
        self.topup = np.zeros(n, dtype=bool)
        self.reduce = np.zeros(n, dtype=bool)
        self.last_reduce = np.full(n, -np.inf)
        self.strategy = np.zeros(n, dtype=np.int8)
        self.value_bias = np.zeros(n)
        self.lookback = np.ones(n)
        self.capital = np.zeros(n)
        self.stopped = np.zeros(n, dtype=bool)
        self.flow_perf = np.zeros(n)
        self.flow_base = np.full(n, np.nan)
        self.accounts = np.zeros(n, dtype=np.int64)
        self.home = np.zeros(n, dtype=np.int64)

    def __len__(self) -> int:
        return self.side.size
