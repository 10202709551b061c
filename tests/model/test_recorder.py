"""What a run records: per-step market measures and sparse per-position snapshots."""

import numpy as np
import pytest

from model.risk import assess
from model.scenario import load_scenario
from model.simulation import CascadeModel

SMALL = {
    "population.leveraged": 40,
    "population.noise": 10,
    "population.momentum": 5,
    "duration": 60.0,
    "index.shocks": [],  # a shortened preset: its shock would fall after the end
    # one-second steps: a snapshot is taken at the end of the step that reaches its time, and
    # adaptive steps of up to 30 s would reach every third
    "stepping.policy": "fixed",
}


@pytest.fixture(scope="module")
def model():
    m = CascadeModel(load_scenario("flash-crash", SMALL))
    m.run()
    return m


def test_snapshots_every_ten_seconds_cover_every_open_position(model):
    frame = model.accounts_frame()
    assert sorted(frame["time"].unique()) == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    last = frame[frame["time"] == 60.0]
    rows, cols = np.nonzero(model.ledger.lots)
    assert sorted(zip(last["account"], last["contract"], strict=True)) == sorted(
        zip(rows.tolist(), cols.tolist(), strict=True)
    )
    assert {"leveraged", "whale", "market_maker", "carry"} <= set(frame["kind"])


def test_snapshot_margin_ratio_is_mm_over_the_pool_balance(model):
    last = model.accounts_frame().query("time == 60.0")
    risk = assess(model.ledger, model.mark)
    for row in last.itertuples():
        if row.kind == "insurance_fund":
            continue
        if row.isolated:
            mm = risk.maintenance[row.account, row.contract]
            balance = risk.iso_equity[row.account, row.contract]
        else:
            mm = risk.cross_maintenance[row.account]
            balance = risk.cross_equity[row.account]
        assert row.equity == pytest.approx(balance)
        assert row.margin_ratio == pytest.approx(mm / balance)


def test_snapshot_adl_lights_are_the_queue_quintiles(model):
    last = model.accounts_frame().query("time == 60.0 and kind != 'insurance_fund'")
    adl = model.liquidator.adl
    for side in (1, -1):
        accounts, lights = adl.lights(0, side, model.mark)
        expected = dict(zip(accounts.tolist(), lights.tolist(), strict=True))
        recorded = last[last["side"] == side].set_index("account")["adl_lights"].to_dict()
        assert recorded == expected
    assert set(last["adl_lights"]) <= {1, 2, 3, 4, 5}


def test_margin_ratio_of_every_account_is_exposed(model):
    assert model.margin_ratio.shape == (model.ledger.n_accounts,)
    assert np.all(model.margin_ratio[model.ledger.system] == 0.0)


def test_snapshots_can_be_switched_off():
    m = CascadeModel(load_scenario("calm", {**SMALL, "account_snapshot_every": 0.0}))
    m.run()
    frame = m.accounts_frame()
    assert frame.empty
    assert "margin_ratio" in frame.columns and "adl_lights" in frame.columns
