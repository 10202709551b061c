"""``python -m experiments.figures --quick|--full``: regenerate every figure the docs quote."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import matplotlib

from experiments.figures.jobs import FULL, JOBS, QUICK
from experiments.figures.stamp import ROOT, Stamp, git_commit, source_digest

DEFAULT_OUT = ROOT / "docs" / "figures"


def main(argv: list[str] | None = None) -> int:
    """Run the jobs (all, or those named with ``--only``) and print how long each took."""
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="a few minutes on 2 cores")
    mode.add_argument("--full", action="store_true", help="the long experiments (hours)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: docs/figures")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--only", action="append", choices=sorted(JOBS), help="run only these")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    size = QUICK if args.quick else FULL
    command = "python -m experiments.figures " + ("--quick" if args.quick else "--full")
    stamp = Stamp(command=command, commit=git_commit(), source_digest=source_digest())
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for name in args.only or list(JOBS):
        began = time.perf_counter()
        paths = JOBS[name](args.out, size, stamp, args.workers)
        took = time.perf_counter() - began
        print(f"{name}: {len(paths)} files in {took:.0f} s", flush=True)
    total = time.perf_counter() - started
    cpus = os.cpu_count()
    print(f"done in {total:.0f} s ({args.workers} workers, {cpus} CPUs) at {stamp.commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
