"""The ``cascade`` parser and entry point: one sub-command per module, registered here.

Each command module exposes ``register(subparsers, common)``; ``common`` is a parent parser with
the options every command shares (``--scenario``, ``--seed``, ``--set``, ``--out``). Commands
that run many simulations add `execution_options` (``--workers``, ``--scheduler``, ``--resume``,
``--keep-series``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from experiments.run.provenance import command_line
from model.scenario import ScenarioError

DEFAULT_SCENARIO = "flash-crash"

# Modules that provide sub-commands; each has `register(subparsers, common)`.
COMMAND_MODULES = [
    "experiments.cli.scenarios",
    "experiments.cli.run",
    "experiments.cli.montecarlo",
    "experiments.cli.sweep",
    "experiments.cli.sensitivity",
    "experiments.cli.compare",
    "experiments.dashboard.command",
]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit code 2), like every other
    refusal of invalid input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def common_options() -> argparse.ArgumentParser:
    """Options shared by every command that runs simulations."""
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--scenario",
        default=None,  # filled in by `main`, which notes whether it was given
        help=f"preset name or path to a .toml (default: {DEFAULT_SCENARIO})",
    )
    common.add_argument(
        "--seed", type=int, default=None, help="root seed (default: the scenario's)"
    )
    common.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting by dotted key, e.g. population.max_leverage=20 (repeatable)",
    )
    common.add_argument("--out", default=None, help="output directory")
    return common


def execution_options() -> argparse.ArgumentParser:
    """Options shared by the commands that run many simulations (mc, sweep, sensitivity)."""
    options = OneLineParser(add_help=False)
    options.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="K",
        help="local worker processes; 1 runs in this process (default: one per CPU)",
    )
    options.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler (tcp://host:port) to run on instead of local processes",
    )
    options.add_argument(
        "--resume",
        action="store_true",
        help="continue the experiment in --out: run only the runs it lacks",
    )
    options.add_argument(
        "--keep-series",
        action="store_true",
        help="also write each run's time series and events to OUT/runs/<i>/",
    )
    return options


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available sub-command."""
    parser = OneLineParser(
        prog="cascade",
        description="perp-cascade: liquidation cascades on leveraged perpetual futures",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_options()
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # command not built yet
        module.register(subparsers, common)
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line; add the command as typed (for provenance) and fill in the default
    scenario, noting whether ``--scenario`` was given (``cascade run --from`` refuses it)."""
    args = parser.parse_args(argv)
    args.command_line = command_line(sys.argv[1:] if argv is None else list(argv))
    if hasattr(args, "scenario"):  # commands with the common options
        args.scenario_given = args.scenario is not None
        args.scenario = args.scenario or DEFAULT_SCENARIO
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cascade`` console script.

    Chooses matplotlib's backend (``Agg``: plots go to files, no display needed); no library
    module does, so importing them in a notebook keeps the notebook's backend.
    """
    import matplotlib

    matplotlib.use("Agg")
    parser = build_parser()
    args = parse_args(parser, argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        # Invalid input: one line naming the field or file, what is wrong and what is allowed.
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
