"""Monte Carlo: seeds independent of the executor, resume, failures, output files, the CLI."""

from __future__ import annotations

import json

import dask
import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

from experiments.batch import executor
from experiments.batch.executor import Executor
from experiments.batch.journal import JOURNAL_FILE, ExperimentError
from experiments.batch.montecarlo import monte_carlo
from experiments.cli import main
from experiments.run.metrics import SUMMARY_FIELDS

RUNS = 6


@pytest.fixture(scope="module")
def cluster():
    """A real two-process Dask cluster, closed after the module's tests.

    Its HTTP server gets a free local port: with ``dashboard_address=None`` distributed still
    starts it on 8787 and warns when that port is taken (another cluster, a parallel test run).
    """
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
    ) as local:
        yield local


def without_wall_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="wall_seconds")


def test_runs_are_identical_with_one_worker_two_workers_and_a_dask_cluster(tmp_path, tiny, cluster):
    serial = monte_carlo("flash-crash", RUNS, tmp_path / "w1", overrides=tiny, workers=1)
    pool = monte_carlo("flash-crash", RUNS, tmp_path / "w2", overrides=tiny, workers=2)
    dask = monte_carlo(
        "flash-crash", RUNS, tmp_path / "dask", overrides=tiny, scheduler=cluster.scheduler_address
    )
    on_disk = {
        name: pd.read_parquet(tmp_path / name / "runs.parquet") for name in ("w1", "w2", "dask")
    }
    pd.testing.assert_frame_equal(without_wall_time(serial), without_wall_time(on_disk["w1"]))
    for name in ("w2", "dask"):
        pd.testing.assert_frame_equal(
            without_wall_time(on_disk["w1"]), without_wall_time(on_disk[name])
        )
    pd.testing.assert_frame_equal(without_wall_time(serial), without_wall_time(pool))
    pd.testing.assert_frame_equal(without_wall_time(serial), without_wall_time(dask))
    # Run i used SeedSequence(root).spawn(N)[i], root = the scenario's seed (1 in flash-crash).
    expected = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(1).spawn(RUNS)]
    assert serial["seed"].tolist() == expected
    assert serial["run"].tolist() == list(range(RUNS))
    assert (serial["status"] == "ok").all()
    assert serial["liquidations_notional"].gt(0).all()  # the shock happened in every run
    assert serial["liquidations_notional"].nunique() == RUNS  # and the seeds differ


def test_runs_parquet_has_one_row_per_run_with_every_summary_field(tmp_path, tiny):
    frame = monte_carlo("flash-crash", 3, tmp_path / "mc", overrides=tiny, seed=5, workers=1)
    assert list(frame.columns) == ["run", "point", "seed_index", *SUMMARY_FIELDS, "status", "error"]
    assert len(frame) == 3
    stored = json.loads((tmp_path / "mc" / "experiment.json").read_text())
    assert stored["kind"] == "montecarlo"
    assert stored["root_seed"] == 5
    assert stored["runs"] == 3
    assert stored["overrides"] == tiny
    report = (tmp_path / "mc" / "report.md").read_text()
    assert "| liquidations_notional | 3 |" in report
    assert "Probability of ADL" in report
    for image in ("dist_liquidations_notional.png", "dist_insurance_fund_min.png", "adl.png"):
        assert (tmp_path / "mc" / image).stat().st_size > 0
    assert not (tmp_path / "mc" / "runs").exists()  # series only when asked for


def test_default_root_seed_is_the_scenarios_seed(tmp_path, tiny):
    options = {"workers": 1, "report": False}
    by_default = monte_carlo(
        "flash-crash", 2, tmp_path / "a", overrides={**tiny, "seed": 9}, **options
    )
    explicit = monte_carlo("flash-crash", 2, tmp_path / "b", overrides=tiny, seed=9, **options)
    assert by_default["seed"].tolist() == explicit["seed"].tolist()
    assert json.loads((tmp_path / "a" / "experiment.json").read_text())["root_seed"] == 9


def test_keep_series_writes_each_runs_files(tmp_path, tiny):
    monte_carlo("flash-crash", 2, tmp_path / "mc", overrides=tiny, workers=2, keep_series=True)
    for run in (0, 1):
        folder = tmp_path / "mc" / "runs" / str(run)
        assert (folder / "timeseries.parquet").is_file()
        assert (folder / "events.parquet").is_file()
        steps = json.loads((folder / "summary.json").read_text())["steps"]
        series = pd.read_parquet(folder / "timeseries.parquet")
        assert len(series) == steps and series["time"].iloc[-1] == 120.0


def test_resume_after_a_journal_cut_mid_line_completes_with_no_missing_or_duplicate_runs(
    tmp_path, tiny
):
    reference = monte_carlo(
        "flash-crash", RUNS, tmp_path / "full", overrides=tiny, workers=1, report=False
    )
    out = tmp_path / "cut"
    monte_carlo("flash-crash", RUNS, out, overrides=tiny, workers=1, report=False)
    # What a kill during a write leaves: three whole lines, then half of the fourth.
    lines = (out / JOURNAL_FILE).read_text().splitlines(keepends=True)
    (out / JOURNAL_FILE).write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])
    (out / "runs.parquet").unlink()

    resumed = monte_carlo("flash-crash", RUNS, out, overrides=tiny, workers=2, resume=True)

    assert resumed["run"].tolist() == list(range(RUNS))
    journal = [json.loads(line) for line in (out / JOURNAL_FILE).read_text().splitlines()]
    assert sorted(r["run"] for r in journal) == list(range(RUNS))
    pd.testing.assert_frame_equal(without_wall_time(resumed), without_wall_time(reference))
    on_disk = pd.read_parquet(out / "runs.parquet")
    pd.testing.assert_frame_equal(without_wall_time(on_disk), without_wall_time(reference))


def test_interrupted_experiment_keeps_finished_runs_and_resume_runs_only_the_rest(
    tmp_path, tiny, spy_on_runs
):
    out = tmp_path / "mc"

    def stop_after_three(done: int, failed: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        monte_carlo("flash-crash", RUNS, out, overrides=tiny, workers=1, progress=stop_after_three)
    assert pd.read_parquet(out / "runs.parquet")["run"].tolist() == [0, 1, 2]

    executed = spy_on_runs()
    resumed = monte_carlo("flash-crash", RUNS, out, overrides=tiny, workers=2, resume=True)
    assert sorted(executed) == [3, 4, 5]
    assert resumed["run"].tolist() == list(range(RUNS))
    assert (resumed["status"] == "ok").all()


def test_interrupting_a_process_pool_keeps_the_runs_that_finished(tmp_path, tiny):
    out = tmp_path / "mc"

    def stop_after_two(done: int, failed: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        monte_carlo("flash-crash", 12, out, overrides=tiny, workers=2, progress=stop_after_two)
    kept = pd.read_parquet(out / "runs.parquet")
    assert len(kept) == 2
    resumed = monte_carlo("flash-crash", 12, out, overrides=tiny, workers=2, resume=True)
    assert resumed["run"].tolist() == list(range(12))


def test_a_run_that_raises_is_recorded_and_the_others_finish(tmp_path, tiny, monkeypatch):
    real_run = executor.run_scenario
    doomed = np.random.SeedSequence(1).spawn(4)[2].spawn_key

    def fails_on_run_two(scenario, seed, **kwargs):
        if seed.spawn_key == doomed:
            raise FloatingPointError("mark price went negative")
        return real_run(scenario, seed, **kwargs)

    monkeypatch.setattr(executor, "run_scenario", fails_on_run_two)
    frame = monte_carlo("flash-crash", 4, tmp_path / "mc", overrides=tiny, workers=1)
    assert frame["status"].tolist() == ["ok", "ok", "error", "ok"]
    failed = frame.loc[2]
    assert failed["error"] == "FloatingPointError: mark price went negative"
    assert failed["seed"] == int(np.random.SeedSequence(1).spawn(4)[2].generate_state(1)[0])
    assert pd.isna(failed["liquidations_notional"])
    assert frame.loc[[0, 1, 3], "liquidations_notional"].gt(0).all()
    assert frame["steps"].dtype == "Int64"  # whole numbers stay whole around the gap
    assert "## Failed runs" in (tmp_path / "mc" / "report.md").read_text()


def test_a_non_empty_directory_is_refused_without_resume(tmp_path, tiny):
    out = tmp_path / "mc"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(
        ExperimentError, match=r"is not empty \(an earlier result\?\); pass --resume"
    ):
        monte_carlo("flash-crash", 2, out, overrides=tiny, workers=1)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_resume_refuses_a_different_experiment(tmp_path, tiny):
    out = tmp_path / "mc"
    monte_carlo("flash-crash", 2, out, overrides=tiny, workers=1, report=False)
    # more runs extend a Monte Carlo (tests/experiments/batch/test_replay.py); fewer are refused
    with pytest.raises(ExperimentError, match=r"runs: 2 there, 1 now \(a Monte Carlo can be"):
        monte_carlo("flash-crash", 1, out, overrides=tiny, workers=1, resume=True)
    with pytest.raises(ExperimentError, match=r"population.noise: 10 there, 11 now"):
        other = {**tiny, "population.noise": 11}
        monte_carlo("flash-crash", 2, out, overrides=other, workers=1, resume=True)
    with pytest.raises(ExperimentError, match=r"root_seed: 1 there, 2 now"):
        monte_carlo("flash-crash", 2, out, overrides=tiny, seed=2, workers=1, resume=True)
    assert len((out / JOURNAL_FILE).read_text().splitlines()) == 2


def test_resume_of_a_finished_experiment_runs_nothing_and_rewrites_the_table(
    tmp_path, tiny, monkeypatch
):
    out = tmp_path / "mc"
    first = monte_carlo("flash-crash", 2, out, overrides=tiny, workers=1, report=False)
    (out / "runs.parquet").unlink()

    def must_not_run(self, jobs):
        raise AssertionError("a finished experiment was run again")

    monkeypatch.setattr(Executor, "run", must_not_run)
    progress: list[tuple[int, ...]] = []
    again = monte_carlo(
        "flash-crash",
        2,
        out,
        overrides=tiny,
        workers=1,
        resume=True,
        progress=lambda *counts: progress.append(counts),
    )
    assert progress == [(2, 0, 2)]
    pd.testing.assert_frame_equal(again, first)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), first)


def test_bad_options_are_refused_before_anything_runs(tmp_path, tiny):
    with pytest.raises(ExperimentError, match="runs must be a whole number of at least 1, got 0"):
        monte_carlo("flash-crash", 0, tmp_path / "a", overrides=tiny)
    with pytest.raises(ExperimentError, match="workers must be at least 1, got 0"):
        monte_carlo("flash-crash", 2, tmp_path / "b", overrides=tiny, workers=0)
    with pytest.raises(ExperimentError, match="scheduler must be a Dask scheduler address"):
        monte_carlo("flash-crash", 2, tmp_path / "c", overrides=tiny, scheduler="localhost")
    assert not any(tmp_path.iterdir())


def test_an_unreachable_scheduler_is_reported_before_the_directory_is_touched(tmp_path, tiny):
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(ExperimentError, match="cannot reach the Dask scheduler at tcp://"),
    ):
        monte_carlo(
            "flash-crash", 2, tmp_path / "mc", overrides=tiny, scheduler="tcp://127.0.0.1:9"
        )
    assert not (tmp_path / "mc").exists()


def test_mc_command_writes_the_table_and_report(tmp_path, tiny_args, capsys):
    out = tmp_path / "mc"
    code = main(["mc", *tiny_args, "--runs", "3", "--workers", "1", "--out", str(out)])
    assert code == 0
    frame = pd.read_parquet(out / "runs.parquet")
    assert len(frame) == 3
    assert set(SUMMARY_FIELDS) <= set(frame.columns)
    assert (out / "report.md").is_file()
    shown = capsys.readouterr().out
    assert "P(ADL)" in shown
    assert "3/3 runs" in shown


def test_mc_command_refuses_zero_runs_with_a_clear_error(tmp_path, tiny_args, capsys):
    code = main(["mc", *tiny_args, "--runs", "0", "--out", str(tmp_path / "mc")])
    assert code == 2
    assert "runs must be a whole number of at least 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "mc").exists()


def test_cli_exits_non_zero_listing_failures_after_saving_the_runs_that_succeeded(
    tmp_path, tiny_args, monkeypatch, capsys
):
    real_run = executor.run_scenario
    doomed = np.random.SeedSequence(1).spawn(3)[1].spawn_key

    def fails_on_run_one(scenario, seed, **kwargs):
        if seed.spawn_key == doomed:
            raise FloatingPointError("mark price went negative")
        return real_run(scenario, seed, **kwargs)

    monkeypatch.setattr(executor, "run_scenario", fails_on_run_one)
    out = tmp_path / "mc"
    code = main(["mc", *tiny_args, "--runs", "3", "--workers", "1", "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "error: 1 of 3 runs failed; the 2 that succeeded are saved" in err
    assert "run 1: FloatingPointError: mark price went negative" in err
    saved = pd.read_parquet(out / "runs.parquet")
    assert saved["status"].tolist() == ["ok", "error", "ok"]
    assert (out / "dist_liquidations_notional.png").is_file()


def test_cli_exits_non_zero_and_draws_no_empty_plots_when_every_run_fails(
    tmp_path, tiny_args, monkeypatch, capsys
):
    def always_fails(scenario, seed, **kwargs):
        raise RuntimeError("broken model")

    monkeypatch.setattr(executor, "run_scenario", always_fails)
    out = tmp_path / "mc"
    code = main(["mc", *tiny_args, "--runs", "2", "--workers", "1", "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "error: 2 of 2 runs failed; the 0 that succeeded are saved" in err
    assert err.count("RuntimeError: broken model") == 2
    assert pd.read_parquet(out / "runs.parquet")["status"].tolist() == ["error", "error"]
    assert not list(out.glob("*.png"))
    assert "2 of 2 runs raised" in (out / "report.md").read_text()


def test_many_runs_per_worker_use_the_compiled_risk_check_with_the_same_results(
    tmp_path, tiny, monkeypatch
):
    from model import risk

    assert not Executor(2, runs=executor.COMPILE_FROM * 2 - 1).compiled
    assert Executor(2, runs=executor.COMPILE_FROM * 2).compiled
    plain = monte_carlo("flash-crash", 3, tmp_path / "plain", overrides=tiny, workers=1)
    monkeypatch.setattr(executor, "COMPILE_FROM", 1)
    calls = []
    real = risk.assess_compiled
    monkeypatch.setattr(risk, "assess_compiled", lambda *a: calls.append(1) or real(*a))
    compiled = monte_carlo("flash-crash", 3, tmp_path / "compiled", overrides=tiny, workers=1)
    pooled = monte_carlo("flash-crash", 3, tmp_path / "pooled", overrides=tiny, workers=2)
    assert calls  # the in-process runs took the kernel ...
    assert not risk.is_compiled()  # ... and left the process as it was
    pd.testing.assert_frame_equal(without_wall_time(plain), without_wall_time(compiled))
    pd.testing.assert_frame_equal(without_wall_time(plain), without_wall_time(pooled))
