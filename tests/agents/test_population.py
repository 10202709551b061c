"""Building a scenario's traders: leverage caps, starting positions, sparse activation."""

import numpy as np
import pytest

from model.scenario import available_scenarios, load_scenario
from model.simulation import CascadeModel

SMALL = {
    "population.leveraged": 40,
    "population.noise": 10,
    "population.momentum": 5,
    "duration": 10.0,
    "index.shocks": [],  # a shortened preset: its shock would fall after the end
}


def test_leverage_is_capped_by_the_venue_tier_and_everyone_holds_a_position():
    # Hyperliquid BTC allows 40x; a crowd drawn at 80x must trade at 40x, not sit out
    scenario = load_scenario(
        "calm",
        {
            **SMALL,
            "venue": "hyperliquid",
            "population.leverage.median": 80.0,
            "population.leverage.sigma": 0.0,
        },
    )
    model = CascadeModel(scenario)
    traders = model.population.leveraged
    assert model.leverage_cap == 40.0
    assert {t.leverage for t in traders if t.kind != "whale"} == {40.0}
    lots = np.array([model.ledger.lots[t.account, t.contract] for t in traders])
    assert np.all(lots != 0)


def test_population_max_leverage_caps_below_the_venue():
    scenario = load_scenario("calm", {**SMALL, "population.max_leverage": 3.0})
    model = CascadeModel(scenario)
    assert model.leverage_cap == 3.0
    assert max(t.leverage for t in model.population.leveraged) <= 3.0
    # by default the cap binds market makers and arbitrageurs too
    providers = [*model.population.makers, *model.population.arbitrageurs]
    assert providers and max(t.leverage for t in providers) <= 3.0


def test_cap_providers_false_leaves_makers_and_arbitrageurs_their_own_leverage():
    # a sweep of max_leverage then changes the traders' leverage alone (TFG's experiment)
    scenario = load_scenario(
        "calm", {**SMALL, "population.max_leverage": 1.0, "population.cap_providers": False}
    )
    model = CascadeModel(scenario)
    pop = model.population
    assert model.leverage_cap == 1.0
    assert {t.leverage for t in pop.leveraged} == {1.0}
    assert {t.leverage for t in pop.noise} == {1.0}
    assert {t.leverage for t in pop.makers} == {20.0}  # MarketMaker's own
    assert {t.leverage for t in pop.arbitrageurs} == {scenario.population.arbitrage.leverage}
    # still within the venue's first tier
    hl = load_scenario(
        "calm",
        {
            **SMALL,
            "venue": "hyperliquid",
            "population.max_leverage": 1.0,
            "population.cap_providers": False,
            "population.arbitrage.leverage": 100.0,
        },
    )
    model = CascadeModel(hl)
    assert {t.leverage for t in model.population.arbitrageurs} == {40.0}
    assert {t.leverage for t in model.population.makers} == {20.0}


@pytest.mark.parametrize("name", available_scenarios())
def test_nobody_starts_the_run_in_liquidation_even_at_100x(name):
    # carry traders take longs and shorts at different entries, and what that realises must be
    # funded too: on calm, seeds 1 and 8 once started a carry trader below or near zero
    for seed in (1, 8):
        scenario = load_scenario(
            name,
            {
                **SMALL,
                "population.max_leverage": 100.0,
                "population.leverage.median": 100.0,
                "population.leverage.sigma": 0.3,
            },
        )
        model = CascadeModel(scenario, rng=np.random.SeedSequence(seed))
        assert not model.risk.any_breach, seed
        assert np.all(model.risk.cross_equity[~model.ledger.system] > 0), seed


@pytest.mark.parametrize("room", [0.5, 0.95])
def test_starting_entries_spread_as_asked_and_use_at_most_their_room(room):
    # open interest built up in the weeks before the run: entries spread around the initial
    # price, an adverse one never past ``entry_room`` of the gap to maintenance margin
    scenario = load_scenario(
        "calm",
        {
            **SMALL,
            "population.leveraged": 200,
            "population.whales": 0,
            "population.leverage.median": 20.0,
            "population.leverage.sigma": 0.0,
            "population.entry_dispersion": 0.05,
            "population.entry_room": room,
        },
    )
    model = CascadeModel(scenario, rng=np.random.SeedSequence(3))
    ledger, price = model.ledger, scenario.contracts[0].initial_price
    mmr = ledger.tiers[0].tier_for(0.0).mmr
    adverse = []
    for trader in model.population.leveraged:
        side = 1 if ledger.lots[trader.account, 0] > 0 else -1
        entry = float(ledger.entry[trader.account, 0])
        adverse.append(side * (entry - price) / price)  # > 0: the price is already against it
    gap = 1.0 / 20.0 - mmr
    assert max(adverse) <= room * gap + 1e-9
    assert max(adverse) >= 0.9 * room * gap  # a 5% spread reaches the limit at 20x
    assert np.std(adverse) > 0.02
    assert not model.risk.any_breach
