"""The cascade rule: same side, within the window, price still moving the same way."""

import pandas as pd
import pytest

from model.cascades import build_cascade_graph, cascades_frame, find_cascades, node_cascade_ids
from model.events import FRAME_COLUMNS, EventLog


def frame(rows):
    return pd.DataFrame(rows, columns=["time", "side", "mark_price", "notional", "account"])


def test_links_same_side_within_window_with_price_still_falling():
    liq = frame(
        [
            (0.0, 1, 100.0, 10.0, 1),
            (5.0, 1, 99.0, 20.0, 2),  # → linked to 0
            (8.0, -1, 98.0, 5.0, 3),  # a short: other direction, not linked
            (12.0, 1, 100.5, 5.0, 4),  # price bounced above both: not linked
            (20.0, 1, 97.0, 30.0, 5),  # falling again: linked to the most recent higher mark (3)
            (100.0, 1, 90.0, 1.0, 6),  # too late
        ]
    )
    graph = build_cascade_graph(liq, window=30.0)
    assert set(graph.edges) == {(0, 1), (3, 4)}
    ids = node_cascade_ids(graph)
    assert ids[0] == ids[1] == 0
    assert ids[3] == ids[4] == 1
    assert 2 not in ids and 5 not in ids  # single liquidations are not cascades


def test_cascade_frame_measures():
    liq = frame([(0.0, 1, 100.0, 10.0, 1), (2.0, 1, 99.0, 20.0, 2), (4.0, 1, 98.0, 5.0, 1)])
    table = cascades_frame(build_cascade_graph(liq, 30.0), liq)
    (row,) = table.to_dict("records")
    assert row["n_liquidations"] == 3
    assert row["notional"] == pytest.approx(35.0)
    assert row["duration"] == pytest.approx(4.0)
    assert row["depth"] == 3
    assert row["price_move_pct"] == pytest.approx(-2.0)
    assert row["direction"] == "down"
    assert row["n_accounts"] == 2


def test_short_squeeze_cascade_goes_up_and_empty_input():
    liq = frame([(0.0, -1, 100.0, 1.0, 1), (1.0, -1, 101.0, 1.0, 2)])
    (row,) = cascades_frame(build_cascade_graph(liq, 30.0), liq).to_dict("records")
    assert row["direction"] == "up"
    empty = frame([])
    assert cascades_frame(build_cascade_graph(empty, 30.0), empty).empty


def test_find_cascades_tags_a_copy_and_leaves_the_log_alone():
    log = EventLog()
    for t, mark in [(0.0, 100.0), (2.0, 99.0), (4.0, 98.0)]:
        log.add("liquidation", t, 1, 0, side=1, notional=10.0, mark_price=mark)
    log.add("takeover", 4.0, 9, 0, side=1)
    before = log.to_frame()
    found = find_cascades(before, window=30.0)
    assert list(found.events.columns) == FRAME_COLUMNS
    assert found.events["cascade_id"].tolist() == [0, 0, 0, -1]
    assert found.events["cascade_id"].dtype == "int64"
    assert len(found.table) == 1
    pd.testing.assert_frame_equal(log.to_frame(), before)  # the log is not tagged behind anyone
    assert "cascade_id" not in before.columns


def test_find_cascades_of_an_empty_log():
    found = find_cascades(EventLog().to_frame(), window=30.0)
    assert found.events.empty and found.table.empty
    assert list(found.events.columns) == FRAME_COLUMNS
    assert found.events["cascade_id"].dtype == "int64"
