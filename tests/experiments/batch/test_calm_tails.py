"""Target 6 (leverage fattens calm tails through liquidations): what each statistic reads."""

import numpy as np
import pandas as pd
import pytest

from experiments.batch import calm_tails as ct
from experiments.batch import preregistered

SEEDS, MINUTES = 20, 400


@pytest.fixture(autouse=True)
def few_resamples(monkeypatch):
    # the bands' resamples: enough to order them, few enough to keep the file fast
    monkeypatch.setattr(preregistered, "RESAMPLES", 200)


def pareto_returns(rng, down, up, shape=(SEEDS, MINUTES)):
    """Returns whose negative tail has index ``down`` and positive tail index ``up`` (Pareto
    sizes above 1, each sign half the time)."""
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    alpha = np.where(sign < 0, down, up)
    return sign * (1.0 - rng.random(shape)) ** (-1.0 / alpha) * 1e-3


def test_student_t_returns_give_a_hill_index_near_their_tail_index():
    rng = np.random.default_rng(1)
    none = np.zeros((SEEDS, 2000))
    for df in (3.0, 4.0):
        r = rng.standard_t(df, (SEEDS, 2000))
        assert ct.hill()(r, none) == pytest.approx(df, rel=0.15)
        assert ct.hill("negative")(r, none) == pytest.approx(df, rel=0.2)
        assert ct.hill("positive")(r, none) == pytest.approx(df, rel=0.2)
    gaussian = ct.hill()(rng.normal(size=(SEEDS, 2000)), none)
    assert gaussian > 5.5  # thin: far above a Student-t(3)'s


def test_a_heavier_negative_tail_has_the_lower_hill_index():
    rng = np.random.default_rng(2)
    skewed = pareto_returns(rng, down=2.5, up=6.0)
    none = np.zeros_like(skewed)
    assert ct.hill("negative")(skewed, none) == pytest.approx(2.5, rel=0.2)
    assert ct.hill("positive")(skewed, none) == pytest.approx(6.0, rel=0.2)
    assert ct.asymmetry(skewed, none) < -2.0
    assert ct.asymmetry(-skewed, none) > 2.0


def test_liquidation_rate_of_the_tail_minutes_against_all_minutes():
    # 400 minutes: the Hill index's tail is the k = 10 largest |r|; 5 events in 5 of those
    # minutes and 5 in 5 others: 0.5 per tail minute against 10/400 per minute, a ratio of 20
    r = np.full(400, 1e-4)
    r[::2] *= -1.0
    tail = np.arange(10) * 37 + 3
    r[tail] = np.linspace(-5e-3, 5e-3, 10)  # large in size, of both signs
    liquidations = np.zeros(400)
    liquidations[tail[:5]] = 1.0
    liquidations[[0, 100, 200, 301, 399]] = 1.0
    assert ct.tail_rate_ratio(r, liquidations) == pytest.approx(20.0)
    # events in the other minutes only: a ratio of 0; one every minute: 1; none at all: none
    assert ct.tail_rate_ratio(r, liquidations * ~np.isin(np.arange(400), tail)) == 0.0
    assert ct.tail_rate_ratio(r, np.ones(400)) == pytest.approx(1.0)
    assert np.isnan(ct.tail_rate_ratio(r, np.zeros(400)))


def test_minutes_start_after_the_burn_in_and_own_the_liquidations_of_their_seconds():
    time = np.arange(1.0, 421.0)  # rows at the end of each one-second step
    mark = 60_000.0 * np.exp(1e-4 * time)
    mark[359:] *= 0.99  # a 1% fall in the step ending at 360 s, the first minute's last
    long = np.zeros(420)
    short = np.zeros(420)
    for second, n in ((300, 7), (301, 1), (360, 2), (361, 4), (420, 1)):
        (long if n % 2 else short)[int(second) - 1] = n
    ts = pd.DataFrame(
        {"time": time, "mark": mark, "liq_count_long": long, "liq_count_short": short}
    )
    returns, events = ct.minute_series(ts, burn_in=300.0)
    assert len(returns) == len(events) == 2  # 300–360 and 360–420
    assert returns[0] == pytest.approx(60 * 1e-4 + np.log(0.99))
    assert returns[1] == pytest.approx(60 * 1e-4)
    # 300 s belongs to the burn-in; 301 and 360 to the first minute; 361 and 420 to the second
    assert events.tolist() == [3.0, 5.0]


def sweep(rng, hills, down_at_20=None, liquidate=True):
    """Caps × seeds × minutes returns whose tail index is ``hills`` per cap (both tails, or at
    20x a heavier negative one of ``down_at_20``), and liquidation events that come in the
    tail minutes (``liquidate``) or nowhere."""
    returns = np.stack(
        [
            pareto_returns(rng, down_at_20 if (cap == 20.0 and down_at_20) else a, a)
            for cap, a in zip(ct.CAPS, hills, strict=True)
        ]
    )
    size = np.abs(returns)
    cut = np.quantile(size.reshape(len(ct.CAPS), -1), 0.975, axis=1)[:, None, None]
    events = (size >= cut) * 2.0 + (rng.random(returns.shape) < 0.02)
    return returns, events * liquidate


def test_every_part_of_the_target_hits_when_the_series_says_so_and_misses_otherwise():
    rng = np.random.default_rng(3)
    falling = (9.0, 7.0, 5.5, 4.5, 3.5, 3.0, 2.5)
    returns, events = sweep(rng, falling, down_at_20=2.5)
    rows = ct.targets(list(ct.CAPS), returns, events)
    assert [r["result"] for r in rows] == ["hit"] * 4
    rho, hill, gap, rate = rows
    assert rho["value"] == pytest.approx(-1.0)
    assert rho["band 95%"] <= -0.8
    assert 2.5 < hill["value"] < 3.6 and hill["band 5%"] < hill["value"] < hill["band 95%"]
    assert gap["value"] < 0 and gap["band 95%"] < 0
    assert rate["value"] > 10

    # Hill rising with the cap, out of range, the up tail the heavier, no liquidation: all miss
    rising = tuple(reversed(falling))
    returns, events = sweep(rng, rising, down_at_20=9.0, liquidate=False)
    rows = ct.targets(list(ct.CAPS), returns, events)
    assert [r["result"] for r in rows] == ["miss"] * 4
    assert rows[0]["value"] == pytest.approx(1.0)
    assert np.isnan(rows[3]["value"])


def test_per_cap_table_and_the_round_trip_through_the_minutes_table(tmp_path):
    rng = np.random.default_rng(4)
    returns, events = sweep(rng, (9.0, 7.0, 5.5, 4.5, 3.5, 3.0, 2.5))
    minutes = pd.DataFrame(
        [
            {"cap": cap, "seed": 100 + s, "minute": m, "return": returns[c, s, m]}
            | {"liquidations": events[c, s, m]}
            for c, cap in enumerate(ct.CAPS)
            for s in range(3)
            for m in range(MINUTES)
        ]
    )
    caps, r, liq = ct.arrays(minutes)
    assert caps == list(ct.CAPS)
    np.testing.assert_array_equal(r, returns[:, :3])
    np.testing.assert_array_equal(liq, events[:, :3])
    table = ct.per_cap(caps, r, liq)
    assert table["cap"].tolist() == list(ct.CAPS)
    assert (table["minutes"] == 3 * MINUTES).all()
    assert table["liquidations"].tolist() == pytest.approx(liq.sum(axis=(1, 2)).tolist())
    assert table["Hill"].iloc[0] > table["Hill"].iloc[-1]
    assert (table["Hill 5%"] <= table["Hill 95%"]).all()
    assert ct.plot(table, tmp_path / "hill.png").stat().st_size > 0


def test_one_short_model_run_gives_its_minutes():
    sc = ct.scenario(20.0, "flow", duration=120.0)
    assert sc.population.max_leverage == 20.0 and not sc.prices.makers_know_value
    assert sc.duration == ct.BURN_IN + 120.0
    cap, seed, returns, events = ct.run_minutes((20.0, 1, sc))
    assert (cap, seed) == (20.0, 1)
    assert len(returns) == len(events) == 2
    assert np.all(np.isfinite(returns)) and np.all(events >= 0)


def test_bad_arguments_are_refused(capsys):
    with pytest.raises(SystemExit):
        ct.main(["--seeds", "one"])
    assert "--seeds" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ct.main(["--seeds", "1", "--set", "population.max_leverage=3"])
    assert "population.max_leverage" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ct.main(["--seeds", "1", "--duration", "10"])
    assert "--duration" in capsys.readouterr().err
