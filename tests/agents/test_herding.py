"""Herding: a seeded small-world network through Mesa's Network space; panic spreads over it."""

import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from agents.leveraged import LeveragedTrader
from experiments.run.runner import run_scenario
from model.scenario import load_scenario
from model.simulation import CascadeModel

SMALL = {
    "population.leveraged": 60,
    "population.noise": 10,
    "population.momentum": 5,
    "duration": 700.0,
    "prices.makers_know_value": True,  # the scripted fall: a known size with 60 traders
}


def herd_model(strength, seed=1, **extra):
    overrides = {**SMALL, "population.herding.strength": strength, "seed": seed, **extra}
    return CascadeModel(load_scenario("flash-crash", overrides))


def edges(model):
    space = model.population.herd.space
    return sorted(
        tuple(sorted((a.account, b.account)))
        for cell in space.all_cells
        for a in cell.agents
        for n in cell.neighborhood
        for b in n.agents
    )


def test_strength_zero_builds_no_network_and_nobody_panics():
    model = herd_model(0.0)
    assert model.population.herd.space is None
    model.run()
    assert model.datacollector.get_model_vars_dataframe()["panics"].sum() == 0


def test_the_network_is_mesa_space_seeded_by_the_model():
    a, b, c = herd_model(0.5), herd_model(0.5), herd_model(0.5, seed=2)
    assert isinstance(a.population.herd.space, Network)
    assert edges(a) == edges(b)
    assert edges(a) != edges(c)
    traders = [*a.population.leveraged, *a.population.momentum]
    assert all(t.cell is not None for t in traders)
    graph = nx.Graph(edges(a))
    assert nx.is_connected(graph)  # small world: a panic can reach anyone


def test_a_liquidation_makes_neighbours_cut_or_flip_and_panic_spreads_a_hop_per_step():
    model = herd_model(1.0)
    for _ in range(20):  # let the makers quote, so panic orders find a book
        model.step()
    herd = model.population.herd
    source = model.population.leveraged[0]
    neighbours = [n for c in source.cell.neighborhood for n in c.agents]
    sides = {n: np.sign(model.ledger.lots[n.account]).tolist() for n in neighbours}
    count = herd.spread_panic([source])
    assert count == len([n for n in neighbours if sides[n] != [0]])  # strength 1: all holders
    for n in herd.pending:
        now = np.sign(model.ledger.lots[n.account]).tolist()
        assert now != sides[n]  # cut (flat) or flipped
        if isinstance(n, LeveragedTrader) and any(now):
            assert [-s for s in sides[n]] == now
    first_wave = set(herd.pending)
    second = herd.spread_panic([])  # last step's panickers are this step's sources
    assert second > 0
    assert not first_wave & set(herd.pending)  # nobody panics twice


def test_herding_runs_end_to_end_and_panics_are_recorded():
    result = run_scenario(
        load_scenario("flash-crash", {**SMALL, "population.herding.strength": 0.5})
    )
    assert result.timeseries["panics"].sum() > 0
    assert result.summary["conservation_error"] < 1e-9
