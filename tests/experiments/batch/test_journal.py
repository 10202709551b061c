"""The run journal: whole lines survive, a line cut by an interruption is dropped and repaired."""

from __future__ import annotations

import json

import pytest

from experiments.batch.journal import ExperimentError, Journal, prepare, read_journal


def record(run: int) -> dict:
    return {"run": run, "status": "ok", "summary": {"liquidations_notional": 1.5 * run}}


def write_records(path, runs):
    with Journal(path) as journal:
        for run in runs:
            journal.append(record(run))


def test_journal_reads_back_every_record_in_order(tmp_path):
    path = tmp_path / "journal.jsonl"
    write_records(path, [2, 0, 1])
    assert read_journal(path) == [record(2), record(0), record(1)]
    assert read_journal(tmp_path / "missing.jsonl") == []


def test_a_last_line_cut_short_is_dropped_and_repair_lets_appends_continue(tmp_path):
    path = tmp_path / "journal.jsonl"
    write_records(path, [0, 1])
    whole = path.read_bytes()
    path.write_bytes(whole + json.dumps(record(2)).encode()[:17])  # killed mid-write
    assert read_journal(path) == [record(0), record(1)]
    assert path.read_bytes() != whole  # reading alone changes nothing
    assert read_journal(path, repair=True) == [record(0), record(1)]
    assert path.read_bytes() == whole
    write_records(path, [2])
    assert [r["run"] for r in read_journal(path)] == [0, 1, 2]


def test_a_whole_last_record_missing_only_its_newline_is_kept(tmp_path):
    path = tmp_path / "journal.jsonl"
    write_records(path, [0, 1])
    path.write_bytes(path.read_bytes()[:-1])
    assert [r["run"] for r in read_journal(path, repair=True)] == [0, 1]
    write_records(path, [2])
    assert [r["run"] for r in read_journal(path)] == [0, 1, 2]


def test_a_broken_line_before_the_last_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "journal.jsonl"
    write_records(path, [0])
    with path.open("a") as f:
        f.write("not json\n")
    write_records(path, [2])
    with pytest.raises(ExperimentError, match="line 2 is not a run record"):
        read_journal(path)


def test_prepare_writes_the_definition_and_resume_compares_it(tmp_path):
    out = tmp_path / "exp"
    definition = {"kind": "montecarlo", "scenario": "flash-crash", "runs": 4, "root_seed": 1}
    assert prepare(out, definition, resume=False) == []
    assert json.loads((out / "experiment.json").read_text()) == definition
    write_records(out / "journal.jsonl", [0, 1])
    # The preset's name is informational: the same runs asked for by path still resume.
    same_runs = {**definition, "scenario": "model/presets/scenarios/flash-crash.toml"}
    assert [r["run"] for r in prepare(out, same_runs, resume=True)] == [0, 1]
    with pytest.raises(ExperimentError, match="kind: 'montecarlo' there, 'sweep' now"):
        prepare(out, {**definition, "kind": "sweep"}, resume=True)
    with pytest.raises(ExperimentError, match="is not empty"):
        prepare(out, definition, resume=False)


def test_resume_into_an_empty_directory_starts_the_experiment(tmp_path):
    out = tmp_path / "new"
    assert prepare(out, {"kind": "montecarlo"}, resume=True) == []
    assert (out / "experiment.json").is_file()


def test_resume_refuses_a_directory_without_an_experiment(tmp_path):
    (tmp_path / "other.txt").write_text("x")
    with pytest.raises(ExperimentError, match=r"holds no experiment\.json"):
        prepare(tmp_path, {"kind": "montecarlo"}, resume=True)
