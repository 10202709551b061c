"""The summary of a run: every field present, return statistics measured on the mid."""

import numpy as np
import pandas as pd
import pytest

from experiments.metrics import SUMMARY_FIELDS, max_drawdown_pct, return_statistics
from experiments.stylized_facts import stylized_facts


def book_path(n=20_000, seed=3, df=None):
    rng = np.random.default_rng(seed)
    draws = rng.standard_t(df, n) if df else rng.standard_normal(n)
    mid = 60_000.0 * np.exp(np.cumsum(1e-4 * draws))
    return pd.DataFrame({"best_bid": mid - 0.05, "best_ask": mid + 0.05})


def test_return_statistics_are_the_stylized_facts_of_the_mid():
    ts = book_path()
    stats = return_statistics(ts)
    facts = stylized_facts(((ts["best_bid"] + ts["best_ask"]) / 2).to_numpy())
    assert stats["return_hill_2_5pct"] == pytest.approx(facts["hill_2.5pct"])
    assert stats["return_excess_kurtosis"] == pytest.approx(facts["excess_kurtosis"])
    assert stats["return_skewness"] == pytest.approx(facts["skewness"])
    assert stats["abs_return_acf_lag1"] == pytest.approx(facts["abs_acf_lag1"])


def test_gaussian_mid_has_thin_tails_and_student_t_fat_ones():
    gauss = return_statistics(book_path())
    fat = return_statistics(book_path(df=3))
    assert gauss["return_hill_2_5pct"] > 5.5  # spec: Gaussian ≈ 7.3 at 2.5%
    assert 2.0 < fat["return_hill_2_5pct"] < 4.0  # spec: Student-t(3) ≈ 2.8
    assert abs(gauss["return_excess_kurtosis"]) < 0.5


def test_a_book_that_never_had_both_sides_gives_nan():
    ts = pd.DataFrame({"best_bid": [np.nan] * 50, "best_ask": [60_000.0] * 50})
    assert all(np.isnan(v) for v in return_statistics(ts).values())


def test_max_drawdown_is_peak_to_trough_percent():
    assert max_drawdown_pct(pd.Series([100.0, 120.0, 90.0, 110.0, 60.0])) == pytest.approx(50.0)


def test_summary_fields_are_unique():
    assert len(SUMMARY_FIELDS) == len(set(SUMMARY_FIELDS))
