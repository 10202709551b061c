"""Sensitivity analysis: Sobol and Morris end to end, integer settings, and input errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from experiments.batch.journal import ExperimentError
from experiments.batch.sensitivity import (
    DEFAULT_OUTCOMES,
    Param,
    parse_params,
    resolve_params,
    sample,
    sensitivity,
    sensitivity_experiment,
)
from experiments.cli import main
from model.scenario import ScenarioError, load_scenario

PARAMS = [
    "--param",
    "population.leveraged=20:40",
    "--param",
    "index.shocks.0.change_pct=-15:-3",
]


def test_sobol_analysis_runs_end_to_end_from_the_command_line(tmp_path, tiny_args):
    out = tmp_path / "sobol"
    args = ["sensitivity", *tiny_args, "--method", "sobol", *PARAMS, "--samples", "4"]
    code = main([*args, "--runs-per-point", "2", "--workers", "2", "--out", str(out)])
    assert code == 0
    indices = pd.read_csv(out / "indices.csv")
    assert list(indices.columns) == ["parameter", "outcome", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(indices) == 2 * len(DEFAULT_OUTCOMES)
    assert indices["outcome"].unique().tolist() == DEFAULT_OUTCOMES
    # The shock's size drives the drawdown: its total index is clearly above zero.
    drawdown = indices[indices["outcome"] == "max_drawdown_pct"].set_index("parameter")
    assert drawdown.loc["index.shocks.0.change_pct", "ST"] > 0.3
    runs = pd.read_parquet(out / "runs.parquet")
    points = 4 * (2 + 2)  # N × (D + 2) without second-order indices
    assert len(runs) == points * 2
    assert (runs["status"] == "ok").all()
    seeds = runs.groupby("point")["seed"].apply(list)
    assert all(s == seeds.iloc[0] for s in seeds)  # the same R seeds at every point
    averaged = pd.read_parquet(out / "points.parquet")
    assert len(averaged) == points
    assert averaged["ok"].eq(2).all()
    first = runs[runs["point"] == 0]["liquidations_notional"].mean()
    assert averaged.loc[0, "liquidations_notional"] == pytest.approx(first)
    for outcome in DEFAULT_OUTCOMES:
        assert (out / f"sobol_{outcome}.png").stat().st_size > 0
    assert json.loads((out / "experiment.json").read_text())["method"] == "sobol"


def test_morris_analysis_runs_end_to_end_from_the_command_line(tmp_path, tiny_args):
    out = tmp_path / "morris"
    args = ["sensitivity", *tiny_args, "--method", "morris", *PARAMS, "--samples", "3"]
    code = main([*args, "--outcome", "max_drawdown_pct", "--workers", "2", "--out", str(out)])
    assert code == 0
    indices = pd.read_csv(out / "indices.csv")
    assert list(indices.columns) == ["parameter", "outcome", "mu_star", "mu_star_conf", "sigma"]
    assert len(indices) == 2
    by_param = indices.set_index("parameter")["mu_star"]
    assert by_param["index.shocks.0.change_pct"] > by_param["population.leveraged"]
    assert len(pd.read_parquet(out / "runs.parquet")) == 3 * (2 + 1)  # r × (D + 1)
    assert (out / "morris_max_drawdown_pct.png").stat().st_size > 0
    assert (out / "morris_max_drawdown_pct_mu_sigma.png").stat().st_size > 0


def test_integer_settings_are_sampled_as_whole_numbers_within_their_range(tiny):
    experiment, params, x = sensitivity_experiment(
        "flash-crash",
        "sobol",
        {"population.leveraged": (20, 23), "population.leverage.median": (5, 30)},
        16,
        overrides=tiny,
    )
    assert [p.integer for p in params] == [True, False]
    leveraged = [point["population.leveraged"] for point in experiment.points]
    assert all(type(v) is int for v in leveraged)
    assert set(leveraged) == {20, 21, 22, 23}  # every whole number, ends included
    medians = [point["population.leverage.median"] for point in experiment.points]
    assert all(5 <= v <= 30 and type(v) is float for v in medians)
    assert Param("n", 20, 23, True).value(23.999) == 23
    assert x.shape == (16 * 4, 2)


def test_sampling_is_seeded_from_the_root_seed(tiny):
    params = resolve_params(load_scenario("flash-crash", tiny), {"population.leveraged": (2, 9)})
    for method in ("sobol", "morris"):
        assert np.array_equal(sample(method, params, 4, 3), sample(method, params, 4, 3))
        assert not np.array_equal(sample(method, params, 4, 3), sample(method, params, 4, 4))


def test_a_different_outcome_reuses_the_runs_on_resume(tmp_path, tiny):
    out = tmp_path / "sobol"
    ranges = {"index.shocks.0.change_pct": (-15.0, -3.0)}
    sensitivity("flash-crash", "sobol", ranges, 2, out, overrides=tiny, workers=1, report=False)
    journal = (out / "journal.jsonl").read_text()
    indices, notes = sensitivity(
        "flash-crash",
        "sobol",
        ranges,
        2,
        out,
        outcomes=["insurance_fund_start"],
        overrides=tiny,
        workers=1,
        resume=True,
        report=False,
    )
    assert (out / "journal.jsonl").read_text() == journal  # nothing ran again
    assert indices["S1"].isna().all()
    assert notes == {"insurance_fund_start": "the outcome is the same at every point"}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["population.leveraged"], "--param expects dotted.key=low:high"),
        (["population.leveraged=20"], "--param expects dotted.key=low:high"),
        (["population.leveraged=a:b"], "bounds must be numbers"),
        (["population.leveraged=40:20"], "low must be below high, got 40:20"),
        (["population.leveraged=20:20"], "low must be below high, got 20:20"),
        (["population.leveraged=1:2", "population.leveraged=3:4"], "given twice"),
        ([], "at least one --param"),
    ],
)
def test_malformed_params_are_refused(items, message):
    with pytest.raises(ExperimentError, match=message):
        parse_params(items)


@pytest.mark.parametrize(
    ("ranges", "options", "error", "message"),
    [
        ({"population.levered": (1, 2)}, {}, ScenarioError, "unknown setting 'population.levered'"),
        ({"venue.name": (1, 2)}, {}, ExperimentError, "venue.name: not a numeric setting"),
        ({"population.leveraged": (1.5, 9)}, {}, ExperimentError, "bounds must be integers"),
        ({"population.leveraged": (-3, 9)}, {}, ExperimentError, "bound -3 is invalid"),
        ({"population.leveraged": (1, 9)}, {"samples": 6}, ExperimentError, "power of 2"),
        ({"population.leveraged": (1, 9)}, {"method": "fast"}, ExperimentError, "--method"),
        ({"population.leveraged": (1, 9)}, {"outcomes": ["x"]}, ExperimentError, "--outcome"),
    ],
)
def test_bad_analysis_input_is_refused_before_anything_runs(
    tmp_path, tiny, ranges, options, error, message
):
    arguments = {"method": "sobol", "samples": 4, **options}
    with pytest.raises(error, match=message):
        sensitivity(
            "flash-crash",
            arguments.pop("method"),
            ranges,
            arguments.pop("samples"),
            tmp_path / "out",
            overrides=tiny,
            **arguments,
        )
    assert not (tmp_path / "out").exists()


def test_low_not_below_high_is_a_clear_command_line_error(tmp_path, tiny_args, capsys):
    args = ["sensitivity", *tiny_args, "--param", "population.leveraged=40:20", "--samples", "4"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert "--param population.leveraged: low must be below high" in capsys.readouterr().err
