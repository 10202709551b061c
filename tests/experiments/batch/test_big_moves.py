"""Target 7: are the largest one-second drops the ones with liquidations?"""

import numpy as np
import pandas as pd
import pytest

from experiments.batch import big_moves as bm


def test_a_drop_counts_when_a_liquidation_is_in_its_second_or_the_two_before():
    mark = np.full(101, 60_000.0)
    drops = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]  # the step ending at time t falls
    for rank, t in enumerate(drops):
        mark[t:] *= 1.0 - 0.001 * (rank + 1)
    ts = pd.DataFrame({"time": np.arange(101.0), "mark": mark})
    # liquidations 0, 1 and 2 s before the ends of three drops; one 4 s before a fourth
    liquidations = np.array([10.0, 19.0, 28.0, 36.0])
    assert bm.drops_with_liquidations(ts, liquidations) == 3
    assert bm.drops_with_liquidations(ts, np.array([])) == 0


def test_targets_pool_the_drops_over_seeds():
    runs = pd.DataFrame(
        {
            "setting": ["flash-crash"] * 2 + ["calm 25x"] * 2,
            "seed": [1, 2, 1, 2],
            "hits": [9, 8, 0, 1],
            "liquidated": 0.0,
        }
    )
    rows = {r["target"]: r for r in bm.targets(runs)}
    crash = rows["7 big drops with a liquidation: flash-crash"]
    assert crash["value"] == pytest.approx(0.85) and crash["result"] == "hit"
    calm = rows["7 big drops with a liquidation: calm 25x"]
    assert calm["value"] == pytest.approx(0.05) and calm["result"] == "miss"


def test_bad_seeds_are_refused(capsys):
    with pytest.raises(SystemExit):
        bm.main(["--seeds", "x"])
    assert "--seeds" in capsys.readouterr().err
