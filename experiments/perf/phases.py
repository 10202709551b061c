"""Where a run's time goes, by phase of the step: CPU seconds and shares.

cProfile (``--profile``) charges a cost to every Python call, so call-heavy code looks heavier
than it is. This times only the phases of `CascadeModel.step` (the fundamental value, the spot
venues' trading, the perpetual's trading, the index, funding, the mark, the risk check,
liquidation, herding, settlement, recording), a few dozen timer calls a step, and within the two
trading phases the quoters (perpetual makers, spot makers, arbitrageurs), whose share bounds what
a faster book and quoting kernel could give a whole run.

    python -m experiments.perf.benchmark --phases default
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

# (label, owner attribute path on the model, method name): the step's phases, in step order
STEP_PHASES = (
    ("fundamental value", "fundamental_process", "step"),
    ("spot venues trade", "population", "trade_spot"),
    ("perpetual trades", "population", "trade_perp"),
    ("index", "market", "_publish_index"),
    ("funding", "market", "_fund"),
    ("mark price", "market", "_update_mark"),
    ("liquidation", "liquidator", "run"),
    ("herding", "population", "react"),
    ("settlement (fund, ADL)", "liquidator", "settle"),
    ("recording", "recorder", "record"),
    ("account snapshots", "snapshots", "maybe_record"),
)
RISK = "risk check"


def _quoters() -> tuple[tuple[str, type, str, str], ...]:
    """(label, class, method, phase it runs in) of the quoting agents."""
    from agents.arbitrageur import Arbitrageur
    from agents.market_maker import MarketMaker
    from agents.spot_maker import SpotMaker

    return (
        ("perpetual makers quote", MarketMaker, "quote", "perpetual trades"),
        ("arbitrageurs", Arbitrageur, "act", "perpetual trades"),
        ("spot makers quote", SpotMaker, "quote", "spot venues trade"),
    )


def _timed(label: str, f: Callable[..., Any], spent: defaultdict[str, float]) -> Callable[..., Any]:
    clock = time.process_time

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return f(*args, **kwargs)
        finally:
            spent[label] += clock() - start

    return timed


@contextmanager
def timing(sim: Any) -> Iterator[defaultdict[str, float]]:
    """Time ``sim``'s step phases (and the quoters') while the block runs; the counter of CPU
    seconds per label fills as the model steps. Everything is put back afterwards."""
    from model import market

    spent: defaultdict[str, float] = defaultdict(float)
    patched: list[tuple[Any, str, Any, bool]] = []  # (owner, name, original, on the instance)
    try:
        for label, path, name in STEP_PHASES:
            owner = sim
            for part in filter(None, path.split(".")):
                owner = getattr(owner, part)
            if owner is None:  # e.g. no spot venues
                continue
            original = getattr(owner, name)
            patched.append((owner, name, original, True))
            setattr(owner, name, _timed(label, original, spent))
        patched.append((market, "assess", market.assess, False))
        market.assess = _timed(RISK, market.assess, spent)  # type: ignore[assignment]
        for label, cls, name, _ in _quoters():
            original = cls.__dict__[name]
            patched.append((cls, name, original, False))
            setattr(cls, name, _timed(label, original, spent))
        yield spent
    finally:
        for owner, name, original, on_instance in reversed(patched):
            if on_instance:
                delattr(owner, name)  # the class's method shows through again
            else:
                setattr(owner, name, original)


def phase_table(spent: defaultdict[str, float], total: float) -> pd.DataFrame:
    """Rows in step order: each phase's CPU seconds and share (%) of ``total``, the quoters
    indented under the phase they run in, and the rest (Mesa's loop, the timers)."""

    def row(label: str, seconds: float) -> dict[str, object]:
        return {"phase": label, "CPU s": seconds, "share %": 100 * seconds / total}

    order = [label for label, _, _ in STEP_PHASES]
    order.insert(order.index("mark price") + 1, RISK)  # the step assesses risk on the new mark
    rows = []
    for label in order:
        if label not in spent:
            continue
        rows.append(row(label, spent[label]))
        rows += [
            row(f"  of which {sub}", spent[sub])
            for sub, _, _, phase in _quoters()
            if phase == label and sub in spent
        ]
    top = sum(spent[label] for label in order)
    rows.append(row("other (Mesa's loop, timers)", total - top))
    rows.append(row("whole run", total))
    return pd.DataFrame(rows)


def phases_of(sim: Any) -> pd.DataFrame:
    """Run the model ``sim`` to its end with its phases timed; their table (`phase_table`)."""
    with timing(sim) as spent:
        start = time.process_time()
        sim.run()
        total = time.process_time() - start
    return phase_table(spent, total)
