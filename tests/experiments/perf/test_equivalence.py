"""`experiments.perf.equivalence`: summary distributions of two ways to run the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.perf import equivalence as eq


def test_identical_runs_give_p_one_and_shifted_ones_small_p():
    rng = np.random.default_rng(1)
    before = pd.DataFrame({"same": rng.normal(size=40), "shifted": rng.normal(size=40)})
    after = pd.DataFrame({"same": before["same"], "shifted": before["shifted"] + 3.0})
    table = eq.compare(after, before).set_index("field")
    assert table.loc["same", "ks_p"] == 1.0 and table.loc["same", "mw_p_holm"] == 1.0
    assert table.loc["shifted", "mw_p_holm"] < 1e-6
    text = eq.to_markdown(table.reset_index(), "calm", 40, "`abc`")
    assert "1 with a raw p < 0.05" in text and "1 after Holm's correction" in text


def test_settings_against_this_tree_run_both_arms_with_the_common_settings():
    after, before = eq.run_settings(
        "calm",
        5,
        {"stepping.policy": "adaptive"},
        {"duration": 120.0, "population.leveraged": 50},
    )
    assert len(after) == len(before) == 5
    assert (after["steps"] < before["steps"]).all()  # adaptive steps: fewer of them
    assert (before["steps"] == 120).all()


def test_a_held_out_range_of_seeds_starts_where_it_is_told(capsys):
    after, before = eq.run_settings(
        "calm", 5, {"stepping.policy": "adaptive"}, {"duration": 30.0}, first=101
    )
    assert sorted(after["seed"]) == sorted(before["seed"]) == [101, 102, 103, 104, 105]
    rng = np.random.default_rng(2)
    sample = pd.DataFrame({"x": rng.normal(size=40)})
    table = eq.compare(sample, sample)
    assert "seeds 101–140" in eq.to_markdown(table, "calm", 40, "itself", first=101)


def test_the_command_wants_one_thing_to_compare(capsys):
    with pytest.raises(SystemExit):
        eq.main(["--seeds", "5"])
    assert "--against REV or --with" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        eq.main(["--seeds", "5", "--with", "stepping.max_step=-1"])
    assert "max_step" in capsys.readouterr().err
