"""The ADL policy study: every policy on the 2025-10-10 scenario, paired seeds, one table and one
plot, and the minimal policy never over-using ADL more than another (Chitra, arXiv 2512.01112)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.batch.sweep import sweep
from experiments.reports.adl_study import POLICY_KEY, minimal_is_least, paired_over_utilisation
from tests.conftest import OCT_10_BEFORE_CALIBRATION

POLICIES = ["bitmex", "binance", "pnl", "pro_rata", "haircut", "minimal"]
SMALL_OCT = {  # a crowd large enough to exhaust the vault, the shock 30 s in, 6 minutes
    # the makers told the value (the scripted baseline): the policies are compared on the same
    # losses, and the scripted fall exhausts the vault on every seed in 6 minutes
    "prices.makers_know_value": True,
    **OCT_10_BEFORE_CALIBRATION,
    "population.leveraged": 200,
    "population.noise": 20,
    "population.momentum": 10,
    "duration": 360.0,
    "index.shocks.0.start": 30.0,
}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("adl-study")
    frame = sweep("oct-10-2025", {POLICY_KEY: POLICIES}, 4, out, overrides=SMALL_OCT, workers=2)
    return frame, out


def test_minimal_over_utilisation_is_least_on_every_paired_seed(study):
    frame, _ = study
    assert (frame["status"] == "ok").all()
    # the venue's accounting: profit socialised over the shortfall it could not cover
    least = minimal_is_least(frame, field="adl_socialised_per_needed")
    assert len(least) == 4  # ADL was needed on every seed, so the ratio is defined
    assert least.all()
    table = paired_over_utilisation(frame, "adl_socialised_per_needed")
    # the queues close whole positions: they socialise more than was needed
    assert (table[["bitmex", "binance", "pnl", "pro_rata"]] > 1.0).all().all()


def test_chitras_over_utilisation_is_one_for_haircuts_and_measured_for_queues(study):
    frame, _ = study
    table = paired_over_utilisation(frame)  # Σ H / Σ B over ADL rounds
    # a haircut takes exactly the cash it is asked for: H = B
    assert np.allclose(table[["haircut", "minimal"]].to_numpy(), 1.0, rtol=1e-9)
    queues = table[["bitmex", "binance", "pnl", "pro_rata"]].to_numpy()
    assert np.isfinite(queues).all() and (queues > 0).all()


def test_haircut_policies_close_no_position(study):
    frame, _ = study
    cut = frame[frame[POLICY_KEY].isin(["haircut", "minimal"])]
    assert (cut["adl_notional"] == 0).all() and (cut["adl_accounts_hit"] > 0).all()
    share = frame["adl_largest_share"].astype(float)
    assert ((share > 0) & (share <= 1)).all()
    assert frame["adl_gini"].astype(float).between(0, 1).all()


def test_the_sweep_reports_one_policy_table_and_one_plot(study):
    _, out = study
    report = (out / "report.md").read_text()
    assert "## ADL policies (paired seeds)" in report
    for policy in POLICIES:
        assert f"| {policy} | 4 |" in report
    assert "on 4 of 4 paired seeds" in report
    assert (out / "adl_policies.png").stat().st_size > 0
    assert "![adl_policies](adl_policies.png)" in report


def test_minimal_is_least_flags_a_seed_where_another_policy_did_better():
    runs = pd.DataFrame(
        {
            "seed_index": [0, 0, 1, 1, 2, 2],
            POLICY_KEY: ["bitmex", "minimal"] * 3,
            "adl_over_utilisation": [9.0, 1.0, 0.5, 1.0, np.nan, 1.0],
        }
    )
    assert minimal_is_least(runs).tolist() == [True, False, True]
    rounding = runs.assign(adl_over_utilisation=[9.0, 1.0 + 2.2e-16, 1.0, 1.0, 1.0, 1.0 + 1e-9])
    assert minimal_is_least(rounding).tolist() == [True, True, False]


def test_a_policy_sweep_without_any_adl_reports_no_seed_instead_of_failing():
    runs = pd.DataFrame(
        {
            "seed_index": [0, 0, 1, 1],
            POLICY_KEY: ["binance", "minimal"] * 2,
            "adl_over_utilisation": [np.nan] * 4,  # nothing needed, nothing socialised
        }
    )
    assert minimal_is_least(runs).empty
    with pytest.raises(ValueError, match="no 'haircut' policy"):
        minimal_is_least(runs, "haircut")


def test_the_report_command_prints_the_table_and_writes_the_plot(tmp_path, capsys):
    from experiments.cli.main import main
    from experiments.reports.adl_study import STUDY_FIELDS

    runs = pd.DataFrame(
        {
            "status": "ok",
            "seed_index": [0, 0, 1, 1],
            POLICY_KEY: ["binance", "minimal"] * 2,
            **{field: [2.0, 1.0, 3.0, 1.0] for field in STUDY_FIELDS},
        }
    )
    runs.to_parquet(tmp_path / "sweep.parquet")
    plot = tmp_path / "policies.png"
    assert main(["report", "adl-study", str(tmp_path), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "| binance | 2 |" in out and "| minimal | 2 |" in out
    assert "on 2 of 2 paired seeds" in out
    assert plot.is_file()
    assert main(["report", "adl-study", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
