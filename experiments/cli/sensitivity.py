"""``cascade sensitivity``: Sobol or Morris indices of the outcomes to chosen settings."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from rich.console import Console

from experiments.batch.sensitivity import (
    DEFAULT_OUTCOMES,
    METHODS,
    TABLE,
    parse_params,
    sensitivity,
)
from experiments.cli.console import frame_table, run_progress
from experiments.cli.main import execution_options
from experiments.cli.montecarlo import default_out, interrupted, report_failures
from model.scenario import parse_overrides


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade sensitivity``."""
    parser = subparsers.add_parser(
        "sensitivity",
        parents=[common, execution_options()],
        help="global sensitivity analysis (SALib Sobol or Morris) of the outcomes",
        description="Sample the settings given with --param (Sobol: scrambled Sobol' sequence; "
        "Morris: optimised trajectories), run each point with R paired seeds, average, and "
        "write indices.csv, runs.parquet, points.parquet, report.md and plots. --out defaults "
        "to runs/<method>-<scenario>-<root>/.",
    )
    parser.add_argument("--method", choices=METHODS, default="sobol", help="(default: sobol)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        required=True,
        metavar="KEY=LOW:HIGH",
        help="a setting and its range (repeatable); whole-number settings stay whole",
    )
    parser.add_argument(
        "--samples",
        type=int,
        required=True,
        metavar="N",
        help="Sobol: base samples, a power of 2 (N×(D+2) points); "
        "Morris: trajectories (N×(D+1) points)",
    )
    parser.add_argument(
        "--runs-per-point",
        type=int,
        default=1,
        metavar="R",
        help="paired seeds per sample point, averaged (default: %(default)s)",
    )
    parser.add_argument(
        "--outcome",
        action="append",
        default=None,
        metavar="FIELD",
        help=f"summary field to analyse (repeatable; default: {', '.join(DEFAULT_OUTCOMES)})",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    overrides = parse_overrides(args.overrides)
    ranges = parse_params(args.param)
    out = (
        Path(args.out)
        if args.out
        else default_out(args.method, args.scenario, overrides, args.seed)
    )
    console = Console()
    try:
        with run_progress(console, f"{args.method} sensitivity") as progress:
            indices, notes = sensitivity(
                args.scenario,
                args.method,
                ranges,
                args.samples,
                out,
                runs_per_point=args.runs_per_point,
                outcomes=args.outcome,
                overrides=overrides,
                seed=args.seed,
                workers=args.workers,
                scheduler=args.scheduler,
                resume=args.resume,
                keep_series=args.keep_series,
                progress=progress,
                command=args.command_line,
            )
    except KeyboardInterrupt:
        return interrupted(console, out)
    console.print(frame_table(indices, f"{args.method} indices ({out}/indices.csv)"))
    for outcome, note in notes.items():
        console.print(f"[yellow]{outcome}[/yellow]: no indices, {note}")
    console.print(f"wrote {out}/ (indices.csv, runs.parquet, points.parquet, report.md, plots)")
    return report_failures(pd.read_parquet(out / TABLE), out, TABLE)
