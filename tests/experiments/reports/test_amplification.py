"""Paired amplification: book / off_book per seed, its median, band and the share of seeds."""

import pandas as pd
import pytest

from experiments.reports.amplification import IMPACT_KEY, amplification_section, amplification_table


def runs(book, off):
    rows = [
        {"seed_index": i, IMPACT_KEY: mode, "max_drawdown_pct": value}
        for mode, values in (("book", book), ("off_book", off))
        for i, value in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_ratio_is_taken_per_seed_not_of_medians():
    table = amplification_table(runs([2.0, 9.0, 4.0], [1.0, 3.0, 4.0]), ("max_drawdown_pct",))
    (row,) = table.to_dict("records")
    assert row["seeds"] == 3
    assert row["median ratio"] == pytest.approx(2.0)  # ratios 2, 3, 1
    assert row["ratio 5%"] == pytest.approx(1.1) and row["ratio 95%"] == pytest.approx(2.9)
    assert row["book larger"] == pytest.approx(2 / 3)
    assert row["median book"] == 4.0 and row["median off_book"] == 3.0


def test_seeds_missing_a_mode_and_zero_denominators_are_left_out():
    frame = runs([2.0, 5.0, 6.0], [0.0, 2.5, 3.0]).drop(index=5)  # seed 2 lacks off_book
    (row,) = amplification_table(frame, ("max_drawdown_pct",)).to_dict("records")
    assert row["seeds"] == 2
    assert row["median ratio"] == pytest.approx(2.0)  # seed 0 (off_book 0) has no ratio


def test_the_sweep_report_gets_the_section_only_for_an_impact_sweep():
    frame = runs([2.0], [1.0])
    assert amplification_section(frame, [IMPACT_KEY])[0].startswith("## Amplification")
    assert amplification_section(frame, ["population.max_leverage"]) == []
