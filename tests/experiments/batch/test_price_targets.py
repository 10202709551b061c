"""The price-formation targets' experiment: arms, paired seeds, bands, hit or miss."""

import numpy as np
import pandas as pd
import pytest

from experiments.batch import price_targets as pt


def test_every_target_is_measured_on_paired_seeds_and_judged(tmp_path, capsys):
    assert (
        pt.main(["--seeds", "3,4", "--duration", "400", "--workers", "1", "--out", str(tmp_path)])
        == 0
    )
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 2 * len(pt.ARMS)  # every arm on every seed
    for _seed, group in runs.groupby("seed"):
        # one sell program per seed and size, whatever the leverage: the same trigger
        per_share = group[group["impact"] == "book"].groupby("share")["trigger"].nunique()
        assert (per_share == 1).all()
        assert group["trigger"].max() == pytest.approx(group["trigger"].min() * 8)  # 40% / 5%
    assert (runs["drawdown_pct"] > 0).all()  # a sell program moves the mark down
    table = (tmp_path / "targets.md").read_text()
    assert table.count("| hit |") + table.count("| miss |") == 5
    assert (tmp_path / "tipping.png").stat().st_size > 0
    assert "same trigger" in capsys.readouterr().out


def test_slopes_are_log_log_between_neighbouring_sizes():
    rows = [
        {"leverage": 2.0, "impact": "book", "share": s, "drawdown_pct": 3.0 * s}  # linear
        for s in pt.SHARES
    ] + [
        {"leverage": 25.0, "impact": "book", "share": s, "drawdown_pct": 10.0 * s**2}  # square
        for s in pt.SHARES
    ]
    runs = pd.DataFrame(rows)
    assert pt.tipping_slopes(runs, 2.0) == pytest.approx([1.0, 1.0, 1.0])
    assert pt.tipping_slopes(runs, 25.0) == pytest.approx([2.0, 2.0, 2.0])


def test_bootstrap_band_brackets_the_statistic_and_narrows_with_more_seeds():
    rng = np.random.default_rng(1)
    small, large = rng.normal(2.0, 1.0, 10), rng.normal(2.0, 1.0, 400)
    lo, hi = pt.bootstrap_band(small, np.median)
    assert lo <= np.median(small) <= hi
    lo2, hi2 = pt.bootstrap_band(large, np.median)
    assert hi2 - lo2 < hi - lo


def test_bad_seeds_and_a_run_too_short_for_the_trigger_are_refused(capsys):
    with pytest.raises(SystemExit):
        pt.main(["--seeds", "one,two"])
    assert "--seeds" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        pt.main(["--seeds", "1", "--duration", "300"])
    assert "--duration" in capsys.readouterr().err
