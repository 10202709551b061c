"""``cascade report NAME`` and ``cascade bench``: the tools with their own command line.

Every module under `experiments.reports` that defines ``main(argv)`` is a report, named after
the module (``event_targets`` is ``cascade report event-targets``); ``cascade bench`` is
`experiments.perf.benchmark`. The words after the name go to the tool's own parser, so its
``--help`` and options are the same as with ``python -m``. The listing reads each module's
source, not the module: listing imports nothing heavy.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
from pathlib import Path

REPORTS_PACKAGE = "experiments.reports"
REPORTS_DIR = Path(__file__).parents[1] / "reports"
BENCH_MODULE = "experiments.perf.benchmark"
BENCH_HELP = "speed benchmark: fixed cases, optionally against an older revision (--help: its own)"


def first_line(docstring: str | None) -> str:
    """The first sentence line of a docstring, without its final full stop."""
    return (docstring or "").strip().split("\n")[0].rstrip(".")


def report_modules() -> dict[str, tuple[str, str]]:
    """Report name -> (module, first line of its docstring), for every report with a ``main``."""
    found = {}
    for path in sorted(REPORTS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        if any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
            name = path.stem.replace("_", "-")
            found[name] = (f"{REPORTS_PACKAGE}.{path.stem}", first_line(ast.get_docstring(tree)))
    return found


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade report`` (one sub-command per report) and ``cascade bench``."""
    del common
    parser = subparsers.add_parser(
        "report",
        help="reports over the runs of an experiment directory (cascade report NAME --help)",
        description="Run one report over an experiment's directory. Every word after NAME goes "
        "to the report's own command line (the same as python -m experiments.reports.MODULE); "
        "cascade report NAME --help shows its options.",
    )
    reports = parser.add_subparsers(dest="report", metavar="NAME", required=True)
    for name, (_, help_line) in report_modules().items():
        reports.add_parser(name, help=help_line, add_help=False)
    subparsers.add_parser(
        "bench",
        help=BENCH_HELP,
        add_help=False,
        description="The speed benchmark (python -m experiments.perf.benchmark); cascade bench "
        "--help shows its options.",
    )


def delegate(words: list[str]) -> int | None:
    """Run ``cascade report NAME ...`` or ``cascade bench ...`` by the tool's own ``main``;
    None when ``words`` name neither (the parser then answers, listing what exists)."""
    if words[:1] == ["bench"]:
        module, rest, prog = BENCH_MODULE, words[1:], "cascade bench"
    elif words[:1] == ["report"] and len(words) > 1 and words[1] in report_modules():
        module, rest = report_modules()[words[1]][0], words[2:]
        prog = f"cascade report {words[1]}"
    else:
        return None
    import matplotlib

    matplotlib.use("Agg")
    # The tool's parser names itself after sys.argv[0]: show the command as the user typed it.
    program, sys.argv[0] = sys.argv[0], prog
    try:
        return int(importlib.import_module(module).main(rest) or 0)
    finally:
        sys.argv[0] = program
