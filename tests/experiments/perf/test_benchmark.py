"""The speed benchmark's harness: cases run on a given source tree, the book replay reproduces
the model's book, and the comparison of summary distributions (no timing is asserted)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.perf import benchmark
from experiments.perf.equivalence import _holm, compare

ROOT = Path(__file__).resolve().parents[3]
SHORT = ["duration=60.0"]


def test_replaying_a_recorded_stream_rebuilds_the_models_book_through_either_door(tmp_path):
    stream = tmp_path / "stream.pkl"
    recorded = benchmark._run(ROOT, ["record", "calm", "3", str(stream), *SHORT])
    assert recorded["messages"] > 100 and recorded["resting"] > 0
    for door in ("internal", "public"):
        replayed = benchmark._run(ROOT, ["replay", str(stream), door])
        assert replayed["messages"] == recorded["messages"]
        for key in ("bids", "asks", "last", "resting"):
            assert replayed[key] == recorded[key], (door, key)


def test_a_model_case_reports_its_work_and_runs_the_tree_it_was_given(tmp_path):
    out = benchmark._run(ROOT, ["model", "calm", "1", *SHORT])
    assert out["steps"] == 60 and out["sim_seconds"] == 60.0
    assert out["agents"] > 50 and out["messages"] > 0 and out["peak_mb"] > 0
    assert out["source"].startswith(str(ROOT))
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    # a tree without the model would silently run the installed one: refused, not mismeasured
    with pytest.raises(RuntimeError, match="not the tree"):
        benchmark._run(elsewhere, ["model", "calm", "1", *SHORT])


def test_message_counting_wrappers_agree_with_the_books_own_counter():
    counted = benchmark._run(ROOT, ["count", "calm", "2", *SHORT])
    native = benchmark._run(ROOT, ["model", "calm", "2", *SHORT])
    # the wrappers count public calls only; the native counter also counts internal doors
    # (post, reduce), which the wrappers cannot see, so the native count is never smaller
    assert 0 < counted["messages"] <= native["messages"]


def test_unknown_cases_and_bad_repeats_are_refused(capsys):
    with pytest.raises(SystemExit):
        benchmark.main(["--cases", "nope"])
    assert "unknown case" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        benchmark.main(["--cases", "default", "--repeats", "0"])


def test_equal_samples_give_p_one_and_shifted_samples_are_caught():
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60), "seed": range(60)})
    same = compare(a, a.copy())
    assert set(same["field"]) == {"x", "y"}  # bookkeeping columns are left out
    assert (same[["ks_p", "mw_p", "ks_p_holm", "mw_p_holm"]] == 1.0).all().all()
    b = a.copy()
    b["x"] = b["x"] + 2.0
    shifted = compare(b, a).set_index("field")
    assert shifted.loc["x", "ks_p_holm"] < 1e-6 and shifted.loc["x", "mw_p_holm"] < 1e-6
    assert shifted.loc["y", "ks_p"] == 1.0


def test_holm_adjustment_is_monotone_and_capped():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    adjusted = _holm(p)
    assert adjusted.tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert json.dumps(adjusted.tolist())  # plain floats
