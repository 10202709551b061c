"""Speed benchmark: wall time of whole runs and of the hot parts of a step.

Run with ``make bench`` (or ``python -m experiments.benchmark --scenario NAME --repeats N``).
Benchmarks measure speed; the test suite never asserts wall-clock times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

import numpy as np

from model.scenario import load_scenario, parse_overrides


def time_runs(scenario_name: str, repeats: int, overrides: dict[str, object]) -> list[float]:
    """Wall seconds of ``repeats`` full runs (seeds 1..repeats)."""
    from model.simulation import CascadeModel

    scenario = load_scenario(scenario_name, overrides)
    times = []
    for seed in range(1, repeats + 1):
        start = time.perf_counter()
        CascadeModel(scenario, rng=np.random.SeedSequence(seed)).run()
        times.append(time.perf_counter() - start)
    return times


def profile_run(scenario_name: str, overrides: dict[str, object], top: int = 25) -> str:
    """cProfile table of one run, sorted by cumulative time."""
    from model.simulation import CascadeModel

    scenario = load_scenario(scenario_name, overrides)
    profiler = cProfile.Profile()
    profiler.enable()
    CascadeModel(scenario, rng=np.random.SeedSequence(1)).run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Print run times (and optionally a profile) for a scenario."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="flash-crash")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--profile", action="store_true", help="print a cProfile table")
    args = parser.parse_args(argv)
    overrides = parse_overrides(args.overrides)
    scenario = load_scenario(args.scenario, overrides)
    times = time_runs(args.scenario, args.repeats, overrides)
    steps = scenario.n_steps
    median = statistics.median(times)
    print(f"scenario {args.scenario}: {steps} steps, {args.repeats} runs")
    print(f"  wall per run: median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f})")
    print(f"  per step: {median / steps * 1e3:.2f} ms; runs per minute (1 core): {60 / median:.1f}")
    if args.profile:
        print(profile_run(args.scenario, overrides))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
