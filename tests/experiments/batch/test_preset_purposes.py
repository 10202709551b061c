"""The preset-purpose checks read a table of runs correctly (synthetic runs, no model)."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.batch import preset_purposes as pp


def runs(**changes: dict[int, dict[str, float]]) -> pd.DataFrame:
    """Ten seeds of every arm where each purpose holds, with ``changes[arm][seed]`` applied."""
    base = {
        "liquidations": 100,
        "adl": 10,
        "adl_long_bankrupt_share": 1.0,
        "largest_cascade": 20,
        "drawdown": 8.0,
        "runup": 8.0,
        "longs_after_trigger": 0,
        "shorts_after_trigger": 50,
        "btc_liquidations": 30,
    }
    worse = {
        "flash-crash off_book": {"drawdown": 6.0},
        "short-squeeze off_book": {"runup": 6.0},
        "cross-margin-contagion isolated": {"btc_liquidations": 2},
        "calm": {"liquidations": 0, "adl": 0},
        "no-leverage": {"liquidations": 0, "adl": 0},
    }
    rows = []
    for arm in pp.ARMS:
        for seed in range(10):
            row = {"arm": arm, "seed": seed, **base, **worse.get(arm, {})}
            row.update(changes.get(arm.replace(" ", "_").replace("-", "_"), {}).get(seed, {}))
            rows.append(row)
    return pd.DataFrame(rows)


def results(frame: pd.DataFrame) -> dict[str, tuple[float, str]]:
    return {row["target"]: (row["value"], row["result"]) for row in pp.checks(frame)}


def test_every_purpose_holds_on_runs_built_to_show_it():
    out = results(runs())
    assert len(out) == 9
    assert all(result == "hit" for _, result in out.values())


def test_a_check_misses_when_too_few_seeds_show_the_purpose():
    # off-book falls further on 3 of 10 seeds: the book deepens the fall on 0.7 < 0.8
    deeper = {seed: {"drawdown": 9.0} for seed in range(3)}
    out = results(runs(flash_crash_off_book=deeper))
    value, result = out["flash-crash: the book's orders deepen the fall (drawdown book > off_book)"]
    assert value == pytest.approx(0.7) and result == "miss"


def test_one_liquidation_in_calm_or_one_long_in_a_squeeze_is_a_miss():
    out = results(
        runs(calm={4: {"liquidations": 1}}, short_squeeze={0: {"longs_after_trigger": 1}})
    )
    assert out["calm: no liquidation and no ADL"] == (pytest.approx(0.9), "miss")
    assert out["short-squeeze: shorts liquidated, no long"][1] == "miss"
    assert out["no-leverage: no liquidation and no ADL"][1] == "hit"


def test_adl_on_the_wrong_side_and_no_contagion_are_misses():
    wrong = {seed: {"adl_long_bankrupt_share": 0.5} for seed in range(5)}
    flat = {seed: {"btc_liquidations": 1} for seed in range(10)}
    out = results(runs(oct_10_2025=wrong, cross_margin_contagion=flat))
    assert out["oct-10-2025: ≥ 90% of ADL fills close shorts (seeds with ADL)"] == (
        pytest.approx(0.5),
        "miss",
    )
    key = "cross-margin-contagion: more BTC liquidations with cross accounts than all isolated"
    assert out[key][1] == "miss"
    assert out["oct-10-2025: losses reach ADL"][1] == "hit"
