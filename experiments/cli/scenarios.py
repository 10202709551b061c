"""``cascade scenarios``: list the presets, or show one fully resolved."""

from __future__ import annotations

import argparse

from experiments.cli.main import add_command
from experiments.options import add_set_option


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade scenarios``."""
    del common
    parser = add_command(
        subparsers,
        "scenarios",
        help="list scenario presets, or --show NAME to print every resolved setting",
        description="List the scenario presets with their venue and description, or print "
        "every dotted key of one scenario (with --set applied) and its value.",
    )
    parser.add_argument("--show", metavar="NAME|PATH", help="print one scenario, every dotted key")
    add_set_option(
        parser, "with --show: override a setting by dotted key (repeatable; syntax below)"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the presets, or one scenario's every setting."""
    from rich.console import Console
    from rich.table import Table

    from model.scenario import available_scenarios, load_scenario, parse_overrides

    console = Console()
    if args.show:
        scenario = load_scenario(args.show, parse_overrides(args.overrides))
        table = Table(title=f"{scenario.name}: {scenario.description}")
        table.add_column("key")
        table.add_column("value")
        for key, value in scenario.flat().items():
            table.add_row(key, repr(value))
        console.print(table)
        return 0
    table = Table(title="scenario presets (cascade run --scenario NAME)")
    table.add_column("name")
    table.add_column("venue")
    table.add_column("description")
    for name in available_scenarios():
        scenario = load_scenario(name)
        table.add_row(name, scenario.venue.name, scenario.description)
    console.print(table)
    return 0
