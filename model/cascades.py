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

Everything here is a pure function of an events frame: finding cascades never changes the event
log, so callers may build frames in any order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import NamedTuple

import networkx as nx
import numpy as np
import pandas as pd

from model.events import CASCADE_COLUMN, FRAME_COLUMNS

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


class Cascades(NamedTuple):
    """What `find_cascades` finds: the events tagged with their cascade, and the cascades."""

    events: pd.DataFrame  # the events frame with ``cascade_id`` (−1: in no cascade)
    table: pd.DataFrame  # one row per cascade (`cascades_frame`)


def find_cascades(events: pd.DataFrame, window: float) -> Cascades:
    """Link the liquidations of an events frame (`EventLog.to_frame`) into cascades.

    Args:
        events: the event log's frame, indexed by log position; it is not changed.
        window: seconds within which a liquidation links to an earlier one.
    """
    liquidations = events[events["kind"] == "liquidation"]
    graph = build_cascade_graph(liquidations, window)
    tagged = with_cascade_ids(events, node_cascade_ids(graph))
    return Cascades(tagged, cascades_frame(graph, liquidations))


def with_cascade_ids(events: pd.DataFrame, cascade_of: Mapping[int, int]) -> pd.DataFrame:
    """A copy of ``events`` with the ``cascade_id`` column (``FRAME_COLUMNS`` order): the
    cascade of each event by its log position in ``cascade_of``, else −1."""
    ids = np.full(len(events), -1, dtype=np.int64)
    if cascade_of:
        positions = events.index.get_indexer(list(cascade_of))
        ids[positions] = list(cascade_of.values())
    return events.assign(**{CASCADE_COLUMN: ids})[FRAME_COLUMNS]
