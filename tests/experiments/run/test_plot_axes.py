"""Every plot the package makes follows the unit rule and fits its figure.

Builds each kind of plot on tiny real runs (one run, a Monte Carlo, a two-setting sweep, an
ADL policy sweep, Sobol and Morris analyses, a comparison) and on small tables (the horizons and
tail-pairs reports), catching every figure as it is saved. Then, figure by figure: no axis shows
an offset or scientific notation, an axis labelled in USDT carries the k/M/B formatter, an axis
of run counts ticks only whole numbers, and every title, label and tick label lies inside the
figure.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from experiments.batch.montecarlo import monte_carlo
from experiments.batch.sensitivity import sensitivity
from experiments.batch.sweep import sweep
from experiments.reports.compare import compare
from experiments.reports.horizons import horizons_plot
from experiments.reports.tail_pairs import pairs_plot
from experiments.run.axes import MoneyFormatter, compact_money
from experiments.run.plots import plot_run
from experiments.run.runner import run_scenario, write_run
from model.scenario import load_scenario
from tests.experiments.conftest import TINY

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d|×10|10\^")
COUNT_LABELS = ("runs",)


def _build_every_plot(out: Path) -> None:
    result = run_scenario(load_scenario("flash-crash", TINY), 1)
    plot_run(result, out / "run")
    write_run(result, out / "run")
    common: dict[str, Any] = {"overrides": TINY, "workers": 1}
    monte_carlo("flash-crash", 4, out / "mc", **common)
    grid = {"population.leverage.median": [5.0, 20.0], "insurance_fund.initial": [2e5, 2e7]}
    sweep("flash-crash", grid, 1, out / "sweep", **common)
    sweep("flash-crash", {"venue.adl.ranking": ["binance", "minimal"]}, 2, out / "adl", **common)
    ranges = {"population.long_bias": (0.5, 0.9)}
    for method in ("sobol", "morris"):
        sensitivity("flash-crash", method, ranges, 2, out / method, **common)
    compare([out / "run", out / "mc"], out / "compare")
    horizons = pd.DataFrame(
        {
            "horizon (s)": [1, 1, 60, 60],
            "insurance_fund.initial": [1e6, 1e7, 1e6, 1e7],
            "Hill 2.5% down": [3.1, 2.8, 3.5, 3.0],
            "Hill 2.5% up": [3.3, 3.0, 3.6, 3.2],
            "excess kurtosis": [8.0, 11.0, 2.0, 3.5],
        }
    )
    horizons_plot(horizons, "insurance_fund.initial", out / "horizons.png")
    pairs = pd.DataFrame({"hill book": [2.9, 3.4, 3.1], "hill off_book": [3.2, 3.3, 3.0]})
    pairs_plot({"ablation": pairs}, out / "tail_pairs.png")


@pytest.fixture(scope="module")
def problems(tmp_path_factory) -> dict[str, list[str]]:
    """What is wrong with each figure, checked as it is saved, by the file it was saved to."""
    found: dict[str, list[str]] = {}
    save = Figure.savefig

    def savefig(self: Figure, path, *args, **kw):
        name = str(Path(path).relative_to(out))
        found[name] = _problems(name, self)
        return save(self, path, *args, **kw)

    out = tmp_path_factory.mktemp("plots")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "savefig", savefig)
        _build_every_plot(out)
    return found


def test_every_kind_of_plot_was_built(problems):
    names = set(problems)
    expected = [
        "run/price.png",
        "run/liquidations.png",
        "run/insurance_fund.png",
        "run/spread_depth.png",
        "run/cascades.png",
        "mc/dist_liquidations_notional.png",
        "sweep/heatmap_liquidations_notional.png",
        "sweep/sweep_liquidations_notional_vs_insurance_fund.initial.png",
        "horizons.png",
        "tail_pairs.png",
    ]
    missing = [name for name in expected if name not in names]
    assert missing == [], sorted(names)
    for folder in ("mc", "adl", "sobol", "morris", "compare"):
        assert any(name.startswith(f"{folder}/") for name in names), folder
    assert len(problems) >= 40


def _problems(name: str, figure: Figure) -> list[str]:
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    edge = figure.bbox.expanded(1.0, 1.0).padded(1.0)  # a pixel of rounding
    problems = []
    for ax in figure.axes:
        money = []
        for axis in (ax.xaxis, ax.yaxis):
            label = axis.get_label().get_text()
            if axis.get_offset_text().get_text():
                problems.append(f"{name}: offset {axis.get_offset_text().get_text()!r} ({label})")
            low, high = sorted(axis.get_view_interval())
            ticks = [t for t in axis.get_major_ticks() if low <= t.get_loc() <= high]
            if "USDT" in label:
                money += [t.label1 for t in ticks]
                if not isinstance(axis.get_major_formatter(), MoneyFormatter):
                    problems.append(f"{name}: {label!r} is money without the k/M/B formatter")
            if label in COUNT_LABELS and any(not float(t.get_loc()).is_integer() for t in ticks):
                problems.append(f"{name}: {label!r} has ticks between whole numbers")
            shown = [ax.title, axis.label, *(t.label1 for t in ticks)]
            for text in shown:
                if text.get_visible() and text.get_text():
                    box = text.get_window_extent(renderer)
                    if not (edge.contains(box.x0, box.y0) and edge.contains(box.x1, box.y1)):
                        problems.append(f"{name}: {text.get_text()!r} is cut off by the edge")
        for text in [*money, *ax.texts]:  # money ticks and annotations (a heatmap's cells)
            if SCIENTIFIC.search(text.get_text()):
                problems.append(f"{name}: {text.get_text()!r} in scientific notation")
    return problems


def test_every_plot_follows_the_unit_rule_and_fits_its_figure(problems):
    assert [p for name in sorted(problems) for p in problems[name]] == []


def test_money_ticks_read_in_k_m_b():
    formatter = MoneyFormatter()
    assert [formatter(x) for x in (0, 250_000, 1_000_000, 59_950, 2.5e9, 12.5)] == [
        "0",
        "250k",
        "1M",
        "59.95k",
        "2.5B",
        "12.5",
    ]
    assert formatter.get_offset() == ""
    assert compact_money(12_345_678) == "12.3M" and compact_money(np.nan) == "–"
