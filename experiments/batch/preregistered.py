"""What every pre-registered target experiment shares: its seeds and ``--set`` settings on the
command line, bootstrap bands over whole seeds, a row per target judged hit or miss, and runs
spread over worker processes with their results in a fixed order: the experiment's jobs through
an `Executor` (`experiments.batch.price_targets`, `dip_buyers`) or a function over tasks
(`calm_targets`, `calm_tails`, `big_moves`, `price_checks`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from experiments.batch.executor import Executor, Job, default_workers
from model.overrides import parse_overrides
from model.scenario import ScenarioError

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


def checked_overrides(
    parser: argparse.ArgumentParser,
    overrides: list[str],
    check: Callable[[dict[str, Any]], object],
) -> dict[str, Any]:
    """The ``--set KEY=VALUE`` settings, once ``check`` has accepted them (it builds the
    command's scenario with them); a malformed pair, an unknown key or a value ``check`` refuses
    (`ValueError`, `ScenarioError`) is a usage error: ``parser.error``, the message, exit status 2.
    """
    try:
        settings = parse_overrides(overrides)
        check(settings)
    except (ValueError, ScenarioError) as exc:
        parser.error(str(exc))
    return settings


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


def counted[T](results: Iterable[T], total: int) -> Iterator[T]:
    """``results`` as they come, with a count of the ``total`` runs finished on stderr."""
    for done, result in enumerate(results, 1):
        yield result
        print(f"\r{done}/{total} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def map_in_workers[T, R](fn: Callable[[T], R], tasks: list[T], workers: int | None) -> list[R]:
    """``fn`` over ``tasks`` in fresh worker processes, results in the order of the tasks,
    with a count of finished runs on stderr."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers or default_workers(), mp_context=context) as pool:
        return list(counted(pool.map(fn, tasks), len(tasks)))


def run_jobs(
    jobs: Sequence[Job], labels: Sequence[str], workers: int | None
) -> list[dict[str, Any]]:
    """Every job's record (`experiments.batch.executor.execute`) in the order of the jobs, run
    on an `Executor` of ``workers`` with a count of finished runs on stderr; a run that fails
    stops them all with a `RuntimeError` naming it by its label (one per job)."""
    label = {job.run: text for job, text in zip(jobs, labels, strict=True)}
    records: dict[int, dict[str, Any]] = {}
    with Executor(workers) as executor:
        for record in counted(executor.run(jobs), len(jobs)):
            if record["status"] != "ok":
                raise RuntimeError(f"{label[record['run']]}: {record['error']}")
            records[record["run"]] = record
    return [records[job.run] for job in jobs]
