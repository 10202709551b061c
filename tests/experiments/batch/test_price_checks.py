"""The flow mode's calm and news checks: what each measure reads from a run."""

import numpy as np
import pandas as pd
import pytest

from experiments.batch import price_checks as pc


def series(mark: np.ndarray, value: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"time": np.arange(1.0, len(mark) + 1.0), "mark": mark, "fundamental": value}
    )


def test_a_mark_that_is_the_value_scores_one_and_no_gap():
    rng = np.random.default_rng(1)
    value = 60_000.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-4, 3600)))
    measures = pc.calm_measures(series(value, value))
    assert measures["1-min std / value's"] == pytest.approx(1.0)
    assert measures["5-min std / value's"] == pytest.approx(1.0)
    assert measures["gap sd (bps)"] == pytest.approx(0.0, abs=1e-9)
    # a random walk: 10-minute variance is ten 1-minute variances (within sampling error)
    assert 0.4 < measures["variance ratio 10/1 min"] < 2.0


def test_a_mark_that_lags_the_value_shows_as_less_volatility_and_a_gap():
    rng = np.random.default_rng(2)
    value = 60_000.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-4, 3600)))
    lagged = pd.Series(value).ewm(halflife=120.0).mean().to_numpy()  # two minutes behind
    measures = pc.calm_measures(series(lagged, value))
    assert measures["1-min std / value's"] < 0.8
    assert measures["gap sd (bps)"] > 1.0


def test_news_share_is_the_part_of_the_value_drop_the_mark_has_made():
    n = int(pc.NEWS_SECONDS)
    value = np.full(n, 60_000.0)
    value[int(pc.NEWS_AT) :] *= 0.95
    mark = np.full(n, 60_000.0)
    five = int(pc.NEWS_AT) + 300
    mark[int(pc.NEWS_AT) : five] *= 0.99
    mark[five - 1 :] = 60_000.0 * 0.95**0.5  # half the drop (in logs) by five minutes
    measures = pc.news_measures(series(mark, value))
    assert measures["news in price at 5 min"] == pytest.approx(0.5)
    assert measures["news in price at 20 min"] == pytest.approx(0.5)


def test_bad_arguments_are_refused(capsys):
    with pytest.raises(SystemExit):
        pc.main(["--impact", "ten"])
    with pytest.raises(SystemExit):
        pc.main(["--set", "prices.impact_bps=-1"])
    assert "impact" in capsys.readouterr().err
