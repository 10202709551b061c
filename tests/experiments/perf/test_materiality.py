"""How far a liquidation of a given size would walk the book (`experiments.perf.materiality`)."""

from __future__ import annotations

import math

import pytest

from experiments.perf import materiality


def test_a_larger_sell_walks_the_book_at_least_as_far_and_every_time_gets_a_row():
    rows = materiality.measure("calm", 1, [20.0, 40.0], [1e5, 1e6, 5e6], {"duration": 60.0})
    assert [row["time"] for row in rows] == [20.0, 40.0]
    for row in rows:
        walks = [row["0.1M walk (bps)"], row["1M walk (bps)"], row["5M walk (bps)"]]
        assert all(math.isnan(w) or w >= 0.0 for w in walks)
        finite = [w for w in walks if not math.isnan(w)]
        assert finite == sorted(finite) and finite
        assert row["mark sd (bps/s)"] >= 0.0
    assert materiality.table(rows)[0].startswith("| time | mark sd")


def test_times_after_the_end_give_no_rows_and_bad_input_is_a_usage_error(capsys):
    assert materiality.measure("calm", 1, [500.0], [1e6], {"duration": 30.0}) == []
    for argv in (["--notional", "ten"], ["--times", "-5"], ["--scenario", "nope"]):
        with pytest.raises(SystemExit) as stop:
            materiality.main(argv)
        assert stop.value.code == 2
    assert "error" in capsys.readouterr().err
