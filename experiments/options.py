"""Command-line options that the ``cascade`` sub-commands and the experiment modules share.

Only `argparse` is imported here, so a command's ``--help`` stays as light as the CLI needs it.
"""

from __future__ import annotations

import argparse

SET_HELP = "a further setting for every run (dotted key, as cascade run --set)"


def add_set_option(parser: argparse.ArgumentParser, help: str = SET_HELP) -> None:
    """``--set KEY=VALUE`` (repeatable) into ``args.overrides``, with its ``help`` text."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=help,
    )
