"""Returns at horizons: non-overlapping sums, pooled tails, perp/index volatility ratio."""

import numpy as np
import pandas as pd
import pytest

from experiments.reports.horizons import horizon_returns, horizon_table, load_series, main


def series(seed, perp_scale=1.0, n=4000):
    rng = np.random.default_rng(seed)
    index = 60_000.0 * np.exp(np.cumsum(rng.normal(0, 1e-4, n)))
    perp = index * np.exp(rng.normal(0, 1e-5, n) * perp_scale)
    return pd.DataFrame(
        {
            "time": np.arange(n, dtype=float),
            "index": index,
            "best_bid": perp - 0.05,
            "best_ask": perp + 0.05,
            "last": perp,
        }
    )


def test_horizon_returns_are_non_overlapping_sums_after_burn_in():
    prices = np.exp(np.arange(101, dtype=float) * 0.01)
    r = horizon_returns(prices, 10)
    assert len(r) == 9 and np.allclose(r, 0.1)  # 100 returns, 10 dropped, 9 blocks of 10


def test_gaussian_paths_pool_to_thin_tails_and_equal_volatility():
    table = horizon_table([series(s) for s in range(20)], (1, 60))
    one, minute = table.to_dict("records")
    assert one["runs"] == minute["runs"] == 20
    assert minute["returns"] == 20 * (3599 // 60)
    assert abs(one["excess kurtosis"]) < 0.3 and one["Hill 2.5%"] > 5.5
    assert minute["std perp / std index"] == pytest.approx(1.0, abs=0.02)


def test_missing_series_is_one_clear_error(tmp_path, capsys):
    with pytest.raises(ValueError, match="--keep-series"):
        load_series(tmp_path)
    assert main([str(tmp_path)]) == 2
    assert "--keep-series" in capsys.readouterr().err
