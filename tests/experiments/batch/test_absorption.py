"""Who took the other side of a sell program (`experiments.batch.absorption`)."""

from __future__ import annotations

import pytest

from experiments.batch import price_targets as pt
from experiments.batch.absorption import UNATTRIBUTED, VENUE, absorption, main


@pytest.fixture(scope="module")
def rows():
    return absorption(pt.LOW, 0.4, seed=1, at=[pt.TRIGGER_START + 60.0])


def test_every_fill_has_two_sides_and_every_holding_an_owner(rows):
    by_kind = rows.set_index("kind")
    assert rows["perp (M USDT)"].sum() == pytest.approx(0.0, abs=1e-6)
    assert rows["spot (M USDT)"].sum() == pytest.approx(0.0, abs=1e-6)
    assert by_kind.loc[UNATTRIBUTED, "perp (M USDT)"] == pytest.approx(0.0, abs=1e-6)
    assert by_kind.loc[UNATTRIBUTED, "spot (M USDT)"] == pytest.approx(0.0, abs=1e-6)
    assert VENUE in by_kind.index  # a row even where the venue took nothing over


def test_the_program_sold_its_notional_and_someone_bought_it(rows):
    by_kind = rows.set_index("kind")
    trigger = float(rows["trigger (M USDT)"].iloc[0])
    assert by_kind.loc["flow", "perp (M USDT)"] == pytest.approx(-trigger, rel=0.05)
    # a program of 40% of open interest runs through the arbitrageurs into the latent book;
    # the arbitrageurs hedge by selling spot, which the informed traders buy
    assert by_kind.loc["arbitrageur", "perp (M USDT)"] > 0
    assert by_kind.loc["arbitrageur", "spot (M USDT)"] < 0
    assert by_kind.loc["spot_value", "spot (M USDT)"] > 0
    assert by_kind.loc["latent_liquidity", "perp (M USDT)"] > 0
    assert (rows["fall (%)"] > 0).all()


def test_a_kind_that_did_not_trade_counts_as_zero(rows):
    """Every kind has a row, so that medians over seeds count the seeds where it did nothing."""
    assert (rows.groupby("kind").size() == 1).all()
    kinds = {"arbitrageur", "carry", "flow", "latent_liquidity", "market_maker", "spot_maker"}
    assert kinds | {"spot_noise", "spot_value", "whale", VENUE, UNATTRIBUTED} <= set(rows["kind"])
    still = rows[(rows["perp (M USDT)"] == 0) & (rows["spot (M USDT)"] == 0)]
    assert len(still)  # on this seed the carry traders, whales and the venue took no part


def test_the_command_prints_a_table_and_refuses_bad_input(capsys):
    assert main(["--share", "0.05", "--at", "60"]) == 0
    out = capsys.readouterr().out
    assert "| seconds after start | kind |" in out and "median fall of the mark" in out
    for bad in (
        ["--share", "2"],
        ["--seeds", "one"],
        ["--seeds", "-1"],
        ["--at", "30,-10"],
        ["--at", "0"],
        ["--at", "soon"],
        ["--set", "no.such.setting=1"],
        ["--set", "missing-equals"],
    ):
        with pytest.raises(SystemExit):
            main(bad)
