"""Terminal tables: numbers shown compactly, and correctly."""

import io
import math

import numpy as np
import pytest
from rich.console import Console

from experiments.cli.console import compact, run_progress


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


def test_a_progress_bar_appears_only_once_runs_report():
    quiet = io.StringIO()
    with run_progress(Console(file=quiet, force_terminal=False, width=100), "monte carlo"):
        pass  # refused before any run: no empty bar
    assert "runs" not in quiet.getvalue()
    shown = io.StringIO()
    with run_progress(Console(file=shown, force_terminal=False, width=100), "monte carlo") as tick:
        tick(1, 0, 2)
        tick(2, 0, 2)
    assert "2/2 runs" in shown.getvalue()
