"""Speed benchmark: fixed cases, each in a fresh process, optionally side by side with an older
revision.

    make bench                                         # every standard case on this tree
    python -m experiments.perf.benchmark --against 63b7734  # ratios against a revision
    python -m experiments.perf.benchmark --cases traders-100k --repeats 1
    python -m experiments.perf.benchmark --profile default  # where the time goes (cProfile)
    python -m experiments.perf.benchmark --phases default   # ... by phase of the step

For each case it prints simulated seconds per wall second, agent-steps per second (agents ×
steps / wall), book messages per second, peak memory, the number of steps and the share of the
simulated time spent in steps of one ``step`` (`_fine`). With ``--against REV`` it checks REV
out in a temporary git worktree, runs the two trees alternately (so drifts in machine load hit
both alike) and prints the ratio of their speeds with its spread over the repeats, because
absolute times move between machines and between runs. Benchmarks measure speed; the test suite
never asserts wall-clock times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.perf.worktree import ROOT, checkout

CASE_SCRIPT = Path(__file__).resolve().parent / "bench_case.py"


@dataclass(frozen=True)
class Case:
    """A benchmark case: a scenario with overrides, or the book-only replay."""

    name: str
    scenario: str = "flash-crash"
    overrides: tuple[str, ...] = ()
    replay: bool = False


def _traders(n: int) -> tuple[str, ...]:
    """One simulated hour with ``n`` traders, in the issue's proportions (70% leveraged, 25%
    noise, 4% momentum, plus the scenario's makers, arbitrageurs and whales)."""
    return (
        "duration=3600.0",
        f"population.leveraged={int(0.70 * n)}",
        f"population.noise={int(0.25 * n)}",
        f"population.momentum={int(0.04 * n)}",
    )


CASES = {
    "default": Case("default"),
    "traders-1k": Case("traders-1k", overrides=_traders(1_000)),
    "traders-10k": Case("traders-10k", overrides=_traders(10_000)),
    "traders-100k": Case("traders-100k", overrides=_traders(100_000)),
    "book-replay": Case("book-replay", replay=True),
}
STANDARD = ("default", "traders-1k", "traders-10k", "book-replay")


def _run(tree: Path, args: list[str]) -> dict[str, Any]:
    """Run the case script in a fresh interpreter on the source tree ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    with tempfile.TemporaryDirectory() as tmp:  # the script runs from outside any tree
        script = Path(tmp) / "bench_case.py"
        shutil.copy(CASE_SCRIPT, script)
        done = subprocess.run(
            [sys.executable, str(script), *args],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark case {args} failed on {tree}:\n{done.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not out["source"].startswith(str(tree)):
        raise RuntimeError(f"case ran {out['source']}, not the tree {tree}")
    return out


def measure(case: Case, tree: Path, stream: Path | None, door: str = "internal") -> dict[str, Any]:
    """One timed run of a case on a tree."""
    if case.replay:
        assert stream is not None
        out = _run(tree, ["replay", str(stream), door])
        out["messages_per_s"] = out["messages"] / out["wall"]
        return out
    out = _run(tree, ["model", case.scenario, "1", *case.overrides])
    out["sim_per_wall"] = out["sim_seconds"] / out["wall"]
    out["agent_steps_per_s"] = out["agents"] * out["steps"] / out["wall"]
    if out["messages"] is None and out["wall"] < 120:  # a revision without a message counter
        out["messages"] = _run(tree, ["count", case.scenario, "1", *case.overrides])["messages"]
    if out["messages"] is not None:
        out["messages_per_s"] = out["messages"] / out["wall"]
    return out


def _speed(case: Case, result: dict[str, Any], clock: str = "wall") -> float:
    """Work per second of ``clock`` (wall or CPU time): messages, or simulated seconds."""
    work = result["messages"] if case.replay else result["sim_seconds"]
    return float(work / result[clock])


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _fine(result: dict[str, Any]) -> str:
    """The share of simulated time a run spent in steps of one ``step`` (all of it with fixed
    steps; with adaptive ones, the time around triggers, events and accounts near liquidation)."""
    share = result.get("fine_share")
    return "n/a" if share is None else f"{share:.0%}"


def _row(label: str, results: list[dict[str, Any]], case: Case) -> str:
    best = min(results, key=lambda r: r["wall"])
    median_wall = statistics.median(r["wall"] for r in results)
    median_cpu = statistics.median(r["cpu"] for r in results)
    if case.replay:
        return (
            f"  {label:<8} wall {median_wall:7.2f} s  cpu {median_cpu:7.2f} s   "
            f"{_fmt(best['messages_per_s'])} msg/s   "
            f"{best['messages']:,} messages   peak {best['peak_mb']:,.0f} MB"
        )
    msgs = best.get("messages_per_s")
    return (
        f"  {label:<8} wall {median_wall:7.2f} s  cpu {median_cpu:7.2f} s   "
        f"{best['sim_per_wall']:8.1f} sim-s/s   "
        f"{best['agent_steps_per_s']:>12,.0f} agent-steps/s   {_fmt(msgs)} msg/s   "
        f"peak {best['peak_mb']:,.0f} MB   ({best['agents']:,} agents, {best['steps']:,} steps, "
        f"{_fine(best)} of the time in one-step steps, {_fmt(best['messages'])} messages)"
    )


def _record_stream(tree: Path, directory: Path) -> Path:
    path = directory / "book-stream.pkl"
    _run(tree, ["record", "flash-crash", "1", str(path)])
    return path


def benchmark(
    cases: list[str], repeats: int, against: str | None, door: str = "internal"
) -> dict[str, Any]:
    """Run every case ``repeats`` times (alternating with REV when given); print and return
    the measurements."""
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        other = stack.enter_context(checkout(against, ROOT)) if against else None
        # the replay stream comes from this tree's default run; both trees replay the same
        stream = _record_stream(ROOT, work) if "book-replay" in cases else None
        for name in cases:
            case = CASES[name]
            mine: list[dict[str, Any]] = []
            theirs: list[dict[str, Any]] = []
            print(f"{name}: {' '.join(case.overrides) or case.scenario}", flush=True)
            for _ in range(repeats):
                mine.append(measure(case, ROOT, stream, door))
                if other is not None:
                    theirs.append(measure(case, other, stream, door))
            print(_row("this", mine, case), flush=True)
            entry: dict[str, Any] = {"this": mine}
            if other is not None:
                print(_row(against or "", theirs, case), flush=True)
                for clock in ("wall", "cpu"):
                    ratios = [
                        _speed(case, a, clock) / _speed(case, b, clock)
                        for a, b in zip(mine, theirs, strict=True)
                    ]
                    entry[f"ratios_{clock}"] = ratios
                    print(
                        f"  speed-up ({clock:>4} time) {statistics.median(ratios):5.2f}x "
                        f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {len(ratios)} pairs)",
                        flush=True,
                    )
                entry["against"] = theirs
            report[name] = entry
    return report


def _case_model(name: str) -> Any:
    """The model of a model case, built in this process (seed 1)."""
    import numpy as np

    from model.scenario import load_scenario
    from model.simulation import CascadeModel

    case = CASES[name]
    overrides: dict[str, Any] = {}
    for pair in case.overrides:
        key, value = pair.split("=", 1)
        overrides[key] = float(value)
    scenario = load_scenario(case.scenario, overrides)
    return CascadeModel(scenario, rng=np.random.SeedSequence(1))


def profile_case(name: str, top: int = 30) -> str:
    """cProfile table (CPU time) of one run of a case in this process, sorted by own time."""
    model = _case_model(name)
    # CPU time, not wall time: on a shared machine a wall-clock profile charges whatever
    # function was running when the process was descheduled
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    model.run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def phases_case(name: str) -> str:
    """CPU seconds and share of each phase of the step in one run of a case
    (`experiments.perf.phases`), as a markdown table."""
    from experiments.perf.phases import phases_of
    from experiments.reports.distributions import markdown_table

    return "\n".join(markdown_table(phases_of(_case_model(name))))


def main(argv: list[str] | None = None) -> int:
    """Command line of the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases",
        default=",".join(STANDARD),
        help=f"comma-separated, from {', '.join(CASES)} (default: {','.join(STANDARD)})",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per case and tree")
    parser.add_argument("--against", metavar="REV", help="a git revision to compare with")
    parser.add_argument(
        "--door",
        choices=("internal", "public"),
        default="internal",
        help="book-replay through the agents' unchecked door or the checked public API",
    )
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--profile", metavar="CASE", help="print a cProfile table of one case")
    parser.add_argument(
        "--phases", metavar="CASE", help="print the CPU share of each phase of the step in one case"
    )
    args = parser.parse_args(argv)
    for option, make_table in (("profile", profile_case), ("phases", phases_case)):
        case = getattr(args, option)
        if case:
            if case not in CASES or CASES[case].replay:
                models = ", ".join(c for c in CASES if not CASES[c].replay)
                parser.error(f"--{option} takes a model case: {models}")
            print(make_table(case))
            return 0
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    if args.repeats < 1:
        parser.error("--repeats must be ≥ 1")
    # a terminated benchmark still removes its temporary worktree (the `finally` below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    report = benchmark(cases, args.repeats, args.against, args.door)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
