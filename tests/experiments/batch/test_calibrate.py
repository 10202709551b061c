"""`cascade calibrate`: the command end to end on a small budget, its determinism, a fit that
finds a setting the model itself produced, the statistics of a calm run, and spec checks."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

from experiments.batch.calibrate import (
    DEFAULT_SPEC,
    OUTPUTS,
    STATISTICS,
    CalibrationError,
    Context,
    Parameter,
    Spec,
    Target,
    calibrate,
    calm_scenario,
    load_spec,
    loss,
    marks_on_grid,
    run_statistics,
)
from experiments.cli import main
from experiments.run.runner import run_scenario
from model.scenario import ScenarioError

# one funding settlement (3600 s) and a little after: the shipped spec's statistics all exist
SMALL = ["--trials", "2", "--seeds", "1", "--duration", "3700"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped spec calibrated with 2 trials on 1 seed (about 5 s)."""
    out = tmp_path_factory.mktemp("calibrate") / "out"
    assert main(["calibrate", *SMALL, "--out", str(out)]) == 0
    return out


def test_the_command_writes_every_output_and_fits_within_the_bounds(small_run, capsys):
    assert sorted(p.name for p in small_run.iterdir()) == sorted(OUTPUTS)
    result = json.loads((small_run / "calibration.json").read_text())
    spec = load_spec(DEFAULT_SPEC)
    assert result["trials"] == 2 and result["seeds"] == [1] and result["duration"] == 3700
    assert [p["setting"] for p in result["parameters"]] == [p.key for p in spec.parameters]
    for row, parameter in zip(result["parameters"], spec.parameters, strict=True):
        assert parameter.low <= row["fitted"] <= parameter.high, row
    assert [s["statistic"] for s in result["statistics"]] == [t.statistic for t in spec.targets]
    for row in result["statistics"]:
        assert math.isfinite(row["fitted"]) and row["source"]
        assert row["seed min"] == row["seed max"] == row["fitted"]  # one seed
        assert row["relative error"] == pytest.approx(
            (row["fitted"] - row["target"]) / row["target"]
        )
    trials = pd.read_csv(small_run / "trials.csv")
    assert list(trials["trial"]) == [0, 1]
    assert result["loss"] == pytest.approx(trials["loss"].min())
    report = (small_run / "report.md").read_text()
    for target in spec.targets:
        assert target.statistic in report and target.source in report
    assert (small_run / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_same_arguments_give_the_same_calibration(small_run, tmp_path):
    # the same command line (same --out) again: the file is the same byte for byte
    first = (small_run / "calibration.json").read_bytes()
    trials = (small_run / "trials.csv").read_bytes()
    shutil.move(small_run, tmp_path / "first")
    try:
        assert main(["calibrate", *SMALL, "--out", str(small_run)]) == 0
        assert (small_run / "calibration.json").read_bytes() == first
        assert (small_run / "trials.csv").read_bytes() == trials
    finally:
        shutil.rmtree(small_run, ignore_errors=True)
        shutil.move(tmp_path / "first", small_run)


def test_the_fit_finds_a_setting_the_model_produced():
    # Targets made by the model itself at depth_scale 0.5 on seed 7: the loss is 0 at the truth,
    # and the best of 6 trials lies closer to 0.5 than the middle of the (log) range does.
    truth, low, high = 0.5, 0.2, 5.0
    base = Spec(
        "synthetic",
        "oct-10-2025",
        {"index.shocks": []},
        900.0,
        300.0,
        (Parameter("contracts.0.depth_scale", low, high, log=True),),
        (Target("median_depth_1pct_usdt", 1.0, "the model at depth_scale 0.5"),),
    )
    made = run_statistics(base, {"contracts.0.depth_scale": truth}, [7])
    value = float(made["median_depth_1pct_usdt"].iloc[0])
    spec = Spec(**{**base.__dict__, "targets": (Target("median_depth_1pct_usdt", value, "model"),)})
    middle = math.sqrt(low * high)
    at_middle = run_statistics(spec, {"contracts.0.depth_scale": middle}, [7])
    assert loss(spec, {"median_depth_1pct_usdt": value}) == 0.0
    assert loss(spec, {"median_depth_1pct_usdt": float(at_middle.iloc[0, 1])}) > 0.05
    result = calibrate(spec, 6, [7], sampler_seed=0)
    best = result.best["contracts.0.depth_scale"]
    assert abs(math.log(best / truth)) < abs(math.log(middle / truth))
    assert result.best_loss == pytest.approx(result.trials["loss"].min())


def test_the_calm_run_has_no_trigger_and_its_statistics_are_plausible():
    spec = load_spec(DEFAULT_SPEC, duration=3700.0)
    scenario = calm_scenario(spec, {})
    assert scenario.index.shocks == [] and scenario.flow_shocks == []
    result = run_scenario(scenario, np.random.SeedSequence(1))
    context = Context(scenario, spec.burn_in)
    stats = {name: s.function(result, context) for name, s in STATISTICS.items()}
    assert result.summary["liquidations_count"] == 0
    assert 0 < stats["median_spread_bps"] < 20
    assert stats["median_depth_1pct_usdt"] > 1e5
    assert 0 < stats["volatility_1min_bps"] < 100
    ts = result.timeseries
    oi = ts["open_interest"].iloc[-1] * ts["mark"].iloc[-1]
    assert stats["open_interest_usdt"] == pytest.approx(oi, rel=0.05)
    # the preset's crowd: a lognormal of median 20x, log-std 0.7 capped at Hyperliquid's 40x
    assert 10 < stats["crowd_median_leverage"] < 30
    assert stats["crowd_median_leverage"] < stats["crowd_mean_leverage"] < 40
    # one settlement, at 3600 s: Hyperliquid's rate is per hour, clamped near 0.00125%
    assert abs(stats["funding_rate_mean"]) < 1e-4


def test_marks_on_grid_take_the_last_step_ending_at_or_before_each_time():
    frame = pd.DataFrame({"time": [10.0, 20.0, 60.0, 70.0, 130.0], "mark": [1, 2, 3, 4, 5]})
    assert list(marks_on_grid(frame, 0.0, 60.0)) == [3, 4]  # no step ends by 0 s
    assert list(marks_on_grid(frame, 10.0, 60.0)) == [1, 4, 5]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parameters": [{"key": "population.levered", "low": 1, "high": 2}]},
         r"unknown setting 'population\.levered'"),
        ({"parameters": [{"key": "contracts.0.depth_scale", "low": 1, "high": 1}]},
         r"bounds must have low < high, got 1\.0 ≥ 1\.0"),
        ({"parameters": [{"key": "contracts.0.depth_scale", "low": 0, "high": 1,
                          "scale": "log"}]},
         r"a log scale needs low > 0"),
        ({"parameters": [{"key": "population.leveraged", "low": 1.5, "high": 9,
                          "integer": True}]},
         r"integer bounds must be whole numbers"),
        ({"parameters": [{"key": "contracts.0.depth_scale", "low": 0.1, "high": 1e9}]},
         r"contracts\.0\.depth_scale"),  # the upper bound is not a valid setting
        ({"targets": [{"statistic": "median_spread_bps", "value": 1.0}]}, r"a source is required"),
        ({"targets": [{"statistic": "median_spread_bps", "value": -1.0, "source": "x"}]},
         r"a log error needs a target > 0"),
        ({"targets": [{"statistic": "nope", "value": 1.0, "source": "x"}]},
         r"unknown statistic 'nope'"),
        ({"burn_in": 5000.0}, r"burn_in must be ≥ 0 and below the duration"),
        ({"seed": 3}, r"unknown field 'seed'"),
    ],
)  # fmt: skip
def test_a_bad_spec_is_refused_before_any_run(tmp_path, change, message):
    data = {
        "scenario": "oct-10-2025",
        "duration": 600.0,
        "calm": {"index.shocks": []},
        "parameters": [{"key": "contracts.0.depth_scale", "low": 0.1, "high": 2.0}],
        "targets": [{"statistic": "median_spread_bps", "value": 1.0, "source": "chosen: test"}],
        **change,
    }
    path = tmp_path / "spec.toml"
    path.write_text(tomli_w.dumps(data))
    with pytest.raises(ScenarioError, match=message):  # CalibrationError is a ScenarioError
        load_spec(path)


def test_bad_trial_and_seed_arguments_are_refused():
    spec = load_spec(DEFAULT_SPEC)
    with pytest.raises(CalibrationError, match="--trials must be at least 1, got 0"):
        calibrate(spec, 0, [1])
    with pytest.raises(CalibrationError, match="distinct integers"):
        calibrate(spec, 1, [1, 1])
