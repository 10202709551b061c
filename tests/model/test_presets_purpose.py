"""Each preset still shows what the README's preset table says it is for, on one seed (the
slow suite checks the same on ten paired seeds): a squeeze liquidates shorts and the liquidation
orders lift the price further than impact-free close-outs; cross margin carries an ETH drop into
BTC positions that isolated margin keeps out; calm liquidates nobody."""

import pandas as pd

from experiments.run.runner import run_scenario
from model.scenario import load_scenario


def run(name, **overrides):
    return run_scenario(load_scenario(name, overrides), seed=3)


def test_short_squeeze_liquidates_shorts_and_book_orders_lift_the_price_further():
    # at one-second steps, the setting this seed's check was written for: the index's
    # overshoot is a few hundredths of a percent to a few tenths from seed to seed (adaptive
    # steps draw another path; `experiments.perf.equivalence` compares the two over 50 seeds)
    fixed = {"stepping.policy": "fixed"}
    book = run("short-squeeze", **fixed).summary
    off = run("short-squeeze", **fixed, **{"venue.liquidation.impact": "off_book"}).summary
    assert book["short_liquidations_notional"] > 0 and book["long_liquidations_notional"] == 0
    # the fundamental rises 7%: liquidation orders take the mark and the index beyond it
    assert book["max_runup_pct"] > off["max_runup_pct"] > 6.0
    assert book["index_runup_pct"] > off["index_runup_pct"]
    assert book["index_runup_overshoot_pct"] > 0.0


def btc_liquidations(events: pd.DataFrame) -> int:
    return int(((events["kind"] == "liquidation") & (events["contract"] == 0)).sum())


def test_cross_margin_carries_an_eth_drop_into_btc_positions():
    cross = run("cross-margin-contagion")
    isolated = run("cross-margin-contagion", **{"population.isolated_share": 1.0})
    # only ETH is shocked; BTC positions die through the cross accounts' shared equity (7 to
    # 245 of them on the 20 seeds of `python -m experiments.batch.preset_purposes`, 3 on this one)
    assert btc_liquidations(cross.events) > 0
    assert btc_liquidations(isolated.events) < btc_liquidations(cross.events) / 5


def test_calm_liquidates_nobody():
    s = run("calm").summary
    assert s["liquidations_count"] == 0 and s["adl_count"] == 0


def test_the_multi_asset_event_hits_the_altcoins_harder_and_reaches_adl_on_several_contracts():
    result = run("oct-10-2025-assets")
    summary = result.summary
    # market-wide news: the altcoins (higher betas, thinner books, lower caps) fall further
    assert summary["other_contracts_drawdown_over_first"] > 1.0
    adl = result.events[result.events["kind"] == "adl"]
    assert adl["contract"].nunique() >= 2  # one backstop vault, ADL per asset
