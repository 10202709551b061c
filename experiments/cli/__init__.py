"""The ``cascade`` command line: the parser and one module per sub-command.

`experiments.cli.main.main` is the console script. It is the only place that chooses
matplotlib's backend (``Agg``, for files): importing any library module leaves a notebook's
backend alone.
"""

from experiments.cli.main import main

__all__ = ["main"]
