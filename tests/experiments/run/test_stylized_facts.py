"""The stylized-facts estimators recover known answers on synthetic data."""

import numpy as np
import pytest

from experiments.run.stylized_facts import (
    aggregate,
    autocorrelation,
    excess_kurtosis,
    hill_tail_index,
    log_returns,
    stylized_facts,
)


def test_hill_on_gaussian_matches_the_spec_reference_value():
    # validation.md: Gaussian data gives ≈ 7.3 at 2.5%.
    r = np.random.default_rng(1).normal(size=400_000)
    assert hill_tail_index(r, 0.025) == pytest.approx(7.3, abs=0.4)


def test_hill_on_student_t3_matches_the_spec_reference_value():
    # validation.md: a Student-t(3) tail gives ≈ 2.8 at 2.5%.
    r = np.random.default_rng(2).standard_t(3, size=400_000)
    assert hill_tail_index(r, 0.025) == pytest.approx(2.8, abs=0.3)


def test_hill_one_sided_sees_the_heavier_tail():
    rng = np.random.default_rng(3)
    r = np.concatenate([-rng.pareto(2.0, 50_000), rng.pareto(5.0, 50_000)])
    assert hill_tail_index(r, 0.025, "negative") < hill_tail_index(r, 0.025, "positive")


def test_hill_needs_enough_tail_points_and_valid_arguments():
    assert np.isnan(hill_tail_index(np.ones(50), 0.025))
    with pytest.raises(ValueError, match="fraction"):
        hill_tail_index(np.ones(10), 0.7)
    with pytest.raises(ValueError, match="tail"):
        hill_tail_index(np.ones(10), 0.1, "left")


def test_autocorrelation_of_ar1_decays_geometrically():
    rng = np.random.default_rng(4)
    x = np.zeros(200_000)
    for i in range(1, len(x)):
        x[i] = 0.5 * x[i - 1] + rng.normal()
    acf = autocorrelation(x, [1, 2, 3])
    assert acf == pytest.approx([0.5, 0.25, 0.125], abs=0.01)


def test_kurtosis_of_gaussian_is_near_zero_and_aggregation_sums_blocks():
    r = np.random.default_rng(5).normal(size=200_000)
    assert abs(excess_kurtosis(r)) < 0.05
    assert aggregate(np.arange(10.0), 3).tolist() == [3.0, 12.0, 21.0]


def test_log_returns_drop_burn_in_and_bridge_missing_prices():
    prices = [100.0] * 10 + [np.nan, 0.0, 110.0]
    r = log_returns(prices, burn_in=0.5)
    assert len(r) == len(prices) - 6 - 1
    assert np.isfinite(r).all()
    assert r.sum() == pytest.approx(np.log(1.1))


def test_stylized_facts_of_a_random_walk_look_gaussian():
    prices = 100 * np.exp(np.cumsum(np.random.default_rng(6).normal(0, 1e-3, 50_000)))
    facts = stylized_facts(prices)
    assert facts["hill_2.5pct"] > 5.5
    assert abs(facts["excess_kurtosis"]) < 0.2
    assert facts["max_abs_acf_lags_2_100"] < 0.05
