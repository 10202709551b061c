"""Sweeps: the grid × paired seeds, failures per grid value, plots, and input errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from experiments.batch import executor
from experiments.batch.journal import ExperimentError
from experiments.batch.sweep import grid_points, parse_grid, sweep
from experiments.cli import main
from experiments.run.metrics import SUMMARY_FIELDS
from model.scenario import ScenarioError


def test_grid_values_parse_like_set_values():
    grid = parse_grid(["population.leverage.median=5,10.5", "venue=binance,'bybit'"])
    assert grid == {"population.leverage.median": [5, 10.5], "venue": ["binance", "bybit"]}
    assert parse_grid(["index.shocks.0.contracts=[0],[0,1]"]) == {
        "index.shocks.0.contracts": [[0], [0, 1]]
    }
    assert grid_points({"a": [1, 2], "b": [3, 4]}) == [
        {"a": 1, "b": 3},
        {"a": 1, "b": 4},
        {"a": 2, "b": 3},
        {"a": 2, "b": 4},
    ]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["population.leveraged"], "--grid expects dotted.key=v1,v2"),
        (["population.leveraged="], "--grid expects dotted.key=v1,v2"),
        (["population.leveraged=1,,2"], "empty value"),
        (["a.b=1", "a.b=2"], "given twice"),
        ([], "at least one --grid"),
    ],
)
def test_malformed_grid_options_are_refused(items, message):
    with pytest.raises(ExperimentError, match=message):
        parse_grid(items)


def test_sweep_runs_the_grid_with_the_same_seeds_at_every_point_and_plots_it(tmp_path, tiny_args):
    out = tmp_path / "sweep"
    code = main(
        [
            "sweep",
            *tiny_args,
            "--grid",
            "population.leverage.median=5,20",
            "--grid",
            "insurance_fund.initial=1e5,1e7",
            "--runs",
            "2",
            "--workers",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    frame = pd.read_parquet(out / "sweep.parquet")
    keys = ["population.leverage.median", "insurance_fund.initial"]
    assert list(frame.columns) == [
        "run",
        "point",
        "seed_index",
        *keys,
        *SUMMARY_FIELDS,
        "status",
        "error",
    ]
    assert len(frame) == 4 * 2
    assert frame["run"].tolist() == list(range(8))
    assert frame[keys].drop_duplicates().values.tolist() == [
        [5.0, 1e5],
        [5.0, 1e7],
        [20.0, 1e5],
        [20.0, 1e7],
    ]
    # Common random numbers: every grid point ran with the same two seeds.
    seeds = frame.groupby("point")["seed"].apply(list)
    assert all(s == seeds.iloc[0] for s in seeds)
    assert len(set(seeds.iloc[0])) == 2
    assert (frame["status"] == "ok").all()
    # The setting acts through the paired seeds: more leverage, more liquidated.
    means = frame.groupby("population.leverage.median")["liquidations_notional"].mean()
    assert means[20.0] > means[5.0]
    for name in (
        "sweep_liquidations_notional_vs_population.leverage.median.png",
        "sweep_adl_probability_vs_insurance_fund.initial.png",
        "heatmap_insurance_fund_min.png",
        "report.md",
    ):
        assert (out / name).stat().st_size > 0
    stored = json.loads((out / "experiment.json").read_text())
    assert stored["grid"] == {keys[0]: [5, 20], keys[1]: [1e5, 1e7]}


def test_a_run_that_raises_is_recorded_and_the_rest_of_the_sweep_finishes(
    tmp_path, tiny, monkeypatch
):
    # Every input is checked before anything runs, so a failing run can only come from inside
    # the model: one grid value makes the run raise (in this process, workers=1).
    real = executor.run_scenario

    def flaky(scenario, seed=None, **kw):
        if scenario.insurance_fund.initial == 5e5:
            raise RuntimeError("the model broke")
        return real(scenario, seed, **kw)

    monkeypatch.setattr(executor, "run_scenario", flaky)
    frame = sweep(
        "flash-crash",
        {"insurance_fund.initial": [1e6, 5e5]},
        2,
        tmp_path / "sweep",
        overrides=tiny,
        workers=1,
    )
    assert frame["status"].tolist() == ["ok", "ok", "error", "error"]
    failed = frame[frame["status"] == "error"]
    assert failed["error"].str.contains("RuntimeError: the model broke").all()
    assert (failed["insurance_fund.initial"] == 5e5).all()
    assert frame.loc[frame["status"] == "ok", "liquidations_notional"].gt(0).all()
    report = (tmp_path / "sweep" / "report.md").read_text()
    assert "2 of 4 runs raised" in report


def test_a_missing_replay_file_at_one_grid_point_is_refused_before_anything_runs(tmp_path, tiny):
    good = tmp_path / "drop.csv"
    good.write_text("time,price\n0,60000\n60,54000\n120,55000\n")
    missing = tmp_path / "gone.csv"
    with pytest.raises(ExperimentError, match=r"index.replay: '.*gone.csv' does not exist"):
        sweep(
            "flash-crash",
            {"index.replay": [str(good), str(missing)]},
            2,
            tmp_path / "sweep",
            overrides={**tiny, "index.shocks": []},
            workers=1,
        )
    assert not (tmp_path / "sweep").exists()


def test_an_unknown_grid_key_is_refused_before_anything_runs(tmp_path, tiny_args, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", *tiny_args, "--grid", "population.levrage=1,2", "--runs", "2"]
    code = main([*args, "--out", str(out)])
    assert code == 2
    assert "unknown setting 'population.levrage'" in capsys.readouterr().err
    assert not out.exists()


def test_an_invalid_grid_value_names_the_key_and_the_point(tmp_path, tiny):
    with pytest.raises(ScenarioError, match=r"population.leveraged=-5.*population.leveraged"):
        sweep("flash-crash", {"population.leveraged": [10, -5]}, 2, tmp_path / "s", overrides=tiny)
    with pytest.raises(ExperimentError, match="'seed' cannot vary across runs"):
        sweep("flash-crash", {"seed": [1, 2]}, 2, tmp_path / "s", overrides=tiny)
    assert not (tmp_path / "s").exists()


def test_sweep_resume_adds_only_the_missing_runs(tmp_path, tiny):
    out = tmp_path / "sweep"
    grid = {"population.leverage.median": [5, 20]}

    def stop_after_one(done: int, failed: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep("flash-crash", grid, 2, out, overrides=tiny, workers=1, progress=stop_after_one)
    other = {"population.leverage.median": [5, 30]}
    with pytest.raises(ExperimentError, match=r"grid: .*\[5, 20\]\} there, .*\[5, 30\]\} now"):
        sweep("flash-crash", other, 2, out, overrides=tiny, resume=True)
    frame = sweep("flash-crash", grid, 2, out, overrides=tiny, workers=1, resume=True)
    assert frame["run"].tolist() == [0, 1, 2, 3]
    assert (frame["status"] == "ok").all()


def test_chosen_outcomes_are_plotted_and_resume_re_reports_without_running(tmp_path, tiny):
    out = tmp_path / "sweep"
    grid = {"population.leverage.median": [5.0, 20.0]}
    sweep("flash-crash", grid, 2, out, overrides=tiny, workers=1)
    lines = (out / "journal.jsonl").read_text().count("\n")
    assert not (out / "sweep_return_excess_kurtosis_vs_population.leverage.median.png").exists()
    frame = sweep(
        "flash-crash",
        grid,
        2,
        out,
        overrides=tiny,
        workers=1,
        resume=True,
        outcomes=["return_excess_kurtosis", "liquidations_notional"],
    )
    assert (out / "journal.jsonl").read_text().count("\n") == lines  # nothing ran again
    assert len(frame) == 4
    assert (out / "sweep_return_excess_kurtosis_vs_population.leverage.median.png").is_file()
    report = (out / "report.md").read_text()
    assert "return_excess_kurtosis" in report and "adl_notional" not in report


def test_an_unknown_outcome_is_refused_before_anything_runs(tmp_path, tiny):
    out = tmp_path / "sweep"
    with pytest.raises(ExperimentError, match="--outcome must be one of"):
        sweep("flash-crash", {"population.leverage.median": [5.0]}, 1, out, overrides=tiny,
              outcomes=["no_such_field"])  # fmt: skip
    assert not out.exists()


def test_adl_probability_is_an_outcome_the_sweep_names_when_refusing(tmp_path, tiny):
    with pytest.raises(ExperimentError, match="adl_probability"):
        sweep("flash-crash", {"population.leverage.median": [5.0]}, 1, tmp_path / "s",
              overrides=tiny, outcomes=["adl_probabilty"])  # fmt: skip


def test_settings_spanning_decades_are_plotted_on_a_log_axis(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from experiments.batch.sweep import outcome_plot

    scales = []
    original = plt.Figure.savefig

    def spy(fig, *args, **kwargs):
        scales.append(fig.axes[0].get_xscale())
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(plt.Figure, "savefig", spy)
    runs = pd.DataFrame({"fund": [1e4, 1e5, 1e6, 1e7], "adl_notional": [4.0, 3.0, 1.0, 0.0]})
    outcome_plot(runs, "fund", "adl_notional", ["fund"], tmp_path / "log.png")
    narrow = runs.assign(fund=[1.0, 2.0, 5.0, 10.0])
    outcome_plot(narrow, "fund", "adl_notional", ["fund"], tmp_path / "lin.png")
    assert scales == ["log", "linear"]
