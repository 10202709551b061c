"""What every pre-registered target experiment shares: its seeds on the command line, bootstrap
bands over whole seeds, a row per target judged hit or miss, and runs spread over worker
processes in a fixed order (`experiments.batch.price_targets`, `calm_targets`, `big_moves`,
`price_checks`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from experiments.batch.executor import default_workers

BANDS = (0.05, 0.95)  # a 90% band
RESAMPLES = 2000


def parse_seeds(
    parser: argparse.ArgumentParser,
    text: str,
    targets: Sequence[int],
    held_out: Sequence[int],
) -> list[int]:
    """``targets``, ``held-out`` or a comma-separated list; anything else is a usage error."""
    named = {"targets": targets, "held-out": held_out}
    try:
        return list(named.get(text) or [int(s) for s in text.split(",")])
    except ValueError:
        parser.error(f"--seeds: targets, held-out or comma-separated integers, got {text!r}")


def bootstrap_band(
    values: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    seed: int = 0,
    *,
    ignore_nan: bool = False,
) -> tuple[float, float]:
    """90% band of ``statistic`` over resamples of the rows of ``values`` (whole seeds);
    ``ignore_nan`` leaves out resamples whose statistic is NaN."""
    rng = np.random.default_rng(seed)
    n = len(values)
    stats = [statistic(values[rng.integers(0, n, n)]) for _ in range(RESAMPLES)]
    low, high = (np.nanquantile if ignore_nan else np.quantile)(stats, BANDS)
    return float(low), float(high)


def target_row(
    target: str, value: float, band: tuple[float, float], bar: str, hit: bool
) -> dict[str, Any]:
    """One target's row: its measure, band, the bar it must clear, hit or miss."""
    return {
        "target": target,
        "value": value,
        "band 5%": band[0],
        "band 95%": band[1],
        "bar": bar,
        "result": "hit" if hit else "miss",
    }


def add_prices_option(parser: argparse.ArgumentParser) -> None:
    """``--prices flow|value``: prices made by trading (the default) or told to the makers."""
    parser.add_argument(
        "--prices",
        choices=("flow", "value"),
        default="flow",
        help="flow: makers learn prices from order flow (default); value: makers are told the "
        "value signal (the scripted baseline)",
    )


def map_in_workers[T, R](fn: Callable[[T], R], tasks: list[T], workers: int | None) -> list[R]:
    """``fn`` over ``tasks`` in fresh worker processes, results in the order of the tasks,
    with a count of finished runs on stderr."""
    results = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers or default_workers(), mp_context=context) as pool:
        for done, result in enumerate(pool.map(fn, tasks), 1):
            results.append(result)
            print(f"\r{done}/{len(tasks)} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return results
