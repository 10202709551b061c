"""Herding: traders on a seeded small-world network, through Mesa's network space.

When a trader is liquidated or panics, each neighbour panics with probability ``strength``: most
cut their whole position at market, some flip to the other side. Panic orders are ordinary market
orders, so they add to the move that liquidated the neighbour. Strength 0 builds no network.
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from agents.leveraged import LeveragedTrader
from agents.trader import Trader
from model.scenario import Herding

FLIP_SHARE = 0.3  # of panicking traders, the share that flips instead of cutting


class HerdNetwork:
    """The social graph over traders and the panic rule on it.

    Panic spreads: the neighbours of a trader liquidated this step, and of a trader who panicked
    last step, each panic with probability ``strength``. A trader panics at most once per run, and
    only while it holds a position, so contagion saturates instead of cycling.

    Args:
        model: the Mesa model (its generators seed the graph and place the traders).
        traders: the traders on the network.
        settings: the scenario's herding settings.
        rng: the generator of panic draws.
        n_contracts: contracts a panicking trader without a crowd slot closes.
    """

    def __init__(
        self,
        model: mesa.Model,
        traders: Sequence[Trader],
        settings: Herding,
        rng: np.random.Generator,
        n_contracts: int,
    ) -> None:
        self.rng = rng
        self.n_contracts = n_contracts
        self.strength = settings.strength
        self.space: Network | None = None
        self.pending: list[Trader] = []  # panicked last step: this step's sources
        self.panicked: set[Trader] = set()
        self.last_count = 0  # panics in the latest step
        n = len(traders)
        if self.strength <= 0 or n < 3:
            return
        k = max(2, min(n - 1, 2 * round(settings.mean_degree / 2)))
        graph = nx.watts_strogatz_graph(n, k, settings.rewire, seed=int(model.rng.integers(2**31)))
        self.space = Network(graph, capacity=1, random=model.random, layout=None)
        for trader, cell in zip(traders, self.space.all_cells, strict=True):
            trader.cell = cell

    def spread_panic(self, liquidated: Sequence[Trader]) -> int:
        """Neighbours of this step's liquidated traders and of last step's panicking traders may
        panic: cut the position, or flip it (``FLIP_SHARE`` of them); returns how many did."""
        sources = [*liquidated, *self.pending]
        self.pending = []
        if self.space is None or not sources:
            self.last_count = 0
            return 0
        rng = self.rng
        for source in sources:
            assert source.cell is not None  # every trader on the network has a cell
            for neighbour in source.cell.neighborhood.agents:
                if (
                    not isinstance(neighbour, Trader)
                    or neighbour in self.panicked
                    or not neighbour.has_position()
                    or rng.random() >= self.strength
                ):
                    continue
                self.panicked.add(neighbour)
                self.pending.append(neighbour)
                if isinstance(neighbour, LeveragedTrader):
                    if rng.random() < FLIP_SHARE:
                        neighbour.flip()
                    else:
                        neighbour.cut(1.0)
                else:
                    for c in range(self.n_contracts):
                        neighbour.close(c)
        self.last_count = len(self.pending)
        return self.last_count
