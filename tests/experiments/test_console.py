"""Terminal tables: numbers shown compactly, and correctly."""

import math

import numpy as np
import pytest

from experiments.console import compact


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (20_000.0, "20k"),
        (200_000, "200k"),
        (1_234.0, "1.23k"),
        (2_000_000.0, "2M"),
        (-86_000_000.0, "-86M"),
        (3.2e9, "3.2B"),
        (999, "999"),
        (0.0412, "0.0412"),
        (np.float64(12.5), "12.5"),
        (math.nan, "–"),
        (None, "–"),
        ("binance", "binance"),
    ],
)
def test_compact_numbers_keep_their_magnitude(value, shown):
    assert compact(value) == shown
