"""One benchmark case in a fresh process; prints one JSON line of measurements.

`experiments.perf.benchmark` runs this file as a script, with ``PYTHONPATH`` pointing at the source
tree under test: the current one, or an older revision checked out in a temporary worktree. It
therefore uses only APIs that old revisions have too (``load_scenario``, ``CascadeModel``,
``OrderBook.submit``/``cancel``/``cancel_owner``/``resize``) and imports nothing else from this
project. A fresh process per case makes the peak memory (``ru_maxrss``) that case's own.

Usage (normally through the benchmark):

    python bench_case.py model SCENARIO SEED KEY=VALUE ...     a whole run
    python bench_case.py count SCENARIO SEED KEY=VALUE ...     the same run, counting messages
    python bench_case.py record SCENARIO SEED PATH KEY=VALUE ...  log contract 0's book messages
    python bench_case.py replay PATH public|internal            replay a log on an empty book
"""

from __future__ import annotations

import importlib
import json
import pickle
import resource
import sys
import time
from typing import Any

import numpy as np


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        out[key] = float(value) if any(ch in value for ch in ".e") else int(value)
    return out


def _model(scenario_name: str, seed: int, pairs: list[str]) -> Any:
    from model.scenario import load_scenario
    from model.simulation import CascadeModel

    scenario = load_scenario(scenario_name, _overrides(pairs))
    return CascadeModel(scenario, rng=np.random.SeedSequence(seed)), scenario


def run_model(scenario_name: str, seed: int, pairs: list[str]) -> dict[str, Any]:
    """Time one run: building the model and running its steps, imports excluded."""
    importlib.import_module("model.simulation")  # imports are start-up, not simulation

    started = time.perf_counter()
    sim, scenario = _model(scenario_name, seed, pairs)
    built, cpu = time.perf_counter(), time.process_time()
    sim.run()
    wall, cpu = time.perf_counter() - built, time.process_time() - cpu
    books = sim.exchange.books
    # steps of one ``step``: every step in a revision without adaptive steps
    stepping = getattr(sim, "stepping", None)
    fine = int(getattr(stepping, "fine_steps", sim.steps))
    messages = sum(b.messages for b in books) if hasattr(books[0], "messages") else None
    return {
        "wall": wall,  # the steps alone; building the model is reported apart
        "cpu": cpu,  # CPU seconds: steadier than wall time on a busy machine
        "build": built - started,
        "sim_seconds": scenario.duration,
        "steps": int(sim.steps),
        "fine_steps": fine,
        "fine_share": fine * scenario.step / scenario.duration,  # of the simulated time
        "agents": len(sim.agents),
        "messages": messages,
    }


def count_messages(scenario_name: str, seed: int, pairs: list[str]) -> dict[str, Any]:
    """Run once with every book method wrapped to count messages (for revisions that do not
    count them; the wrappers' cost makes this run useless for timing)."""
    from model.orderbook import OrderBook

    counter = {"n": 0}

    def counted(name: str, per_item: bool = False):  # type: ignore[no-untyped-def]
        original = getattr(OrderBook, name)

        def wrapper(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            out = original(self, *args, **kwargs)
            counter["n"] += len(out) if per_item else 1
            return out

        setattr(OrderBook, name, wrapper)

    counted("submit")
    counted("cancel")
    counted("cancel_owner", per_item=True)
    counted("resize")
    model, _ = _model(scenario_name, seed, pairs)
    model.run()
    return {"messages": counter["n"]}


def record(scenario_name: str, seed: int, path: str, pairs: list[str]) -> dict[str, Any]:
    """Log every message to contract 0's book during a run, in the public API's terms."""
    model, _ = _model(scenario_name, seed, pairs)
    book = model.exchange.books[0]
    log: list[tuple[Any, ...]] = []

    def wrap(name: str, convert):  # type: ignore[no-untyped-def]
        original = getattr(book, name)

        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            log.append(convert(*args, **kwargs))
            return original(*args, **kwargs)

        setattr(book, name, wrapper)

    if hasattr(book, "enter"):  # the internal door carries every entry, checked or not
        wrap("enter", lambda *a, **k: ("submit", *_entry(*a, **k)))
        wrap("post", lambda o, s, q, p: ("submit", o, s, q, p, 0, True, False, None))
        wrap("reduce", lambda order, qty: ("resize", order.order_id, qty))
    else:
        wrap("submit", lambda *a, **k: ("submit", *_entry(*a, **k)))
        wrap("resize", lambda order_id, qty: ("resize", order_id, qty))
    wrap("cancel", lambda order_id: ("cancel", order_id))
    wrap("cancel_owner", lambda owner: ("cancel_owner", owner))
    model.run()
    with open(path, "wb") as fh:
        pickle.dump(log, fh)
    return {"messages": len(log), **_state(book)}


def _state(book: Any) -> dict[str, Any]:
    """What a replay must reproduce: every level of both sides and the last price."""
    return {
        "bids": book.depth(1, 10**9),
        "asks": book.depth(-1, 10**9),
        "last": book.last_price,
        "resting": len(book),
    }


def _entry(  # type: ignore[no-untyped-def]
    owner, side, qty, price=None, tif=0, post_only=False, reduce_only=False, position=None
):
    return (int(owner), int(side), int(qty), price, int(tif), post_only, reduce_only, position)


def replay(path: str, door: str) -> dict[str, Any]:
    """Replay a message log on an empty book: ``public`` through the checked API, ``internal``
    through the unchecked door the model's agents use (the public API on revisions without
    one)."""
    from model.orderbook import OrderBook, TimeInForce

    with open(path, "rb") as fh:
        log = pickle.load(fh)
    book = OrderBook(0.1, 0.001)
    internal = door == "internal" and hasattr(book, "enter")
    tifs = list(TimeInForce)
    submit, cancel, cancel_owner = book.submit, book.cancel, book.cancel_owner
    started, cpu = time.perf_counter(), time.process_time()
    for msg in log:
        kind = msg[0]
        if kind == "submit":
            _, owner, side, qty, price, tif, post_only, reduce_only, position = msg
            if internal and post_only and tif == 0:
                book.post(owner, side, qty, price)
            elif internal:
                book.enter(owner, side, qty, price, tifs[tif], post_only, reduce_only, position)
            else:
                submit(
                    owner,
                    side,
                    qty,
                    price,
                    tifs[tif],
                    post_only=post_only,
                    reduce_only=reduce_only,
                    position=position,
                )
        elif kind == "cancel":
            cancel(msg[1])
        elif kind == "cancel_owner":
            cancel_owner(msg[1])
        else:
            order = book.get(msg[1])
            if internal and order is not None:
                book.reduce(order, msg[2])
            else:
                book.resize(msg[1], msg[2])
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "messages": len(log), **_state(book)}


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "model":
        out = run_model(argv[1], int(argv[2]), argv[3:])
    elif mode == "count":
        out = count_messages(argv[1], int(argv[2]), argv[3:])
    elif mode == "record":
        out = record(argv[1], int(argv[2]), argv[3], argv[4:])
    elif mode == "replay":
        out = replay(argv[1], argv[2])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    import model

    out["source"] = str(model.__file__)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
