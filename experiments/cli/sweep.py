"""``cascade sweep``: a grid of settings × N paired seeds; outcomes against each setting."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.cli.main import add_command, execution_options


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade sweep``."""
    parser = add_command(
        subparsers,
        "sweep",
        parents=[common, execution_options()],
        help="sweep a grid of settings, N paired seeds at every point",
        description="Run every point of the grid with the same N seeds (common random numbers). "
        "Writes sweep.parquet (one row per run, grid values as columns), report.md and plots of "
        "each outcome against each setting (a heatmap for two settings). --out defaults to "
        "runs/sweep-<scenario>-<root>/.",
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        required=True,
        metavar="KEY=V1,V2,...",
        help="a setting and its values, parsed like --set (repeatable: the full grid is run)",
    )
    parser.add_argument("--runs", type=int, required=True, metavar="N", help="seeds per grid point")
    parser.add_argument(
        "--outcome",
        action="append",
        default=None,
        metavar="FIELD",
        help="summary field to report and plot, or adl_probability (repeatable; default: the key "
        "outcomes and adl_probability); with --resume on a finished sweep, re-reports without "
        "running anything",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the grid; print the mean outcomes per grid point."""
    from rich.console import Console

    from experiments.batch.sweep import TABLE, parse_grid, point_summary, sweep
    from experiments.cli.console import frame_table, run_progress
    from experiments.cli.montecarlo import default_out, interrupted, report_failures
    from model.scenario import parse_overrides

    overrides = parse_overrides(args.overrides)
    grid = parse_grid(args.grid)
    out = Path(args.out) if args.out else default_out("sweep", args.scenario, overrides, args.seed)
    console = Console()
    try:
        with run_progress(console, "sweep") as progress:
            frame = sweep(
                args.scenario,
                grid,
                args.runs,
                out,
                overrides=overrides,
                seed=args.seed,
                workers=args.workers,
                scheduler=args.scheduler,
                resume=args.resume,
                keep_series=args.keep_series,
                outcomes=args.outcome,
                progress=progress,
                command=args.command_line,
            )
    except KeyboardInterrupt:
        return interrupted(console, out)
    title = f"mean outcomes per grid point ({out}/{TABLE})"
    summary = point_summary(frame, list(grid), args.outcome)
    console.print(frame_table(summary, title, tuple(grid)))
    console.print(f"wrote {out}/ ({TABLE}, report.md, plots)")
    return report_failures(frame, out, TABLE)
