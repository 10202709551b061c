"""A tiny scenario for the many-run tests: 45 traders, 120 s, the index shock at 20 s, the makers
told the value (the scripted baseline): these tests check the experiment machinery, and the
scripted fall liquidates someone on every seed within 120 s, which news reaching the price
through 45 traders' trades does not."""

from __future__ import annotations

import pytest

TINY = {
    "population.leveraged": 30,
    "population.noise": 10,
    "population.momentum": 5,
    "duration": 120.0,
    "index.shocks.0.start": 20.0,  # so the shock, and liquidations, fall inside the 120 s
    "prices.makers_know_value": True,
}


@pytest.fixture
def tiny() -> dict[str, float]:
    """Overrides that make flash-crash run in about 0.1 s."""
    return dict(TINY)


@pytest.fixture
def tiny_args() -> list[str]:
    """The same overrides as ``--set`` options."""
    return [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]
