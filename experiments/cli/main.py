"""The ``cascade`` parser and entry point: one sub-command per module, registered here.

Each command module exposes ``register(subparsers, common)``; ``common`` is a parent parser with
the options every command shares (``--scenario``, ``--seed``, ``--set``, ``--out``). Commands
that run many simulations add `execution_options` (``--workers``, ``--scheduler``, ``--resume``,
``--keep-series``).

Building the parser imports nothing heavy: the command modules import pandas, Mesa, SALib and
matplotlib inside their handlers, so ``--help``, ``--version`` and a mistyped option answer at
once. A command whose module is not light (the dashboard's) is registered in full only when it
is the command given; otherwise the parser lists it by name and help line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any, NoReturn

from experiments.options import add_set_option

DEFAULT_SCENARIO = "flash-crash"
DISTRIBUTION = "perp-cascade"

# Modules that provide sub-commands; each has `register(subparsers, common)` and imports only
# light modules at the top.
COMMAND_MODULES = [
    "experiments.cli.scenarios",
    "experiments.cli.run",
    "experiments.cli.montecarlo",
    "experiments.cli.sweep",
    "experiments.cli.sensitivity",
    "experiments.cli.calibrate",
    "experiments.cli.compare",
    "experiments.cli.report",  # also `cascade bench`
]
# Commands whose module imports heavy libraries when imported: name -> (module, help line).
DEFERRED_COMMANDS = {
    "dashboard": (
        "experiments.dashboard.command",
        "live dashboard in the browser: pick a scenario, move sliders, play and step",
    ),
}

# The --set syntax, shown at the end of every simulating command's help and in docs/cli.md;
# each example is shell text (quoted where the shell needs it) and what it sets.
SET_EXAMPLES = [
    ("population.max_leverage=20", "a number"),
    ("venue=okx", "text: a venue preset by name"),
    ("venue.adl.ranking=minimal", "text (or TOML's '\"minimal\"')"),
    ("population.cap_providers=false", "a boolean"),
    ("spot.weights=[0.5,0.3,0.2]", "a list (TOML array)"),
    ("index.shocks=[]", "an empty list: no shocks"),
    (
        "'index.shocks=[{start=300, duration=60, change_pct=-10}]'",
        "a list of tables (TOML inline tables)",
    ),
    ("'population.leverage={median=10, sigma=0.5}'", "a table (left-out fields: defaults)"),
    ("index.shocks.0.change_pct=-10", "a field of a list's first entry"),
]
SET_SYNTAX = (
    "--set KEY=VALUE overrides a setting by its dotted key (cascade scenarios --show\n"
    "NAME lists every key). VALUE is a TOML value; what is not valid TOML is text.\n"
    + "".join(
        f"  --set {example:<36} {meaning}\n"
        if len(example) <= 36
        else f"  --set {example}\n{'':<44}{meaning}\n"
        for example, meaning in SET_EXAMPLES
    )
    + "Tables are TOML inline tables, {key=value, ...}, not JSON: keys are joined to\n"
    'values with "=", not ":". Quote the whole option in the shell when it has spaces,\n'
    "brackets or braces."
)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit code 2), like every other
    refusal of invalid input."""

    raw_epilog = ""  # text shown after the options as written, line breaks kept

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")

    def format_help(self) -> str:
        return super().format_help() + (f"\n{self.raw_epilog}\n" if self.raw_epilog else "")


def package_version() -> str:
    """The installed distribution's version (package metadata), or a note that it is not
    installed."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed; pip install -e .)"


class VersionAction(argparse.Action):
    """``--version``: print ``cascade <version>`` and exit; the version is looked up only then."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kw: Any):
        kw.setdefault("help", "print the version and exit")
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, nargs=0, **kw)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"{parser.prog} {package_version()}")
        parser.exit(0)


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
    add_set_option(
        common,
        "override a setting by dotted key; VALUE is TOML: population.max_leverage=20, "
        "spot.weights=[0.5,0.3,0.2], 'index.shocks=[{start=300, duration=60, change_pct=-10}]' "
        "(repeatable; more at the end of this help)",
    )
    common.add_argument("--out", default=None, help="output directory")
    return common


def add_command(
    subparsers: argparse._SubParsersAction, name: str, **kw: Any
) -> argparse.ArgumentParser:
    """A sub-command parser that explains the ``--set`` syntax at the end of its help."""
    parser = subparsers.add_parser(name, **kw)
    parser.raw_epilog = SET_SYNTAX
    return parser


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


def chosen_command(argv: list[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser with every sub-command.

    Args:
        argv: the command line about to be parsed. A deferred command (`DEFERRED_COMMANDS`) is
            registered in full when ``argv`` names it or is None, else listed by name only.
    """
    parser = OneLineParser(
        prog="cascade",
        description="perp-cascade: liquidation cascades on leveraged perpetual futures",
    )
    parser.add_argument("--version", action=VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_options()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    command = None if argv is None else chosen_command(argv)
    for name, (module, help_line) in DEFERRED_COMMANDS.items():
        if argv is None or command == name:
            importlib.import_module(module).register(subparsers, common)
        else:
            subparsers.add_parser(name, help=help_line, add_help=False)
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line; add the command as typed (for provenance) and fill in the default
    scenario, noting whether ``--scenario`` was given (``cascade run --from`` refuses it)."""
    args = parser.parse_args(argv)  # --help and a wrong option exit here, before any import
    from experiments.run.provenance import command_line

    args.command_line = command_line(sys.argv[1:] if argv is None else list(argv))
    if hasattr(args, "scenario"):  # commands with the common options
        args.scenario_given = args.scenario is not None
        args.scenario = args.scenario or DEFAULT_SCENARIO
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cascade`` console script.

    Chooses matplotlib's backend (``Agg``: plots go to files, no display needed) once the
    command line is parsed; no library module does, so importing them in a notebook keeps the
    notebook's backend.
    """
    from experiments.cli.report import delegate

    words = sys.argv[1:] if argv is None else list(argv)
    delegated = delegate(words)  # cascade report NAME ... and cascade bench ...
    if delegated is not None:
        return delegated
    parser = build_parser(words)
    if chosen_command(words) is None:
        parser.parse_args(words)  # --help, --version or a wrong option exit here
        parser.print_help()
        return 0
    args = parse_args(parser, words)
    import matplotlib

    from experiments.cli.hints import explain
    from model.scenario import ScenarioError

    matplotlib.use("Agg")
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        # Invalid input: one line naming the field or file, what is wrong and what is allowed.
        print("error: " + " ".join(explain(str(exc), args).split()), file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
