"""Run I of an experiment runs again on its own (`cascade run --from DIR --run I`), the results
table documents its seed columns, and a Monte Carlo grows with --resume and a larger --runs."""

from __future__ import annotations

import json
import math

import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments.batch.experiment import SEED_COLUMNS
from experiments.batch.journal import ExperimentError
from experiments.batch.montecarlo import monte_carlo
from experiments.batch.sweep import sweep
from experiments.cli import main
from experiments.run.metrics import SUMMARY_FIELDS


def _same_as_row(summary_path, row: pd.Series) -> None:
    """Every field equal but the wall time; summary.json (strict JSON) writes a value that is
    not finite as null with its reason, where the table keeps NaN or inf."""
    summary = json.loads(summary_path.read_text())
    for field in SUMMARY_FIELDS:
        if field == "wall_seconds":
            continue
        value, expected = summary[field], row[field]
        if isinstance(expected, float) and not math.isfinite(expected):
            assert value is None and field in summary["null_reasons"], field
        else:
            assert value == expected, field


def test_run_i_of_a_monte_carlo_replays_to_its_row(tmp_path, tiny):
    out = tmp_path / "mc"
    frame = monte_carlo("flash-crash", 3, out, overrides=tiny, workers=1)
    replay = tmp_path / "replay"
    code = main(["run", "--from", str(out), "--run", "2", "--no-plots", "--out", str(replay)])
    assert code == 0
    _same_as_row(replay / "summary.json", frame.iloc[2])
    record = json.loads((replay / "provenance.json").read_text())
    assert record["seed"]["spawn_key"] == [2] and record["seed"]["run"] == 2


def test_run_i_of_a_sweep_replays_with_its_point_settings(tmp_path, tiny):
    out = tmp_path / "sweep"
    grid = {"population.max_leverage": [10, 40]}
    frame = sweep("flash-crash", grid, 2, out, overrides=tiny, workers=1, report=False)
    replay = tmp_path / "replay"
    code = main(["run", "--from", str(out), "--run", "3", "--no-plots", "--out", str(replay)])
    assert code == 0
    row = frame[frame["run"] == 3].iloc[0]
    assert row["population.max_leverage"] == 40 and row["seed_index"] == 1
    _same_as_row(replay / "summary.json", row)


def test_the_results_table_describes_its_seed_columns(tmp_path, tiny):
    out = tmp_path / "mc"
    monte_carlo("flash-crash", 1, out, overrides=tiny, workers=1)
    schema = pq.read_schema(out / "runs.parquet")
    for column, meaning in SEED_COLUMNS.items():
        assert schema.field(column).metadata[b"description"].decode() == meaning
    assert "not a root seed" in SEED_COLUMNS["seed"]
    assert "--from DIR --run" in SEED_COLUMNS["run"]


def test_resume_with_more_runs_extends_a_monte_carlo_and_changes_none_already_there(tmp_path, tiny):
    out = tmp_path / "mc"
    first = monte_carlo("flash-crash", 3, out, overrides=tiny, workers=1)
    journal = (out / "journal.jsonl").read_text()
    grown = monte_carlo("flash-crash", 5, out, overrides=tiny, workers=1, resume=True)
    assert (out / "journal.jsonl").read_text().startswith(journal)  # nothing rewritten
    pd.testing.assert_frame_equal(grown.iloc[:3], first)  # wall time included: not re-run
    fresh = monte_carlo("flash-crash", 5, tmp_path / "fresh", overrides=tiny, workers=1)
    pd.testing.assert_frame_equal(
        grown.drop(columns="wall_seconds"), fresh.drop(columns="wall_seconds")
    )
    assert json.loads((out / "experiment.json").read_text())["runs"] == 5
    assert "5 of 5 runs" in (out / "report.md").read_text()
    with pytest.raises(ExperimentError, match="never shortened"):
        monte_carlo("flash-crash", 4, out, overrides=tiny, workers=1, resume=True)


def test_a_sweep_is_not_extended_with_more_runs(tmp_path, tiny):
    out = tmp_path / "sweep"
    grid = {"population.max_leverage": [10, 40]}
    sweep("flash-crash", grid, 1, out, overrides=tiny, workers=1, report=False)
    with pytest.raises(ExperimentError, match="runs: 1 there, 2 now"):
        sweep("flash-crash", grid, 2, out, overrides=tiny, workers=1, report=False, resume=True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--run", "1"], "--run I needs --from DIR"),
        (["--from", "{mc}"], "--from DIR needs --run I"),
        (["--from", "{mc}", "--run", "7"], "--run 7: {mc} holds runs 0 to 1; choose one"),
        (["--from", "{mc}", "--run", "0", "--seed", "3"], "drop --seed"),
        (["--from", "{mc}", "--run", "0", "--set", "duration=5"], "drop --set"),
        (["--from", "{mc}", "--run", "0", "--scenario", "calm"], "drop --scenario"),
        (["--from", "{nothing}", "--run", "0"], "--from {nothing}: holds no experiment.json"),
    ],
)
def test_replay_refuses_what_it_cannot_do_in_one_line(tmp_path, tiny, capsys, argv, message):
    mc = tmp_path / "mc"
    monte_carlo("flash-crash", 2, mc, overrides=tiny, workers=1)
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    names = {"mc": mc, "nothing": nothing}
    argv = [a.format(**names) for a in argv]
    capsys.readouterr()
    assert main(["run", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message.format(**names) in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()
