"""The ablation's tail report: which tail returns sit near liquidations, and which both arms share."""

import numpy as np
import pandas as pd
import pytest

from experiments.reports.tail_pairs import main, pair_table, summary, tail_times
from experiments.run.metrics import near, return_statistics

N = 4000
SPIKES = (1000.0, 2000.0, 3000.0)  # seconds at which the book arm's liquidations jump the price


def path(seed: int, spikes: tuple[float, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 1e-4, N)
    time = np.arange(N, dtype=float)
    for t in spikes:
        steps[int(t)] = -0.01  # a one-second fall a hundred times a normal step
    mid = 60_000.0 * np.exp(np.cumsum(steps))
    return pd.DataFrame({"time": time, "best_bid": mid - 0.05, "best_ask": mid + 0.05})


def write_sweep(tmp_path, seeds: int = 3, keep: bool = True):
    tmp_path.mkdir(parents=True, exist_ok=True)
    rows = []
    for arm, (impact, spikes) in enumerate((("book", SPIKES), ("off_book", ()))):
        for s in range(seeds):
            run = arm * seeds + s
            rows.append({"run": run, "seed_index": s, "venue.liquidation.impact": impact})
            if not keep:
                continue
            run_dir = tmp_path / "runs" / str(run)
            run_dir.mkdir(parents=True)
            path(s, spikes).to_parquet(run_dir / "timeseries.parquet")
            # both arms liquidate at the spikes; only the book arm's liquidations moved the price
            liq = pd.DataFrame({"kind": ["liquidation"] * len(SPIKES), "time": list(SPIKES)})
            pd.concat([liq, pd.DataFrame({"kind": ["adl"], "time": [5.0]})]).to_parquet(
                run_dir / "events.parquet"
            )
    pd.DataFrame(rows).to_parquet(tmp_path / "sweep.parquet")
    return tmp_path


def test_near_finds_events_within_the_window_on_either_side():
    times = np.array([0.0, 10.0, 20.0, 30.5])
    events = np.array([9.0, 21.0, 32.0])
    assert near(times, events, 1.0).tolist() == [False, True, True, False]
    assert near(times, np.array([]), 1.0).tolist() == [False] * 4


def test_the_hill_index_is_the_summary_fields():
    ts = path(4, SPIKES)
    assert tail_times(ts, 0.025, 0.1)[0] == return_statistics(ts)["return_hill_2_5pct"]


def test_liquidation_jumps_in_the_book_arm_are_its_tail_and_lower_its_hill(tmp_path):
    pairs = pair_table(write_sweep(tmp_path))
    assert len(pairs) == 3
    k = int(0.025 * (N - int(0.1 * N) - 1))
    assert (pairs["tail returns"] == k).all()
    # the three jumps are tail returns ending one second after each liquidation (an ordinary
    # tail return may sit next to a liquidation too, in both arms)
    assert (pairs["near a liquidation, book"] >= len(SPIKES)).all()
    assert (pairs["near a liquidation, book"] > pairs["near a liquidation, off_book"]).all()
    assert (pairs["hill book"] < pairs["hill off_book"]).all()
    # the rest of the paths are the same draws: the tails share all but the jumps' places
    assert np.allclose(pairs["shared with off_book"], (k - len(SPIKES)) / k)
    table = summary(pairs).set_index("")
    assert table.loc["seeds: off_book raises Hill / lowers it / same", "median"] == "3 / 0 / 0"


def test_identical_arms_share_their_whole_tail(tmp_path):
    write_sweep(tmp_path)
    for run in (3, 4, 5):  # give the off_book arm the book arm's path
        src = tmp_path / "runs" / str(run - 3) / "timeseries.parquet"
        (tmp_path / "runs" / str(run) / "timeseries.parquet").write_bytes(src.read_bytes())
    pairs = pair_table(tmp_path)
    assert (pairs["shared with off_book"] == 1.0).all()
    assert (pairs["hill book"] == pairs["hill off_book"]).all()
    table = summary(pairs).set_index("")
    assert table.loc["seeds: off_book raises Hill / lowers it / same", "median"] == "0 / 0 / 3"


def test_bad_directories_are_named(tmp_path):
    with pytest.raises(ValueError, match="not a sweep"):
        pair_table(tmp_path)
    pd.DataFrame({"run": [0], "seed_index": [0], "population.max_leverage": [5]}).to_parquet(
        tmp_path / "sweep.parquet"
    )
    with pytest.raises(ValueError, match=r"not a sweep over venue\.liquidation\.impact"):
        pair_table(tmp_path)
    pd.DataFrame({"run": [0], "seed_index": [0], "venue.liquidation.impact": ["book"]}).to_parquet(
        tmp_path / "sweep.parquet"
    )
    with pytest.raises(ValueError, match="no off_book arm"):
        pair_table(tmp_path)


def test_a_sweep_without_kept_series_asks_for_them(tmp_path):
    write_sweep(tmp_path, keep=False)
    with pytest.raises(ValueError, match="--keep-series"):
        pair_table(tmp_path)


def test_the_command_prints_the_table_and_refuses_bad_options(tmp_path, capsys):
    write_sweep(tmp_path)
    assert main([str(tmp_path), "--per-seed"]) == 0
    out = capsys.readouterr().out
    assert "| seeds: off_book raises Hill / lowers it / same | 3 / 0 / 0 |" in out
    assert "near a liquidation, book" in out
    assert main([str(tmp_path), "--fraction", "0.6"]) == 2
    assert "--fraction must lie in (0, 0.5)" in capsys.readouterr().err
    assert main([str(tmp_path), "--window", "-1"]) == 2
    assert main([str(tmp_path), "--burn-in", "1"]) == 2
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "not a sweep" in capsys.readouterr().err


def test_several_sweeps_print_one_block_each_and_plot_every_pair(tmp_path, capsys):
    first, second = write_sweep(tmp_path / "a"), write_sweep(tmp_path / "b", seeds=2)
    plot = tmp_path / "pairs.png"
    assert main([str(first), str(second), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert f"## {first}" in out and f"## {second}" in out
    assert "| seeds: off_book raises Hill / lowers it / same | 2 / 0 / 0 |" in out
    assert plot.stat().st_size > 10_000 and plot.read_bytes()[:4] == b"\x89PNG"
