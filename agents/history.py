"""What the mids were a while ago: the price history that momentum traders and trend followers
read their returns from.

The history is kept by time, not by step, so a lookback of 30 s means 30 s whatever length the
steps have: each entry carries the time of its step, and the entries older than the longest
lookback that are no longer needed are dropped.
"""

from __future__ import annotations

from collections import deque

import numpy as np

EPS = 1e-9  # seconds: times closer than this are the same time


class PriceHistory:
    """The mids of every contract at the last steps, oldest first, as far back as ``horizon``
    seconds (and at least the last two steps).

    Args:
        horizon: seconds of history the longest lookback needs.
    """

    __slots__ = ("horizon", "mids", "times")

    def __init__(self, horizon: float) -> None:
        self.horizon = horizon
        self.times: deque[float] = deque()
        self.mids: deque[np.ndarray] = deque()

    def __len__(self) -> int:
        return len(self.mids)

    def append(self, t: float, mids: np.ndarray) -> None:
        """This step's mids, at time ``t``; drop what is older than the horizon needs."""
        times, kept = self.times, self.mids
        times.append(t)
        kept.append(mids)
        limit = t - self.horizon - EPS
        while len(times) > 2 and times[0] < limit:
            times.popleft()
            kept.popleft()

    def oldest(self) -> np.ndarray:
        """The oldest mids kept: those ``horizon`` seconds ago once the run is that old."""
        return self.mids[0]

    def rows_back(self, seconds: np.ndarray) -> list[int]:
        """For each lookback in ``seconds``: the row of the earliest entry at most that long
        before the newest (the oldest row when the history does not reach back so far)."""
        times = np.fromiter(self.times, dtype=float, count=len(self.times))
        start = times[-1] - np.asarray(seconds, dtype=float) - EPS
        rows: list[int] = np.searchsorted(times, start, side="left").tolist()
        return rows
