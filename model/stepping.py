"""How long the next step is: one ``step`` while something happens, longer while nothing does.

A step costs about the same however quiet it is (every quoter requotes, the risk check runs,
a row is recorded), and most of a run's seconds are quiet. With ``stepping.policy =
"adaptive"`` the model takes steps of up to ``stepping.max_step`` seconds, always a whole
number of ``step``s, and returns to one ``step`` while any of these holds:

* a scheduled trigger (a move of the value signal in ``index.shocks``, or a sell or buy
  program in ``flow_shocks``) is running or ended less than ``calm_after`` seconds ago; a long
  step never runs into a trigger's start: it is cut short to end there;
* some account is near liquidation: its margin ratio on the mark is at least 80% (the level at
  which Binance warns, `model.risk.WARNING_RATIO`);
* less than ``calm_after`` seconds ago something was liquidated, taken over, deleveraged,
  left in deficit (any event of the log), or the mark moved by more than ``jump_bps`` in one
  step.

The conditions are read at the start of a step from the last one's results, so a step is
never taken back. The rates of everything that happens at random times scale with the step's
length, and so do decays, funding samples and the value signal's moves (`MarketView.dt`).
"""

from __future__ import annotations

import math

import numpy as np

from model.risk import RiskSnapshot
from model.scenario import Scenario

EPS = 1e-9


class StepPolicy:
    """Chooses each step's length (seconds).

    Args:
        scenario: the run's settings (``step``, ``stepping``, the triggers, ``duration``).
    """

    def __init__(self, scenario: Scenario) -> None:
        settings = scenario.stepping
        self.base = scenario.step
        self.adaptive = settings.policy == "adaptive"
        self.longest = max(1, int(settings.max_step / scenario.step + EPS))
        self.calm_after = settings.calm_after
        self.jump = settings.jump_bps / 1e4
        self.duration = scenario.duration
        windows = [(s.start, s.start + s.duration) for s in scenario.index.shocks]
        windows += [(f.start, f.start + f.duration) for f in scenario.flow_shocks]
        self.windows = sorted(windows)
        self.events_seen = 0
        self.last_event = -math.inf  # when something last happened
        self.last_mark: list[float] | None = None
        self.fine_steps = 0  # steps of one ``step`` so far

    def next(self, t: float, events: int, risk: RiskSnapshot, mark: np.ndarray) -> float:
        """The length of the step starting at ``t``, after the last step left ``events``
        events in the log, ``risk`` (the last risk check) and ``mark``."""
        if not self.adaptive:
            self.fine_steps += 1
            return self.base
        marks = mark.tolist()
        if events > self.events_seen:
            self.events_seen = events
            self.last_event = t
        last, self.last_mark = self.last_mark, marks
        if last is not None and any(
            abs(now / before - 1.0) > self.jump
            for now, before in zip(marks, last, strict=True)
            if before > 0 and now > 0
        ):
            self.last_event = t
        if self._busy(t, risk):
            self.fine_steps += 1
            return self.base
        # the longest step that neither passes the end of the run nor runs into a trigger
        reach = min(self.longest * self.base, self.duration - t)
        for start, _ in self.windows:
            if start > t + EPS:
                reach = min(reach, start - t)
                break
        k = max(1, int(reach / self.base + EPS))
        if k == 1:
            self.fine_steps += 1
        return k * self.base

    def _busy(self, t: float, risk: RiskSnapshot) -> bool:
        """One ``step`` at a time now: a trigger runs, an account is near liquidation, or
        something happened within ``calm_after`` seconds."""
        if t - self.last_event < self.calm_after - EPS:
            return True
        for start, end in self.windows:
            if start <= t + EPS and t < end + self.calm_after - EPS:
                return True
        return risk.accounts_at_risk > 0
