"""Slow statistical checks behind the README's claims (``make test-slow``; not in ``make test``)."""

import numpy as np
import pytest

from experiments.batch.sweep import sweep
from experiments.reports.amplification import paired
from experiments.run.runner import run_scenario
from model.scenario import load_scenario

pytestmark = pytest.mark.slow

# The scripted baseline (makers told the value): the null model, the one-second tails against
# leverage, the crash ablation and the TFG settings below were measured and claimed in it. With
# prices made by trading (the default) they are the price-formation targets of
# `experiments.batch.calm_targets`, `calm_tails` and `price_targets`, whose hits and misses are
# recorded in CHANGELOG.md; this suite ran them in the default mode at f256b51 and they missed
# there (CHANGELOG.md, "The slow suite at f256b51").
BASELINE = {"prices.makers_know_value": True}

# the README's leverage sweeps in calm: half the leveraged traders value funds, leverage drawn
# around 100x, entrants replacing the liquidated, an hour
SWEEP_POPULATION = {
    "duration": 3600.0,
    "population.leverage.median": 100.0,
    "population.leverage.sigma": 0.3,
    "population.strategies.value_share": 0.5,
    "population.entry_rate": 0.01,
}


def test_oct_10_reconstruction_against_the_event_over_twenty_seeds(tmp_path):
    # the README's table "The 2025-10-10 reconstruction" (cascade mc --scenario oct-10-2025
    # --runs 20): what it reports as hits and as misses, at full size
    from experiments.batch.montecarlo import monte_carlo
    from experiments.reports.event_targets import target_table

    frame = monte_carlo("oct-10-2025", 20, tmp_path / "mc", workers=2, report=False)
    assert (frame["status"] == "ok").all()
    # the vault's uncovered loss reaches ADL on every seed, and its balance never goes below 0
    assert (frame["adl_count"] > 0).all() and (frame["adl_shortfall_needed"] > 0).all()
    assert (frame["insurance_fund_min"] >= 0.0).all()
    assert (frame["insurance_fund_min"] <= frame["insurance_fund_start"]).all()
    hits = target_table(frame).set_index("field")["hit"]
    # hits, as predictions (the preset is fitted to the calm market before the event, not to
    # these): ADL / liquidated and ADL'd positions in profit
    for field in ("adl_liquidation_ratio", "adl_in_profit_share"):
        assert hits[field] == "hit", field
    assert (frame["adl_in_profit_share"] >= 0.95).all()
    # misses, reported as misses (seeds 1-20 of the preset's root): the first ADL comes about
    # 20 s after the first liquidation (event: 62 s; a hit at 38.5 s until the index stopped
    # taking mids of one-sided spot books, whose whipsaw slowed the fall); about 40% of
    # liquidations come before the first ADL (event: 1.1%); the median leverage of the
    # accounts ADL closes is above 1x (1.72 at e82857c; event: 0.2x, range up to 0.5); the
    # perpetual is not back within 1% of the index within 15 minutes on most seeds
    assert frame["first_adl_delay_seconds"].median() < 30.0
    for field in (
        "first_adl_delay_seconds",
        "liquidations_before_first_adl_share",
        "adl_median_leverage",
        "basis_within_1pct_seconds",
    ):
        assert hits[field] == "miss", field
    assert frame["liquidations_before_first_adl_share"].median() > 0.10
    assert frame["adl_median_leverage"].median() > 0.5
    # ADL reaches the hedgers: hundreds of accounts hit on most seeds, not ten carry accounts
    assert frame["adl_accounts_hit"].median() > 100


def test_the_five_contract_event_against_its_targets_over_twenty_seeds(tmp_path):
    # docs/validation.md, "On five contracts" (cascade mc --scenario oct-10-2025-assets --runs
    # 20 --seed 3, the seeds named before the preset's first result): hits and misses as there
    from experiments.batch.montecarlo import monte_carlo
    from experiments.reports.event_targets import target_table

    frame = monte_carlo("oct-10-2025-assets", 20, tmp_path / "mc", seed=3, workers=2, report=False)
    assert (frame["status"] == "ok").all()
    assert (frame["adl_count"] > 0).all()
    hits = target_table(frame).set_index("field")["hit"]
    for field in (
        "first_adl_delay_seconds",
        "adl_in_profit_share",
        "adl_median_leverage",
        "basis_within_1pct_seconds",
        "other_contracts_drawdown_over_first",
    ):
        assert hits[field] == "hit", field
    # the altcoins fall further than BTC on every seed, and ADL runs deep into the queue
    assert (frame["other_contracts_drawdown_over_first"] > 1.0).all()
    assert frame["adl_accounts_hit"].median() > 1000
    # misses, reported as misses: ADL closes a little more than half of the liquidated
    # notional (event 0.38, range up to 0.5), and about half of the liquidations come before
    # the first ADL (event 1.1%)
    for field in ("adl_liquidation_ratio", "liquidations_before_first_adl_share"):
        assert hits[field] == "miss", field
    assert frame["adl_liquidation_ratio"].median() > 0.5
    assert frame["liquidations_before_first_adl_share"].median() > 0.10


def test_null_model_never_liquidates_over_twenty_seeds():
    for seed in range(20):
        s = run_scenario(load_scenario("no-leverage"), seed=np.random.SeedSequence(seed)).summary
        assert s["liquidations_count"] == 0 and s["adl_count"] == 0, seed


def test_leverage_fattens_one_second_tails_against_1x_on_paired_seeds(tmp_path):
    # the README's leverage sweep (value funds and trend followers among the leveraged), at 1x,
    # 20x and 100x: 20 paired seeds of an hour of calm. (With holders only, as this test ran
    # before issue 10, 100x is below 1x on only 12 of 20 seeds now: the README says so.)
    key = "population.max_leverage"
    frame = sweep(
        "calm",
        {key: [1.0, 20.0, 100.0]},
        20,
        tmp_path / "sweep",
        overrides={**BASELINE, **SWEEP_POPULATION, "population.strategies.trend_share": 0.2},
        seed=1000,
        workers=2,
        report=False,
    )
    assert (frame["status"] == "ok").all()
    hill = frame.pivot(index="seed_index", columns=key, values="return_hill_2_5pct")
    # 15 of 20 has a one-sided binomial p of 2% under "leverage makes no difference"
    assert (hill[100.0] < hill[1.0]).sum() >= 15
    assert (hill[20.0] < hill[1.0]).sum() >= 15
    assert 2.0 <= hill[20.0].median() <= 5.0
    liquidations = frame.groupby(key)["liquidations_count"].min()
    assert liquidations[1.0] == 0 and liquidations[100.0] > 0


IMPACT = "venue.liquidation.impact"


def crash_ablation(tmp_path, overrides=None):
    """20 paired seeds of flash-crash (root seed 100): liquidation orders in the book against
    impact-free close-outs at the mark, at one-second steps (the one-second return statistics
    are computed only on fixed-step runs; the preset takes adaptive steps)."""
    frame = sweep(
        "flash-crash",
        {IMPACT: ["book", "off_book"]},
        20,
        tmp_path / "ablation",
        seed=100,
        workers=2,
        report=False,
        overrides={**BASELINE, "stepping.policy": "fixed", **(overrides or {})},
    )
    assert (frame["status"] == "ok").all()
    return frame


def every_pair(frame, field):
    """`paired` book/off_book values of ``field``, all 20 seeds (none dropped for a NaN)."""
    table = paired(frame, field)
    assert len(table) == 20, field
    return table


def test_liquidations_in_the_book_amplify_the_flash_crash_on_paired_seeds(tmp_path):
    # the README's amplification table: 20 paired seeds of flash-crash, liquidation orders in
    # the book against impact-free close-outs at the mark
    frame = crash_ablation(tmp_path)
    for field in ("max_drawdown_pct", "index_drawdown_pct"):
        table = every_pair(frame, field)
        assert (table["book"] > table["off_book"]).mean() >= 0.8, field
    book = frame[frame[IMPACT] == "book"]
    # the index falls further than the fundamental value, and recovers part of it
    assert (book["index_overshoot_pct"] > 0).mean() >= 0.8
    assert (book["index_gap_end_pct"].abs() < book["index_overshoot_pct"]).mean() >= 0.8
    # impact-free close-outs raise the one-second Hill index (the spec's ablation)
    hill = every_pair(frame, "return_hill_2_5pct")
    assert (hill["off_book"] > hill["book"]).mean() >= 0.8
    # most liquidated notional fills in the book on Binance rules (issue 10's target; 0.57 when
    # it was set): at f256b51 the median is 0.36 on these seeds, a miss recorded, not hidden
    share = book["liquidations_book_share"].median()
    if share < 0.5:
        pytest.xfail(f"median liquidations_book_share {share:.2f} < 0.5 (CHANGELOG, f256b51)")


def test_the_ablation_holds_in_a_crash_at_twenty_x_on_paired_seeds(tmp_path):
    # the README's ablation table, flash-crash row: everyone at the 20x cap, 20 paired seeds
    # sharing their random streams; impact-free close-outs raise the one-second Hill index and
    # lessen the mark's and the index's fall
    frame = crash_ablation(
        tmp_path,
        {
            "population.max_leverage": 20,
            "population.leverage.median": 100,
            "population.leverage.sigma": 0.3,
        },
    )
    hill = every_pair(frame, "return_hill_2_5pct")
    assert (hill["off_book"] > hill["book"]).mean() >= 0.8
    for field in ("max_drawdown_pct", "index_drawdown_pct"):
        table = every_pair(frame, field)
        assert (table["book"] > table["off_book"]).mean() >= 0.8, field


def test_null_model_returns_are_near_gaussian_at_one_second_and_one_minute(tmp_path):
    # the README's null model: calm at 1x for an hour, 20 seeds (spec validation, TFG null)
    from experiments.batch.montecarlo import monte_carlo
    from experiments.reports.horizons import horizon_table, load_series

    out = tmp_path / "null"
    frame = monte_carlo(
        "calm",
        20,
        out,
        overrides={**BASELINE, "population.max_leverage": 1.0, "duration": 3600.0},
        seed=200,
        workers=2,
        keep_series=True,
        report=False,
    )
    assert (frame["liquidations_count"] == 0).all() and (frame["adl_count"] == 0).all()
    assert frame["return_excess_kurtosis"].median() < 1.0
    assert frame["return_hill_2_5pct"].median() > 5.5
    table = horizon_table(load_series(out), (1, 60)).set_index("horizon (s)")
    assert table.loc[60, "excess kurtosis"] < 1.0 and table.loc[60, "Hill 2.5%"] > 5.5
    # arbitrage ties the perpetual to the index: equal volatility at one minute
    assert 0.95 <= table.loc[60, "std perp / std index"] <= 1.05


def test_minimal_adl_policy_socialises_least_on_every_paired_seed(tmp_path):
    # the README's ADL policy table: every policy on the reconstruction, 20 paired seeds
    from experiments.reports.adl_study import POLICY_KEY, minimal_is_least

    policies = ["bitmex", "binance", "pnl", "pro_rata", "haircut", "minimal"]
    frame = sweep(
        "oct-10-2025", {POLICY_KEY: policies}, 20, tmp_path / "adl", workers=2, report=False
    )
    assert (frame["status"] == "ok").all()
    # the venue's accounting: profit socialised over the shortfall it could not cover itself
    least = minimal_is_least(frame, field="adl_socialised_per_needed")
    assert len(least) == 20 and least.all()
    # the preset's queue socialises more than was needed on every seed
    queue = frame[frame[POLICY_KEY] == "bitmex"]
    assert (queue["adl_socialised_per_needed"] > 1.0).all()
    # Chitra's accounting (Σ H / Σ B over ADL rounds): a haircut takes exactly what it needs
    cut = frame[frame[POLICY_KEY].isin(["haircut", "minimal"])]["adl_over_utilisation"]
    assert np.allclose(cut.dropna(), 1.0, rtol=1e-9)
    assert np.isfinite(queue["adl_over_utilisation"]).all()


def test_presets_show_what_they_are_for_on_ten_paired_seeds(tmp_path):
    # the README's preset table: short-squeeze against impact-free close-outs, cross-margin-
    # contagion against all-isolated accounts, calm; ten paired seeds each
    import pandas as pd

    impact = "venue.liquidation.impact"
    squeeze = sweep(
        "short-squeeze",
        {impact: ["book", "off_book"]},
        10,
        tmp_path / "sq",
        workers=2,
        keep_series=True,
        report=False,
    )
    assert (squeeze["status"] == "ok").all()
    book = squeeze[squeeze[impact] == "book"]
    assert (book["short_liquidations_notional"] > 0).all()
    # the squeeze (from 600 s) liquidates shorts only; a long at its cap may drift into its
    # liquidation price in the calm before it (one account on one seed at 9607bb5), and the
    # partial liquidations of that drift may go on into the squeeze's first step, before the
    # buy program has moved the mark (account 221 of run 1 at 6b51b35: at 548-559 s and 600 s)
    for run in book["run"]:
        events = pd.read_parquet(tmp_path / "sq" / "runs" / str(run) / "events.parquet")
        longs = events[(events["kind"] == "liquidation") & (events["side"] == 1)]
        before = longs[longs["time"] < 600.0]
        late = longs[longs["time"] >= 600.0]
        assert (late["time"] <= 600.0).all(), run
        assert late["account"].isin(before["account"]).all(), run
    assert (book["long_liquidations_notional"] < 1e-3 * book["short_liquidations_notional"]).all()
    runup = squeeze.pivot(index="seed_index", columns=impact, values="max_runup_pct")
    assert (runup["book"] > runup["off_book"]).mean() >= 0.8
    assert (book["index_runup_overshoot_pct"] > 0).mean() >= 0.8

    key = "population.isolated_share"
    out = tmp_path / "cross"
    cross = sweep(
        "cross-margin-contagion",
        {key: [0.3, 1.0]},
        10,
        out,
        workers=2,
        keep_series=True,
        report=False,
    )
    assert (cross["status"] == "ok").all()
    btc = {}
    for row in cross.itertuples():
        events = pd.read_parquet(out / "runs" / str(row.run) / "events.parquet")
        liquidated = (events["kind"] == "liquidation") & (events["contract"] == 0)
        btc[(row.seed_index, cross.loc[row.Index, key])] = int(liquidated.sum())
    pairs = [(btc[(s, 0.3)], btc[(s, 1.0)]) for s in range(10)]
    assert sum(c > i for c, i in pairs) >= 8, pairs

    calm = sweep("calm", {"duration": [1800.0]}, 10, tmp_path / "calm", workers=2, report=False)
    assert (calm["liquidations_count"] == 0).all() and (calm["adl_count"] == 0).all()


def leverage_minutes(tmp_path, caps, overrides, seed):
    """A 20-seed sweep of ``population.max_leverage`` over ``caps`` in calm, with its series
    kept: the runs' table and the pooled one-minute `horizons` table per cap."""
    from experiments.reports.horizons import grouped_table

    key = "population.max_leverage"
    out = tmp_path / "lev"
    frame = sweep(
        "calm",
        {key: caps},
        20,
        out,
        overrides=overrides,
        seed=seed,
        workers=2,
        keep_series=True,
        report=False,
    )
    assert (frame["status"] == "ok").all()
    return frame, grouped_table(out, key, (60,)).set_index(key)


def test_cascades_on_leverage_fattens_one_minute_tails_at_20x(tmp_path):
    # the README's leverage sweep "with cascades on" at its 1x and 20x points (same seeds): one-
    # minute kurtosis rises, and each one-minute tail's Hill index at 20x lies in [2, 5] (the
    # Hill of both tails pooled does not: the README reports that miss)
    key = "population.max_leverage"
    overrides = {
        **SWEEP_POPULATION,
        "population.strategies.trend_share": 0.1,
        "population.long_bias": 0.7,
        "population.entry_dispersion": 0.05,
        "population.entry_room": 0.9,
        "spot.learning_bps": 300.0,
        "spot.learning_halflife": 1800.0,
    }
    frame, minute = leverage_minutes(tmp_path, [1.0, 20.0], overrides, seed=1000)
    assert minute.loc[1.0, "excess kurtosis"] < 1.0
    assert minute.loc[20.0, "excess kurtosis"] > 1.5
    for tail in ("Hill 2.5% down", "Hill 2.5% up"):
        assert 2.0 <= minute.loc[20.0, tail] <= 5.0, tail
    liquidations = frame.groupby(key)["liquidations_count"].median()
    assert liquidations[1.0] == 0 and liquidations[20.0] > 10


# the README's leverage sweep in a TFG setting: wandering noise demand, long-only value funds,
# makers who learn value from flow, two hours, and the cap on the traders alone
TFG_SETTING = {
    **BASELINE,
    **SWEEP_POPULATION,
    "duration": 7200.0,
    "population.cap_providers": False,
    "population.strategies.value_long_only": True,
    "population.strategies.value_aggression": 5000.0,
    "population.strategies.value_dispersion": 0.0005,
    "population.noise_demand.std": 3e7,
    "population.noise_demand.halflife": 3600.0,
    "spot.learning_bps": 100.0,
    "spot.learning_halflife": 86400.0,
}


def test_tfg_setting_fattens_one_minute_tails_with_leverage_while_funds_are_out(tmp_path):
    # three of the README's seven caps, the same 20 seeds: pooled one-minute Hill falls from 1x
    # to 10x to 50x, the 1x end is a null model, and the tail minutes are not those of funds at
    # their cap but those of a price above value, where long-only funds hold nothing
    key = "population.max_leverage"
    frame, minute = leverage_minutes(tmp_path, [1.0, 10.0, 50.0], TFG_SETTING, seed=3000)
    hill = minute["Hill 2.5%"]
    assert hill[1.0] > hill[10.0] > hill[50.0]
    assert hill[1.0] > 5.5 and minute.loc[1.0, "excess kurtosis"] < 1.0
    assert minute.loc[50.0, "excess kurtosis"] > 1.5
    ten = minute.loc[10.0]
    assert ten["above value, tail"] > ten["above value"] + 0.2
    assert ten["funds at cap, tail"] < ten["funds at cap"]
    one_second = frame.groupby(key)["return_excess_kurtosis"].median()
    assert one_second[1.0] < 1.0
    assert frame.groupby(key)["liquidations_count"].max()[1.0] == 0


TFG_FLOWS_SETTING = {
    **TFG_SETTING,
    "population.strategies.value_share": 1.0,
    "population.strategies.flow_sensitivity": 2.0,
    "population.strategies.flow_benchmark": 0.0005,
}


def test_fund_flows_put_twenty_x_one_minute_hill_in_range_with_a_null_at_1x(tmp_path):
    # the README's "TFG setting with fund flows" at its 1x and 20x points (the same 20 seeds):
    # pooled one-minute Hill lies in [2, 5] at 20x and falls from 1x, the 1x end is a null, and
    # at 20x funds at their cap are more common in the tail minutes than over all minutes (the
    # negative tail's lead at 20x is within the estimate's noise on 20 seeds; over 160 seeds with
    # bootstrap bands it is clear, and Hill's band reaches 5.25: the README reports both, from a
    # command too long for this suite)
    #
    # With the random streams of 9607bb5 (new draws for the same seeds) the 20x point lands just
    # outside the range (5.15) and funds at their cap are no commoner in the tail minutes; the
    # README reports both. The null at 1x and the fall from 1x are checked; the two edge claims
    # are checked too, and their miss is recorded as an expected failure, not hidden.
    key = "population.max_leverage"
    frame, minute = leverage_minutes(tmp_path, [1.0, 20.0], TFG_FLOWS_SETTING, seed=3000)
    hill = minute["Hill 2.5%"]
    assert hill[1.0] > 5.5 and minute.loc[1.0, "excess kurtosis"] < 1.0
    assert hill[20.0] < hill[1.0]
    one_second = frame.groupby(key)["return_excess_kurtosis"].median()
    assert one_second[1.0] < 1.0
    assert frame.groupby(key)["liquidations_count"].max()[1.0] == 0
    twenty = minute.loc[20.0]
    misses = []
    if not 2.0 <= hill[20.0] <= 5.0:
        misses.append(f"20x one-minute Hill {hill[20.0]:.2f} outside [2, 5]")
    if not twenty["funds at cap, tail"] > 2 * twenty["funds at cap"]:
        misses.append(
            f"funds at cap {twenty['funds at cap, tail']:.4f} of tail minutes against "
            f"{twenty['funds at cap']:.4f} of all"
        )
    if misses:
        pytest.xfail("not reproduced at 9607bb5 (README, fund flows): " + "; ".join(misses))
