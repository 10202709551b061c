"""A run's files: summary.json is strict JSON, and --out is checked before the run."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from experiments.cli import main
from experiments.run import runner
from experiments.run.crash import CRASH_FIELDS
from experiments.run.metrics import (
    ADL_RATIO_FIELDS,
    EVENT_FIELDS,
    OTHER_CONTRACT_FIELDS,
    RECOVERY_BANDS,
    SUMMARY_FIELDS,
)
from experiments.run.runner import run_scenario, write_run
from model.scenario import load_scenario

EMPTY_BOOK = {
    "population.market_makers": 0,
    "population.noise": 0,
    "population.leveraged": 0,
    "population.momentum": 0,
    "population.arbitrageurs": 0,
    "population.whales": 0,
    "prices.latent_traders": 0,
    "duration": 20.0,
}


def _strict_json(text: str) -> dict:
    def refuse(name: str) -> float:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_summary_json_is_valid_json_with_null_and_a_reason_for_what_cannot_be_computed(tmp_path):
    result = run_scenario(load_scenario("calm", EMPTY_BOOK))
    assert math.isnan(result.summary["median_spread_bps"])  # nobody quotes: no spread at all
    write_run(result, tmp_path)
    summary = _strict_json((tmp_path / "summary.json").read_text())
    assert list(summary)[: len(SUMMARY_FIELDS)] == SUMMARY_FIELDS
    nulls = [k for k in SUMMARY_FIELDS if summary[k] is None]
    assert {"max_spread_bps", "median_spread_bps", "return_hill_2_5pct"} <= set(nulls)
    assert set(summary["null_reasons"]) == set(nulls)
    assert "no step had both a bid and an ask" in summary["null_reasons"]["median_spread_bps"]
    assert "one-step mid returns" in summary["null_reasons"]["return_hill_2_5pct"]


def test_summary_json_has_null_reasons_only_for_what_the_run_could_not_compute(tmp_path):
    # a calm run computes every market field; only the ratios of a socialised loss and the
    # measures of ADL fills are undefined without ADL, the book's share of liquidations and ADL /
    # liquidated without any liquidation, and the basis's recovery (0.5% and 1%) and the
    # crash's measures without a shock, and say so
    result = run_scenario(load_scenario("calm", {"population.leveraged": 20, "duration": 600.0}))
    write_run(result, tmp_path)
    summary = _strict_json((tmp_path / "summary.json").read_text())
    assert list(summary) == [*SUMMARY_FIELDS, "null_reasons"]
    assert summary["adl_count"] == 0 and summary["liquidations_count"] == 0
    nulls = {k for k in SUMMARY_FIELDS if summary[k] is None}
    assert nulls == {
        *ADL_RATIO_FIELDS,
        *EVENT_FIELDS,
        "liquidations_book_share",
        "adl_liquidation_ratio",
        *RECOVERY_BANDS,
        *CRASH_FIELDS,
        *OTHER_CONTRACT_FIELDS,  # one contract: nothing to compare with the first
    }
    assert set(summary["null_reasons"]) == nulls
    reasons = summary["null_reasons"]
    assert all("ADL did not fire" in reasons[k] for k in (*ADL_RATIO_FIELDS, *EVENT_FIELDS))
    assert "no position was liquidated" in reasons["liquidations_book_share"]
    assert "no position was liquidated" in reasons["adl_liquidation_ratio"]
    assert "no shock" in reasons["basis_recovery_seconds"]
    assert "within 1.0% of the index" in reasons["basis_within_1pct_seconds"]
    assert "no order-flow trigger" in reasons["trigger_notional"]
    assert "no trigger" in reasons["trigger_drawdown_pct"]


SMALL_RUN = ["--set", "population.leveraged=5", "--set", "duration=10", "--set", "index.shocks=[]"]


def test_run_refuses_an_earlier_result_unless_forced_and_force_leaves_no_stale_file(
    tmp_path, capsys
):
    out = tmp_path / "run"
    assert main(["run", *SMALL_RUN, "--out", str(out)]) == 0
    first = (out / "summary.json").read_text()
    capsys.readouterr()
    assert main(["run", *SMALL_RUN, "--seed", "2", "--no-plots", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {out}: is not empty")
    assert "pass --force" in err
    assert (out / "summary.json").read_text() == first  # untouched
    (out / "notes.txt").write_text("mine")
    code = main(["run", *SMALL_RUN, "--seed", "2", "--no-plots", "--force", "--out", str(out)])
    assert code == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 2
    assert not (out / "price.png").exists()  # the earlier run's plot does not go stale
    assert (out / "notes.txt").read_text() == "mine"  # what is not the run's is left alone


@pytest.mark.parametrize("command", ["run", "mc"])
def test_an_out_that_is_a_file_or_under_a_file_is_refused_before_anything_runs(
    tmp_path, capsys, command
):
    a_file = tmp_path / "results"
    a_file.write_text("not a directory")
    extra = ["--runs", "2", "--workers", "1"] if command == "mc" else []
    for out, message in (
        (a_file, f"--out {a_file}: is a file, not a directory"),
        (a_file / "sub", f"--out {a_file / 'sub'}: {a_file} is a file"),
    ):
        assert main([command, *SMALL_RUN, *extra, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {message}")
        assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert a_file.read_text() == "not a directory"


def test_an_unwritable_out_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the run started although --out cannot be written")

    monkeypatch.setattr(runner, "CascadeModel", no_model)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    target, where = locked / "run", locked
    if os.access(locked, os.W_OK):  # root ignores permission bits: /proc takes no new files
        if not Path("/proc/self").is_dir():
            pytest.skip("running as root without /proc: no unwritable directory to try")
        target, where = Path("/proc/cascade-test-run"), Path("/proc")
    try:
        assert main(["run", *SMALL_RUN, "--out", str(target)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: --out {target}: cannot write in {where} (")
        assert err.endswith("choose a writable directory\n")
        assert not target.exists()
    finally:
        locked.chmod(0o755)


def test_a_run_without_account_snapshots_has_the_same_results():
    scenario = load_scenario("flash-crash", {"population.leveraged": 60, "duration": 700.0})
    with_them = run_scenario(scenario, 3)
    without = run_scenario(scenario, 3, snapshots=False)
    assert len(with_them.accounts) > 0 and without.accounts.empty
    assert with_them.timeseries.equals(without.timeseries)
    assert with_them.events.equals(without.events)
    keep = [k for k in with_them.summary if k != "wall_seconds"]
    assert json.dumps({k: with_them.summary[k] for k in keep}, default=str) == json.dumps(
        {k: without.summary[k] for k in keep}, default=str
    )
