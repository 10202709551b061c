"""Returns at horizons: non-overlapping sums, pooled tails, perp/index volatility ratio."""

import numpy as np
import pandas as pd
import pytest

from experiments.reports.horizons import (
    bootstrap_bands,
    grouped_table,
    horizon_means,
    horizon_returns,
    horizon_table,
    load_series,
    main,
)


def frame(index, perp):
    """A kept time series: the index and a perpetual quoted 0.05 either side of ``perp``."""
    return pd.DataFrame(
        {
            "time": np.arange(len(index), dtype=float),
            "index": index,
            "best_bid": perp - 0.05,
            "best_ask": perp + 0.05,
            "last": perp,
        }
    )


def series(seed, perp_scale=1.0, n=4000):
    rng = np.random.default_rng(seed)
    index = 60_000.0 * np.exp(np.cumsum(rng.normal(0, 1e-4, n)))
    return frame(index, index * np.exp(rng.normal(0, 1e-5, n) * perp_scale))


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


def test_funds_at_cap_is_averaged_over_every_window_and_over_the_tail_windows():
    assert np.allclose(horizon_means(np.arange(101, dtype=float), 10), np.arange(9) * 10 + 14.5)
    runs = []
    for seed in range(10):
        ts = series(seed)
        rng = np.random.default_rng(100 + seed)
        # big one-minute moves exactly while the funds are at their cap
        at_cap = np.zeros(len(ts))
        for start in rng.choice(np.arange(400, 3900, 60), 3, replace=False):
            at_cap[start : start + 60] = 1.0
            ts.loc[start + 1 :, ["best_bid", "best_ask", "last", "index"]] *= 1.01
        ts["funds_at_cap"] = at_cap
        ts["fundamental"] = ts["last"] * np.where(at_cap > 0, 0.99, 1.01)  # dear while at cap
        runs.append(ts)
    minute = horizon_table(runs, (60,)).to_dict("records")[0]
    assert minute["funds at cap"] == pytest.approx(30 / minute["returns"])  # 30 windows at cap
    assert minute["funds at cap, tail"] == pytest.approx(1.0)  # every tail minute is one of them
    # the price is above value exactly in the at-cap windows
    assert minute["above value"] == pytest.approx(30 / minute["returns"])
    assert minute["above value, tail"] == pytest.approx(1.0)
    plain = horizon_table([series(s) for s in range(3)], (60,))
    assert "funds at cap" not in plain.columns  # runs without value funds


def test_missing_series_is_one_clear_error(tmp_path, capsys):
    with pytest.raises(ValueError, match="--keep-series"):
        load_series(tmp_path)
    assert main([str(tmp_path)]) == 2
    assert "--keep-series" in capsys.readouterr().err


def fake_sweep(tmp_path, scales):
    """A sweep directory: one kept series per run, the swept value in sweep.parquet."""
    rows = []
    for run, scale in enumerate(scales):
        path = tmp_path / "runs" / str(run)
        path.mkdir(parents=True)
        series(run, perp_scale=scale).to_parquet(path / "timeseries.parquet")
        rows.append({"run": run, "noise.scale": scale})
    pd.DataFrame(rows).to_parquet(tmp_path / "sweep.parquet")
    return tmp_path


def test_by_pools_each_grid_point_on_its_own(tmp_path, capsys):
    # two grid points: the perp's own noise is 1x or 300x the index's step; pooled together the
    # ratio would be neither, pooled per point each shows its own
    directory = fake_sweep(tmp_path, [1.0, 300.0] * 3)
    table = grouped_table(directory, "noise.scale", (60,))
    assert table["noise.scale"].tolist() == [1.0, 300.0]
    assert table["runs"].tolist() == [3, 3]
    quiet, loud = table["std perp / std index"].tolist()
    assert quiet == pytest.approx(1.0, abs=0.02) and loud > 1.5
    assert main([str(directory), "--by", "noise.scale", "--horizon", "60"]) == 0
    assert "noise.scale" in capsys.readouterr().out
    assert main([str(directory), "--by", "nope"]) == 2
    assert "swept settings" in capsys.readouterr().err


def test_by_twice_pools_each_combination(tmp_path, capsys):
    directory = fake_sweep(tmp_path, [1.0, 300.0] * 4)
    table = pd.read_parquet(directory / "sweep.parquet")
    table["venue.x"] = [0, 0, 1, 1, 0, 0, 1, 1]
    table.to_parquet(directory / "sweep.parquet")
    grouped = grouped_table(directory, ["noise.scale", "venue.x"], (60,))
    assert list(grouped.columns[:2]) == ["noise.scale", "venue.x"]
    assert list(zip(grouped["noise.scale"], grouped["venue.x"], strict=True)) == [
        (1.0, 0),
        (1.0, 1),
        (300.0, 0),
        (300.0, 1),
    ]
    assert grouped["runs"].tolist() == [2, 2, 2, 2]
    assert main([str(directory), "--by", "noise.scale", "--by", "venue.x"]) == 0
    assert "venue.x" in capsys.readouterr().out


def test_burn_in_drops_the_start_of_each_run(tmp_path, capsys):
    prices = np.exp(np.arange(1001, dtype=float) * 0.001)
    assert len(horizon_returns(prices, 10)) == 90  # the default drops 10%
    assert len(horizon_returns(prices, 10, burn_in=0.5)) == 50
    directory = fake_sweep(tmp_path, [1.0, 1.0])
    early = grouped_table(directory, "noise.scale", (60,))
    late = grouped_table(directory, "noise.scale", (60,), burn_in=0.5)
    assert late["returns"].iloc[0] < early["returns"].iloc[0]
    assert main([str(directory), "--burn-in", "0.5", "--horizon", "60"]) == 0
    assert main([str(directory), "--burn-in", "1.5"]) == 2
    assert "--burn-in" in capsys.readouterr().err


def test_plot_draws_each_tail_and_kurtosis_against_the_setting(tmp_path, capsys):
    from matplotlib.image import imread

    directory = fake_sweep(tmp_path / "sweep", [1.0, 300.0] * 2)
    png = tmp_path / "tails.png"
    assert main([str(directory), "--by", "noise.scale", "--plot", str(png)]) == 0
    assert f"wrote {png}" in capsys.readouterr().out
    image = imread(png)
    assert image.shape[0] > 300 and image.shape[1] > 800  # two panels side by side
    # a plot needs one setting to plot against
    for by in ([], ["--by", "noise.scale", "--by", "noise.scale"]):
        assert main([str(directory), *by, "--plot", str(tmp_path / "x.png")]) == 2
        assert "exactly one --by" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def skewed(seed, n=4000):
    """A run whose down moves are Student-t (3 degrees of freedom) and up moves Gaussian, both
    with unit scale: the down tail is the heavier."""
    rng = np.random.default_rng(seed)
    r = np.abs(rng.normal(0.0, 1.0, n))
    down = rng.random(n) < 0.5
    r[down] = -np.abs(rng.standard_t(3, down.sum()))
    price = 60_000.0 * np.exp(np.cumsum(r * 1e-4))
    return frame(price, price)


def test_bootstrap_bands_bracket_the_estimate_and_tell_which_tail_is_heavier():
    gaussian = horizon_table([series(s) for s in range(20)], (1,), bootstrap=200)
    row = gaussian.to_dict("records")[0]
    assert row["Hill 2.5% 5%"] < row["Hill 2.5%"] < row["Hill 2.5% 95%"]
    # level tails: the band of down − up holds 0, and neither tail wins every resample
    assert row["down − up 5%"] < 0.0 < row["down − up 95%"]
    assert 0.05 < row["down heavier"] < 0.95
    assert row["down − up"] == pytest.approx(row["Hill 2.5% down"] - row["Hill 2.5% up"])
    row = horizon_table([skewed(s) for s in range(20)], (1,), bootstrap=200).to_dict("records")[0]
    assert row["down − up 95%"] < 0.0 and row["down heavier"] == 1.0
    # the same resamples every time; without --bootstrap no band columns
    again = horizon_table([series(s) for s in range(20)], (1,), bootstrap=200)
    pd.testing.assert_frame_equal(gaussian, again)
    assert "Hill 2.5% 5%" not in horizon_table([series(0)], (1,)).columns
    with pytest.raises(ValueError, match="at least 1"):
        bootstrap_bands([np.ones(10)], 0)


def test_bands_narrow_with_more_runs():
    def width(runs):
        row = horizon_table([series(s) for s in range(runs)], (1,), bootstrap=200)
        return float(row["Hill 2.5% 95%"].iloc[0] - row["Hill 2.5% 5%"].iloc[0])

    assert width(40) < width(5)


def test_several_directories_pool_as_one_experiment(tmp_path, capsys):
    first = fake_sweep(tmp_path / "a", [1.0, 300.0] * 2)
    second = fake_sweep(tmp_path / "b", [1.0, 300.0] * 3)
    table = grouped_table([first, second], "noise.scale", (60,))
    assert table["runs"].tolist() == [5, 5]
    assert len(load_series([first, second])) == 10
    assert main([str(first), str(second), "--by", "noise.scale", "--bootstrap", "50"]) == 0
    out = capsys.readouterr().out
    assert "down heavier" in out and "Hill 2.5% 95%" in out
    assert main([str(first), "--bootstrap", "-1"]) == 2
    assert "--bootstrap" in capsys.readouterr().err
    assert main([str(first), str(tmp_path / "none"), "--by", "noise.scale"]) == 2
    assert "not a sweep" in capsys.readouterr().err
