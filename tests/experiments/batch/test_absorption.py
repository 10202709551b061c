"""Who took the other side of a sell program (`experiments.batch.absorption`)."""

from __future__ import annotations

import pytest

from experiments.batch import price_targets as pt
from experiments.batch.absorption import absorption, main


@pytest.fixture(scope="module")
def rows():
    return absorption(pt.LOW, 0.4, seed=1, at=[pt.TRIGGER_START + 60.0])


def test_every_fill_has_two_sides(rows):
    assert rows["perp (M USDT)"].sum() == pytest.approx(0.0, abs=1e-6)
    assert rows["spot (M USDT)"].sum() == pytest.approx(0.0, abs=1e-6)


def test_the_program_sold_its_notional_and_someone_bought_it(rows):
    by_kind = rows.set_index("kind")
    trigger = float(rows["trigger (M USDT)"].iloc[0])
    assert by_kind.loc["flow", "perp (M USDT)"] == pytest.approx(-trigger, rel=0.05)
    # a program of 40% of open interest runs through the arbitrageurs into the latent book
    assert by_kind.loc["arbitrageur", "perp (M USDT)"] > 0
    assert by_kind.loc["latent_liquidity", "perp (M USDT)"] > 0
    assert (rows["fall (%)"] > 0).all()


def test_the_command_prints_a_table_and_refuses_bad_input(capsys):
    assert main(["--share", "0.05", "--at", "60"]) == 0
    out = capsys.readouterr().out
    assert "| seconds after start | kind |" in out and "median fall of the mark" in out
    with pytest.raises(SystemExit):
        main(["--share", "2"])
    with pytest.raises(SystemExit):
        main(["--seeds", "one"])
