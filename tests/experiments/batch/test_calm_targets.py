"""Targets 4 and 5 of the price-formation work: what each statistic reads."""

import numpy as np
import pandas as pd
import pytest

from experiments.batch import calm_targets as ct


def test_a_square_root_law_has_slope_one_half_and_a_linear_one_slope_one():
    sizes = np.array(ct.SIZES)
    assert ct.impact_slope(np.tile(3.0 * np.sqrt(sizes / 1e6), (5, 1))) == pytest.approx(0.5)
    assert ct.impact_slope(np.tile(sizes / 1e6, (5, 1))) == pytest.approx(1.0)


def test_impact_targets_judge_the_slope_and_the_share_left():
    rows = pd.DataFrame(
        [
            {
                "seed": seed,
                "size": size,
                "peak_bps": np.sqrt(size / 1e6),
                "after_bps": 0.6 * np.sqrt(size / 1e6),
            }
            for seed in range(4)
            for size in ct.SIZES
        ]
    )
    delta, left = ct.impact_targets(rows)
    assert delta["value"] == pytest.approx(0.5) and delta["result"] == "hit"
    assert left["value"] == pytest.approx(0.6) and left["result"] == "hit"


def test_independent_returns_are_a_martingale_and_trending_ones_are_not():
    rng = np.random.default_rng(3)
    iid = rng.normal(0.0, 1e-4, (20, 600))
    assert ct.variance_ratio(iid) == pytest.approx(1.0, abs=0.1)
    assert ct.largest_autocorrelation(iid) < 0.05
    trending = np.empty_like(iid)  # AR(1) with coefficient 0.3
    trending[:, 0] = iid[:, 0]
    for t in range(1, iid.shape[1]):
        trending[:, t] = 0.3 * trending[:, t - 1] + iid[:, t]
    assert ct.largest_autocorrelation(trending) == pytest.approx(0.3, abs=0.05)
    assert ct.variance_ratio(trending) > 1.4
    rows = ct.martingale_targets(iid, [0.0] * 20)
    assert [r["result"] for r in rows] == ["hit"] * 5
    assert ct.martingale_targets(trending, [0.0] * 19 + [1e6])[-1]["result"] == "miss"


def test_bad_seeds_are_refused(capsys):
    with pytest.raises(SystemExit):
        ct.main(["--seeds", "one"])
    assert "--seeds" in capsys.readouterr().err


def test_further_settings_reach_every_run_and_bad_ones_are_refused(capsys):
    extra = {"prices.run_scale": 1_000_000.0}
    assert ct.metaorder(0.0, extra).prices.run_scale == 1_000_000.0  # the control run
    program = ct.metaorder(4e6, extra)
    assert program.prices.run_scale == 1_000_000.0 and program.flow_shocks
    with pytest.raises(SystemExit):
        ct.main(["--set", "prices.run_scale=-1"])
    assert "run_scale" in capsys.readouterr().err
