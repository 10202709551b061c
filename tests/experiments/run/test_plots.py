"""A run's plots: money axes in units that fit the values, a cascade plot that shows each
cascade of a single run, and the stretches without a spread shaded and named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.run import plots
from experiments.run.plots import money_unit, one_sided_spans
from experiments.run.runner import RunResult


@pytest.mark.parametrize(
    ("values", "unit"),
    [
        ([0.0, 950.0], (1.0, "USDT")),
        ([20_000.0, 15_000.0], (1e3, "k USDT")),
        ([-3_000.0, 12.0], (1e3, "k USDT")),  # a negative balance counts by its size
        ([2.5e6, np.nan], (1e6, "M USDT")),
        ([np.inf, 4e9], (1e9, "B USDT")),
        ([], (1.0, "USDT")),
        ([np.array([1.0, 2e6]), pd.Series([5.0])], (1e6, "M USDT")),  # series of other lengths
    ],
)
def test_money_unit_keeps_the_numbers_between_one_and_a_thousand(values, unit):
    assert money_unit(values) == unit


def test_one_sided_spans_name_each_stretch_without_a_spread():
    time = [0, 1, 2, 3, 4, 5, 6]
    bid = [1, np.nan, np.nan, 1, 1, np.nan, np.nan]
    ask = [2, 2, 2, 2, np.nan, np.nan, 2]
    assert one_sided_spans(time, bid, ask) == [
        (1.0, 3.0, "no bids"),
        (4.0, 5.0, "no asks"),
        (5.0, 6.0, "empty book"),
        (6.0, 6.0, "no bids"),
    ]
    assert one_sided_spans(time, [1] * 7, [2] * 7) == []


def _result(fund_start: float = 20_000.0, cascades: pd.DataFrame | None = None) -> RunResult:
    n = 100
    t = np.arange(n, dtype=float)
    bid = np.full(n, 99.0)
    bid[40:50] = np.nan  # no bids for 10 steps
    ask = np.full(n, 101.0)
    ts = pd.DataFrame(
        {
            "time": t,
            "index": 100.0,
            "mark": 100.0,
            "last": 100.0,
            "insurance_fund": np.linspace(fund_start, fund_start / 2, n),
            "best_bid": bid,
            "best_ask": ask,
            "spread_bps": np.where(np.isnan(bid), np.nan, 200.0),
            "depth_bid": np.where(np.isnan(bid), 0.0, 3e5),
            "depth_ask": 3e5,
        }
    )
    events = pd.DataFrame(
        {
            "kind": ["liquidation"] * 5,
            "time": [10.0, 15.0, 20.0, 60.0, 75.0],
            "side": [1, 1, 1, -1, 1],
            "notional": [5e5, 1e6, 5e5, 3e5, 8e5],
            "contract": [0] * 5,
            "mark_price": [100.0] * 5,
            "cascade_id": [0, 0, 0, 1, 2],
        }
    )
    if cascades is None:
        cascades = pd.DataFrame(
            {
                "cascade_id": [0, 1, 2],
                "start": [10.0, 60.0, 75.0],
                "end": [20.0, 60.0, 75.0],
                "duration": [10.0, 0.0, 0.0],
                "notional": [2e6, 3e5, 8e5],
                "n_liquidations": [3, 1, 1],
                "direction": ["down", "up", "down"],
            }
        )
    return RunResult({}, ts, events, cascades)


@pytest.fixture
def figures(monkeypatch):
    """The figures the plots make, kept open instead of saved."""
    made = []

    def keep(fig, path):
        made.append(fig)
        return path

    monkeypatch.setattr(plots, "save_figure", keep)
    yield made
    import matplotlib.pyplot as plt

    plt.close("all")


def test_a_20k_insurance_fund_is_drawn_in_thousands(tmp_path, figures):
    plots.insurance_plot(_result(20_000.0), tmp_path / "f.png")
    ax = figures[0].axes[0]
    assert ax.get_ylabel() == "balance (k USDT)"
    assert ax.lines[0].get_ydata().max() == pytest.approx(20.0)
    plots.insurance_plot(_result(30e6), tmp_path / "f.png")
    assert figures[1].axes[0].get_ylabel() == "balance (M USDT)"


def test_the_spread_plot_shades_and_names_the_stretch_without_bids(tmp_path, figures):
    plots.spread_depth_plot(_result(), tmp_path / "s.png")
    top, bottom = figures[0].axes
    shaded = [p for p in top.patches if p.get_label() == "no bids: no spread"]
    assert len(shaded) == 1
    span = shaded[0]  # a Rectangle in data x
    assert (span.get_x(), span.get_x() + span.get_width()) == (40.0, 50.0)
    assert "no bids: no spread" in [t.get_text() for t in top.get_legend().get_texts()]
    assert bottom.get_ylabel() == "depth ±1% (k USDT)"


def test_the_cascade_plot_of_one_run_shows_how_each_cascade_grew(tmp_path, figures):
    plots.cascade_plot(_result(), tmp_path / "c.png")
    ax = figures[0].axes[0]
    assert len(ax.lines) == 3  # one line per cascade
    first = ax.lines[0]
    assert list(first.get_xdata()) == [10.0, 10.0, 15.0, 20.0]  # from its start, per liquidation
    assert list(first.get_ydata()) == pytest.approx([0.0, 0.5, 1.5, 2.0])  # M USDT so far
    assert ax.get_ylabel() == "cascade notional so far (M USDT)"
    assert "3 in this run" in ax.get_title()
    assert [t.get_text() for t in ax.texts] == ["3 liq.", "1 liq.", "1 liq."]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["down (longs liquidated)", "up (shorts liquidated)"]


def test_the_cascade_plot_says_when_there_are_none(tmp_path, figures):
    empty = pd.DataFrame(
        columns=[
            "cascade_id",
            "start",
            "end",
            "duration",
            "notional",
            "n_liquidations",
            "direction",
        ]
    )
    plots.cascade_plot(_result(cascades=empty), tmp_path / "c.png")
    assert [t.get_text() for t in figures[0].axes[0].texts] == ["no cascades"]
