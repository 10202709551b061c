"""Random streams: deterministic, independent, and shared by paired runs (common random numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from model.randomness import STREAMS, RandomStreams
from model.scenario import load_scenario
from model.simulation import CascadeModel


def _first_draws(streams: RandomStreams) -> dict[str, float]:
    return {name: float(streams[name].random()) for name in STREAMS}


def test_streams_follow_the_seed_and_leave_the_models_generator_alone() -> None:
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    first = _first_draws(RandomStreams(rng))
    assert rng.bit_generator.state == state  # building the model's draws is not shifted
    assert _first_draws(RandomStreams(np.random.default_rng(5))) == first
    assert _first_draws(RandomStreams(np.random.default_rng(6))) != first
    assert len(set(first.values())) == len(STREAMS)  # every stream draws its own numbers


def test_a_spawned_seed_gives_the_same_streams_however_often_it_is_used() -> None:
    seed = np.random.SeedSequence(3).spawn(2)[1]
    a = _first_draws(RandomStreams(np.random.default_rng(seed)))
    b = _first_draws(RandomStreams(np.random.default_rng(seed)))
    other = _first_draws(
        RandomStreams(np.random.default_rng(np.random.SeedSequence(3).spawn(1)[0]))
    )
    assert a == b
    assert a != other
    assert seed.n_children_spawned == 0  # the caller's seed object is not spawned from


def test_a_generator_without_a_seed_sequence_takes_one_draw_for_its_root() -> None:
    def legacy() -> np.random.Generator:  # seeded the old way: no seed sequence to derive from
        return np.random.Generator(np.random.RandomState(4)._bit_generator)

    rng = legacy()
    draws = _first_draws(RandomStreams(rng))
    assert len(set(draws.values())) == len(STREAMS)
    assert _first_draws(RandomStreams(legacy())) == draws
    assert rng.random() != legacy().random()  # one draw taken from the generator for the root


def test_an_unknown_stream_is_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="no random stream 'weather'; streams: fundamental"):
        RandomStreams(np.random.default_rng(1))["weather"]


# a calm market at 20x whose holders sit near liquidation, with entrants and herding: the two arms
# below liquidate different traders, replace different places and panic different neighbours
PAIRED = {
    "duration": 900.0,
    "population.max_leverage": 20,
    "population.leverage.median": 100,
    "population.leverage.sigma": 0.3,
    "population.strategies.value_share": 0.5,
    "population.strategies.trend_share": 0.2,
    "population.entry_rate": 0.2,
    "population.entry_dispersion": 0.05,
    "population.entry_room": 0.95,
    "population.herding.strength": 0.5,
}


def test_paired_runs_share_the_exogenous_path_after_they_part() -> None:
    """Liquidations in the book or off it change who is liquidated (and so who re-enters and
    panics); the fundamental value and the noise traders' draws stay those of the seed."""
    arms = {}
    for impact in ("book", "off_book"):
        model = CascadeModel(
            load_scenario("calm", {**PAIRED, "venue.liquidation.impact": impact}), rng=9
        )
        fundamentals = []
        while model.running:
            model.step()
            fundamentals.append(model.fundamental.copy())
        arms[impact] = (model, np.array(fundamentals))
    (book, fund_book), (off, fund_off) = arms["book"], arms["off_book"]
    # the arms did part: different liquidations (who re-enters may still coincide)
    assert len(book.events.of_kind("liquidation")) != len(off.events.of_kind("liquidation"))
    assert book.population.entrants > 0 and off.population.entrants > 0
    # and still saw the same luck
    np.testing.assert_array_equal(fund_book, fund_off)
    for name in ("noise", "noise_demand", "momentum", "spot_noise", "spot_value", "rebalance"):
        assert book.streams[name].bit_generator.state == off.streams[name].bit_generator.state, name
