"""``cascade sensitivity``: Sobol or Morris indices of the outcomes to chosen settings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.cli.main import add_command, execution_options

if TYPE_CHECKING:
    import pandas as pd

# As in `experiments.batch.sensitivity` (which imports SALib; a test checks they agree).
METHODS = ("sobol", "morris")
DEFAULT_OUTCOMES = [
    "liquidations_notional",
    "insurance_fund_min",
    "adl_notional",
    "max_drawdown_pct",
]
# Fewest samples whose indices mean something. Sobol estimates from N base samples have errors
# of order 1/sqrt(N) (Saltelli et al. 2010 use N of 500 to 1000; SALib's examples 1024); Morris
# screening needs 10 to 20 trajectories (Campolongo, Cariboni and Saltelli 2007).
MIN_SAMPLES = {"sobol": 512, "morris": 10}
INDEX_RANGE = (-0.05, 1.05)  # Sobol indices are shares of variance; beyond this, noise


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade sensitivity``."""
    parser = add_command(
        subparsers,
        "sensitivity",
        parents=[common, execution_options()],
        help="global sensitivity analysis (SALib Sobol or Morris) of the outcomes",
        description="Sample the settings given with --param (Sobol: scrambled Sobol' sequence; "
        "Morris: optimised trajectories), run each point with R paired seeds, average, and "
        "write indices.csv, runs.parquet, points.parquet, report.md and plots. --out defaults "
        "to runs/<method>-<scenario>-<root>/. Warns when --samples is below what the method "
        f"needs to mean anything (Sobol {MIN_SAMPLES['sobol']} base samples, Morris "
        f"{MIN_SAMPLES['morris']} trajectories) and when Sobol indices fall outside [0, 1].",
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


def plural(n_params: int) -> str:
    """``1 parameter``, ``2 parameters``."""
    return f"{n_params} parameter" + ("" if n_params == 1 else "s")


def small_sample_warning(method: str, samples: int, n_params: int) -> str:
    """Why ``samples`` is too few for ``method`` and what is needed; empty when enough."""
    needed = MIN_SAMPLES.get(method, 0)
    if samples >= needed:
        return ""
    if method == "sobol":
        return (
            f"warning: {samples} Sobol base samples are too few for meaningful indices (errors "
            f"of order 1/sqrt(N): S1 and ST can fall far outside [0, 1]); use --samples "
            f"{needed} or more ({needed * (n_params + 2)} points for {plural(n_params)})"
        )
    return (
        f"warning: {samples} Morris trajectories are too few to rank the parameters; use "
        f"--samples {needed} or more ({needed * (n_params + 1)} points for {plural(n_params)})"
    )


def out_of_range_warning(indices: pd.DataFrame) -> str:
    """A warning naming the Sobol indices outside [0, 1] (beyond noise); empty when none is."""
    low, high = INDEX_RANGE
    columns = [c for c in ("S1", "ST") if c in indices]
    wrong = indices[((indices[columns] < low) | (indices[columns] > high)).any(axis=1)]
    if wrong.empty:
        return ""
    where = ", ".join(f"{r.parameter} on {r.outcome}" for r in wrong.itertuples())
    return (
        f"warning: Sobol indices outside [0, 1] ({where}): shares of variance cannot be, so "
        "these are noise; use more --samples or --runs-per-point"
    )


def main(args: argparse.Namespace) -> int:
    """Run the analysis; print the indices, and warn when they cannot be trusted."""
    import pandas as pd
    from rich.console import Console

    from experiments.batch.sensitivity import TABLE, parse_params, sensitivity
    from experiments.cli.console import frame_table, run_progress
    from experiments.cli.montecarlo import default_out, interrupted, report_failures
    from model.scenario import parse_overrides

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
    # After the table, where the indices are read; the runs are validated by now.
    if warning := small_sample_warning(args.method, args.samples, len(ranges)):
        print(warning, file=sys.stderr)
    if args.method == "sobol" and (warning := out_of_range_warning(indices)):
        print(warning, file=sys.stderr)
    console.print(f"wrote {out}/ (indices.csv, runs.parquet, points.parquet, report.md, plots)")
    return report_failures(pd.read_parquet(out / TABLE), out, TABLE)
