"""Execute the research notebooks: in their fast CI mode (the tests) or in full, saved in place.

Every notebook reads ``CASCADE_FAST``: ``1`` shrinks its runs so the test suite stays fast;
unset, it runs the full study. ``make notebooks`` runs them all in full and writes each back
with its outputs, so they render on GitHub:

    python -m experiments.notebooks notebooks/           # every notebook, in full, saved
    python -m experiments.notebooks notebooks/x.ipynb --fast --no-save

The kernel runs with the notebook's folder as working directory; notebooks write what they
write to temporary directories, never into the repository.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT = 3600  # seconds for one cell (a full sweep is one cell)


@dataclass
class Execution:
    """How long one notebook took: wall-clock and CPU seconds (kernel and its workers)."""

    path: Path
    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute(path: Path, *, fast: bool, save: bool) -> Execution:
    """Run every cell of the notebook at ``path`` in a fresh kernel; raise on the first error.

    Args:
        path: the .ipynb file.
        fast: set ``CASCADE_FAST=1`` for the kernel (CI mode); otherwise remove it (full mode).
        save: write the executed notebook, outputs included, back to ``path``.
    """
    nb = nbformat.read(path, as_version=4)
    saved = os.environ.get("CASCADE_FAST")
    if fast:
        os.environ["CASCADE_FAST"] = "1"
    else:
        os.environ.pop("CASCADE_FAST", None)
    started, cpu = time.perf_counter(), _children_cpu()
    try:
        client = NotebookClient(
            nb,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        if saved is None:
            os.environ.pop("CASCADE_FAST", None)
        else:
            os.environ["CASCADE_FAST"] = saved
    execution = Execution(path, time.perf_counter() - started, _children_cpu() - cpu)
    if save:
        nbformat.write(nb, path)
    return execution


def notebook_paths(targets: list[Path]) -> list[Path]:
    """The notebooks named, or every ``*.ipynb`` in the folders named, sorted."""
    paths: list[Path] = []
    for target in targets:
        paths += sorted(target.glob("*.ipynb")) if target.is_dir() else [target]
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", type=Path, nargs="+", help="notebooks or folders of them")
    parser.add_argument("--fast", action="store_true", help="CASCADE_FAST=1 (the CI mode)")
    parser.add_argument("--no-save", action="store_true", help="do not write outputs back")
    args = parser.parse_args(argv)
    total_wall = total_cpu = 0.0
    for path in notebook_paths(args.targets):
        print(f"{path} ...", flush=True)
        done = execute(path, fast=args.fast, save=not args.no_save)
        total_wall += done.wall
        total_cpu += done.cpu
        print(f"{path}: {done.wall:.0f} s wall, {done.cpu:.0f} s CPU", flush=True)
    print(f"all: {total_wall:.0f} s wall, {total_cpu:.0f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
