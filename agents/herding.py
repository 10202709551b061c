"""Herding: traders on a seeded small-world network, through Mesa's network space.

When a trader is liquidated, each neighbour panics with probability ``strength``: most cut their
whole position at market, some flip to the other side. Panic orders are ordinary market orders,
so they add to the move that liquidated the neighbour. Strength 0 builds no network at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import networkx as nx
from mesa.discrete_space import Network

from model.scenario import Herding

if TYPE_CHECKING:
    from agents.trader import Trader
    from model.simulation import CascadeModel

FLIP_SHARE = 0.3  # of panicking traders, the share that flips instead of cutting


class HerdNetwork:
    """The social graph over traders and the panic rule on it."""

    def __init__(self, model: CascadeModel, traders: Sequence[Trader], settings: Herding) -> None:
        self.model = model
        self.strength = settings.strength
        self.space: Network | None = None
        n = len(traders)
        if self.strength <= 0 or n < 3:
            return
        k = max(2, min(n - 1, 2 * round(settings.mean_degree / 2)))
        graph = nx.watts_strogatz_graph(n, k, settings.rewire, seed=int(model.rng.integers(2**31)))
        self.space = Network(graph, capacity=1, random=model.random, layout=None)
        for trader, cell in zip(traders, self.space.all_cells, strict=True):
            trader.cell = cell

    def spread_panic(self, liquidated: Sequence[Trader]) -> int:
        """Neighbours of the liquidated traders may panic; returns how many did."""
        if self.space is None or not liquidated:
            return 0
        rng = self.model.rng
        panicked = 0
        for trader in liquidated:
            for neighbour in trader.cell.neighborhood.agents:
                if rng.random() >= self.strength:
                    continue
                panicked += 1
                if hasattr(neighbour, "flip") and rng.random() < FLIP_SHARE:
                    neighbour.flip()
                elif hasattr(neighbour, "cut"):
                    neighbour.cut(1.0)
                else:
                    for c in range(self.model.n_contracts):
                        neighbour.close(c)
        return panicked
