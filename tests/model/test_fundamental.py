"""The index process: GBM statistics, shocks, jumps, replay and seeding."""

import math

import numpy as np
import pytest

from model.fundamental import FundamentalValue, Shock, load_replay


def _run(process, steps, dt=1.0):
    return np.array([process.step(t * dt, dt) for t in range(steps)])


def test_same_seed_same_path_and_different_seed_differs():
    def make(seed):
        return FundamentalValue(
            np.array([100.0]), np.array([1e-3]), rng=np.random.default_rng(seed)
        )

    assert np.array_equal(_run(make(1), 50), _run(make(1), 50))
    assert not np.array_equal(_run(make(1), 50), _run(make(2), 50))


def test_gbm_log_return_volatility_and_correlation():
    vol = 2e-3
    process = FundamentalValue(
        np.array([100.0, 50.0]), np.array([vol, vol]), 0.8, rng=np.random.default_rng(7)
    )
    path = _run(process, 20_000)
    rets = np.diff(np.log(path), axis=0)
    assert rets.std(axis=0) == pytest.approx([vol, vol], rel=0.03)
    assert np.corrcoef(rets.T)[0, 1] == pytest.approx(0.8, abs=0.02)


def test_shock_moves_the_index_by_its_total_over_its_window():
    process = FundamentalValue(
        np.array([100.0, 100.0]),
        np.array([0.0, 0.0]),
        shocks=[Shock(start=10.0, duration=20.0, change_pct=-7.0, contracts=[0])],
        rng=np.random.default_rng(0),
    )
    path = _run(process, 60)
    assert path[9, 0] == pytest.approx(100.0)  # before the shock (step ending at t=10)
    assert path[19, 0] == pytest.approx(100.0 * math.sqrt(0.93))  # halfway
    assert path[-1, 0] == pytest.approx(93.0)
    assert path[-1, 1] == pytest.approx(100.0)  # the other contract is untouched


def test_jumps_happen_at_their_intensity():
    process = FundamentalValue(
        np.array([100.0]),
        np.array([0.0]),
        jump_intensity=0.01,
        jump_mean=-0.01,
        rng=np.random.default_rng(3),
    )
    path = _run(process, 10_000)
    jumps = np.sum(np.abs(np.diff(np.log(path[:, 0]))) > 1e-12)
    assert 70 <= jumps <= 130


def test_replay_interpolates_the_csv(tmp_path):
    csv = tmp_path / "btc.csv"
    csv.write_text("time,btc\n0,100\n10,110\n20,90\n")
    process = FundamentalValue(np.array([100.0]), np.array([0.5]), replay=csv)
    path = _run(process, 20)
    assert path[4, 0] == pytest.approx(105.0)  # t = 5
    assert path[14, 0] == pytest.approx(100.0)  # t = 15
    assert path[-1, 0] == pytest.approx(90.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t,btc\n0,1\n1,2\n", "'time' column"),
        ("time,btc,eth\n0,1,1\n1,2,2\n", "2 price columns"),
        ("time,btc\n0,1\n0,2\n", "strictly increasing"),
        ("time,btc\n0,1\n1,-2\n", "allowed: prices > 0"),
    ],
)
def test_bad_replay_files_are_named_in_the_error(tmp_path, text, message):
    csv = tmp_path / "bad.csv"
    csv.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_replay(csv, 1)


def test_missing_replay_file():
    with pytest.raises(ValueError, match="does not exist"):
        load_replay("/nonexistent.csv", 1)


def test_shock_on_unknown_contract_is_rejected():
    with pytest.raises(ValueError, match="shock contract 3"):
        FundamentalValue(np.array([1.0]), np.array([0.0]), shocks=[Shock(0, 1, -5, [3])])
