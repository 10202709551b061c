"""Cascades: liquidations linked into a directed graph, and its connected components.

The rule. Liquidations of long positions push the price down and those of shorts push it up,
so each has a direction. A liquidation ``j`` is linked to an earlier liquidation ``i`` (edge
``i → j``) when

* both close positions of the same side (the price is pushed the same way),
* ``j`` happens within ``window`` seconds after ``i``, and
* the mark price at ``j`` is at or beyond the mark at ``i`` in that direction (still moving the
  same way: lower for longs, higher for shorts);

and ``i`` is the most recent liquidation satisfying this (one parent per liquidation, so the
graph stays sparse at thousands of events). A cascade is a weakly connected component with at
least two liquidations. Its depth is the number of generations on its longest chain.
"""

from __future__ import annotations

from collections import deque

import networkx as nx
import pandas as pd

CASCADE_COLUMNS = [
    "cascade_id",
    "n_liquidations",
    "notional",
    "start",
    "end",
    "duration",
    "depth",
    "price_move_pct",
    "direction",
    "n_accounts",
]


def build_cascade_graph(liquidations: pd.DataFrame, window: float) -> nx.DiGraph:
    """Link liquidation events (rows of the event log, indexed by log position) by the rule."""
    graph = nx.DiGraph()
    recent: dict[int, deque[tuple[int, float, float]]] = {1: deque(), -1: deque()}
    ordered = liquidations.sort_values("time", kind="stable")
    for node, row in zip(ordered.index, ordered.itertuples(index=False), strict=True):
        side = 1 if row.side > 0 else -1
        t, mark = float(row.time), float(row.mark_price)
        graph.add_node(
            int(node),
            time=t,
            side=side,
            mark=mark,
            notional=float(row.notional),
            account=int(row.account),
        )
        queue = recent[side]
        while queue and queue[0][1] < t - window:
            queue.popleft()
        for parent, _, parent_mark in reversed(queue):
            if (mark <= parent_mark) if side > 0 else (mark >= parent_mark):
                graph.add_edge(parent, int(node))
                break
        queue.append((int(node), t, mark))
    return graph


def node_cascade_ids(graph: nx.DiGraph) -> dict[int, int]:
    """Cascade id of every liquidation in a cascade, numbered by start time from 0."""
    components = [c for c in nx.weakly_connected_components(graph) if len(c) >= 2]
    components.sort(key=lambda c: min((graph.nodes[n]["time"], n) for n in c))
    return {node: i for i, comp in enumerate(components) for node in comp}


def cascades_frame(graph: nx.DiGraph, liquidations: pd.DataFrame) -> pd.DataFrame:
    """One row per cascade (columns ``CASCADE_COLUMNS``)."""
    ids = node_cascade_ids(graph)
    rows = []
    by_cascade: dict[int, list[int]] = {}
    for node, cascade in ids.items():
        by_cascade.setdefault(cascade, []).append(node)
    for cascade, nodes in sorted(by_cascade.items()):
        sub = graph.subgraph(nodes)
        ordered = sorted(nodes, key=lambda n: (sub.nodes[n]["time"], n))
        first, last = sub.nodes[ordered[0]], sub.nodes[ordered[-1]]
        rows.append(
            {
                "cascade_id": cascade,
                "n_liquidations": len(nodes),
                "notional": sum(sub.nodes[n]["notional"] for n in nodes),
                "start": first["time"],
                "end": last["time"],
                "duration": last["time"] - first["time"],
                "depth": nx.dag_longest_path_length(sub) + 1,
                "price_move_pct": (last["mark"] / first["mark"] - 1.0) * 100.0,
                "direction": "down" if first["side"] > 0 else "up",
                "n_accounts": len({sub.nodes[n]["account"] for n in nodes}),
            }
        )
    return pd.DataFrame(rows, columns=CASCADE_COLUMNS)
