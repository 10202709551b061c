"""Where a cascade starts against more or fewer dip buyers (`experiments.batch.dip_buyers`)."""

from __future__ import annotations

import pytest

from experiments.batch.dip_buyers import main, run, table


@pytest.fixture(scope="module")
def runs():
    return run([1], [0, 5], share=0.4, duration=600.0, workers=1)


def test_one_row_per_seed_count_and_leverage(runs):
    assert len(runs) == 4
    assert set(runs["traders"]) == {0, 5} and set(runs["leverage"]) == {2.0, 25.0}


def test_dip_buyers_on_the_perpetual_soften_the_fall(runs):
    rows = table(runs).set_index("dip buyers")
    assert rows.loc[5, "fall 2x (%)"] < rows.loc[0, "fall 2x (%)"]
    assert rows.loc[0, "liquidated > trigger at 25x"] == 1.0  # without them the 25x crowd cascades
    assert (rows["fall 25x (%)"] > rows["fall 2x (%)"]).all()


def test_the_command_writes_its_table_and_plot_and_refuses_bad_input(tmp_path, capsys):
    out = tmp_path / "dip"
    assert main(["--counts", "0", "--seeds", "1", "--duration", "400", "--out", str(out)]) == 0
    assert (out / "runs.csv").exists() and (out / "dip_buyers.png").exists()
    assert "| dip buyers |" in capsys.readouterr().out
    for bad in (
        ["--counts", "a"],
        ["--counts", "-1"],
        ["--share", "0"],
        ["--duration", "100"],
        ["--seeds", "x"],
        ["--set", "no.such=1"],
    ):
        with pytest.raises(SystemExit):
            main(bad)
