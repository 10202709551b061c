"""How long the next step is: one ``step`` while something happens, longer while nothing does.

A step costs about the same however quiet it is (every quoter requotes, the risk check runs,
a row is recorded), and most of a run's seconds are quiet. With ``stepping.policy =
"adaptive"`` the model takes steps of up to ``stepping.max_step`` seconds, always a whole
number of ``step``s, and returns to one ``step`` while any of these holds:

* a scheduled trigger (a move of the value signal in ``index.shocks``, or a sell or buy
  program in ``flow_shocks``) is running or ended less than ``calm_after`` seconds ago; a long
  step never runs into a trigger's start: it is cut short to end there;
* some account is near liquidation for a step of that length: the mark would have to move by
  less than ``near_sigmas`` standard deviations over the step to bring it to maintenance
  (`model.risk.liquidation_distance`). The standard deviation is the mark's per-second
  volatility (the sum of its squared moves over the last ``VOLATILITY_WINDOW`` seconds,
  divided by that span, so that a turbulent minute is forgotten a minute later; never below
  the value signal's calm volatility) times the square root of the step's length. A long step
  is shortened to the longest length at which every account is that far from liquidation,
  down to one ``step``;
* less than ``event_window`` seconds ago something was liquidated, taken over, deleveraged,
  left in deficit (any event of the log that matters: `StepPolicy.matters`), the mark moved by
  more than ``jump_bps`` in one step, or the mark stood more than ``jump_bps`` from the index
  (a basis that arbitrage is closing: arbitrageurs look at it every few seconds, and a long
  step would slow them).
  What follows an event is covered by the other rules while it matters: an account that the
  event's price impact brings near liquidation keeps steps short by the second rule, and a
  move of the mark or a basis keeps them short by this one. The window itself only bridges
  the seconds in which arbitrage carries the event's impact to spot and back to the mark
  (5 s: chosen on development seeds among 5, 10, 15 and 30 s; with 30 s, a partially
  liquidated account hovering at its maintenance margin for half an hour kept a run at
  one-second steps: docs/performance.md).

With ``material_notional`` set (USDT per unit of a contract's depth_scale; 0, the default,
turns it off), what matters is only what is that large: an account near liquidation shortens
steps only if its positions are that large (a cross account: in sum over its contracts, each
against its own contract's size), and a liquidation, ADL or offload fill opens the event window
only if it is that large; takeovers, shortfalls, bad debt, deficits and haircuts always do. A
smaller account is still liquidated when the risk check at the end of a step finds it below
maintenance, at most one long step later than with one-second steps. It takes fewer steps, but
small accounts are then cut in fewer, larger slices and their liquidations bunch at step ends,
which changes the counts of liquidations and cascades (docs/performance.md): an option, not
the default.

The conditions are read at the start of a step from the last one's results, so a step is
never taken back. The rates of everything that happens at random times scale with the step's
length, and so do decays, funding samples and the value signal's moves (`MarketView.dt`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np

from model.events import Event, EventLog
from model.scenario import Scenario

EPS = 1e-9
YEAR_SECONDS = 365.0 * 86_400.0
VOLATILITY_WINDOW = 60.0  # seconds (chosen): the span of moves the volatility estimate averages


class StepPolicy:
    """Chooses each step's length (seconds).

    Args:
        scenario: the run's settings (``step``, ``stepping``, the triggers, ``duration``, the
            contracts' volatility).
        distance: gives, when called with the material notional per contract (`material`;
            None: every account), the smallest relative move of the mark that would liquidate
            some account that large now (`model.risk.liquidation_distance` of the last check).
    """

    SIZED = frozenset({"liquidation", "adl", "offload"})  # events that matter only when large

    def __init__(self, scenario: Scenario, distance: Callable[[np.ndarray | None], float]) -> None:
        self.distance = distance
        settings = scenario.stepping
        self.base = scenario.step
        self.adaptive = settings.policy == "adaptive"
        self.longest = max(1, int(settings.max_step / scenario.step + EPS))
        self.calm_after = settings.calm_after
        self.event_window = settings.event_window
        self.jump = settings.jump_bps / 1e4
        self.near_sigmas = settings.near_sigmas
        # USDT per contract below which an account or a fill does not matter (None: all do)
        self.material = (
            np.array([settings.material_notional * c.depth_scale for c in scenario.contracts])
            if settings.material_notional > 0
            else None
        )
        # the floor of the per-second variance: the value signal's calm volatility
        self.variance_floor = max(c.volatility for c in scenario.contracts) ** 2 / YEAR_SECONDS
        self.variance = self.variance_floor  # of the mark's relative moves, per second
        self._moves: deque[tuple[float, float]] = deque()  # (time, squared move) in the window
        self._sum = 0.0  # of the squared moves in the window
        self.duration = scenario.duration
        windows = [(s.start, s.start + s.duration) for s in scenario.index.shocks]
        windows += [(f.start, f.start + f.duration) for f in scenario.flow_shocks]
        self.windows = sorted(windows)
        self.events_seen = 0
        self.last_event = -math.inf  # when something last happened
        self.last_mark: list[float] | None = None
        self.fine_steps = 0  # steps of one ``step`` so far

    def next(self, t: float, events: EventLog, mark: np.ndarray, index: np.ndarray) -> float:
        """The length of the step starting at ``t``, after the last step left the log at
        ``events``, the mark at ``mark`` and the index at ``index``."""
        if not self.adaptive:
            self.fine_steps += 1
            return self.base
        marks = mark.tolist()
        if len(events) > self.events_seen:
            if any(self.matters(event) for event in events.rows_since(self.events_seen)):
                self.last_event = t
            self.events_seen = len(events)
        last, self.last_mark = self.last_mark, marks
        if last is not None:
            self._observe(t, marks, last)
        for now, reference in zip(marks, index.tolist(), strict=True):
            if reference > 0 and abs(now / reference - 1.0) > self.jump:
                self.last_event = t
        if self._busy(t):
            self.fine_steps += 1
            return self.base
        # the longest step that neither passes the end of the run nor runs into a trigger
        reach = min(self.longest * self.base, self.duration - t)
        for start, _ in self.windows:
            if start > t + EPS:
                reach = min(reach, start - t)
                break
        k = max(1, int(reach / self.base + EPS))
        if k > 1:
            k = min(k, self._safe_steps())
        if k == 1:
            self.fine_steps += 1
        return k * self.base

    def matters(self, event: Event) -> bool:
        """Whether an event opens the event window: a liquidation, ADL or offload fill of at
        least its contract's material notional; any other kind always."""
        if self.material is None or event.kind not in self.SIZED:
            return True
        return bool(event.notional >= self.material[event.contract])

    def _observe(self, t: float, marks: list[float], last: list[float]) -> None:
        """Fold the last step's largest move of the mark (over contracts) into the volatility
        estimate; a move larger than ``jump_bps`` counts as an event."""
        largest = 0.0
        for now, before in zip(marks, last, strict=True):
            if before > 0 and now > 0:
                largest = max(largest, abs(now / before - 1.0))
        if largest > self.jump:
            self.last_event = t
        moves = self._moves
        moves.append((t, largest * largest))
        self._sum += largest * largest
        while moves[0][0] <= t - VOLATILITY_WINDOW + EPS:
            self._sum -= moves.popleft()[1]
        self.variance = max(self.variance_floor, max(self._sum, 0.0) / VOLATILITY_WINDOW)

    def _safe_steps(self) -> int:
        """The most ``step``s over which every account stays ``near_sigmas`` standard
        deviations of the mark from liquidation (at least one)."""
        distance = self.distance(self.material)
        if distance == math.inf:
            return self.longest
        if distance <= 0.0:
            return 1
        sigma = self.near_sigmas * math.sqrt(self.variance)  # floored in `_observe`
        seconds = (distance / sigma) ** 2
        return max(1, min(self.longest, int(seconds / self.base + EPS)))

    def _busy(self, t: float) -> bool:
        """One ``step`` at a time now: a trigger runs or ended within ``calm_after`` seconds,
        or something happened within ``event_window`` seconds."""
        if t - self.last_event < self.event_window - EPS:
            return True
        for start, end in self.windows:
            if start <= t + EPS and t < end + self.calm_after - EPS:
                return True
        return False
