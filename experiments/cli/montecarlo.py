"""``cascade mc``: one scenario run with N seeds; the distribution of its outcomes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.cli.main import add_command, execution_options

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade mc``."""
    parser = add_command(
        subparsers,
        "mc",
        parents=[common, execution_options()],
        help="Monte Carlo: run a scenario with N seeds and report how its outcomes are spread",
        description="Run a scenario with N seeds (SeedSequence(ROOT).spawn(N); the default root "
        "is the scenario's seed). Writes runs.parquet (one row per run), report.md with "
        "quantiles and plots, and journal.jsonl, which --resume continues from. --out defaults "
        "to runs/mc-<scenario>-<root>/ (plus -set-<hash> with --set). A larger --runs with "
        "--resume extends the experiment; the runs already there are unchanged.",
    )
    parser.add_argument("--runs", type=int, required=True, metavar="N", help="number of runs")
    parser.set_defaults(func=main)


def default_out(kind: str, scenario: str, overrides: dict[str, Any], seed: int | None) -> Path:
    """``runs/<kind>-<scenario name>-<root seed>``, then ``-set-<hash>`` of any ``--set``
    overrides, so experiments with other settings never share a directory."""
    from experiments.run.provenance import overrides_tag
    from model.scenario import load_scenario

    base = load_scenario(scenario, overrides)
    name = f"{kind}-{base.name}-{base.seed if seed is None else seed}"
    tag = overrides_tag(overrides)
    return Path("runs") / (f"{name}-{tag}" if tag else name)


def interrupted(console: Console, out: Path) -> int:
    """Say what an interruption kept and how to continue; the shell's code for Ctrl-C."""
    console.print(
        f"[yellow]interrupted[/yellow]: finished runs are kept in {out}/journal.jsonl; "
        "run the same command with --resume to finish"
    )
    return 130


def report_failures(frame: pd.DataFrame, out: Path, table: str, limit: int = 20) -> int:
    """List the failed runs on stderr; the exit code: 1 when any run failed, else 0.

    Called after everything is saved, so the runs that succeeded are in ``out`` either way.
    """
    failed = frame[frame["status"] != "ok"]
    if failed.empty:
        return 0
    print(
        f"error: {len(failed)} of {len(frame)} runs failed; the {len(frame) - len(failed)} that "
        f"succeeded are saved in {out}/{table} (failed rows have status 'error', or 'lost' "
        "where the worker running them died: the same command with --resume runs those again):",
        file=sys.stderr,
    )
    for row in failed.head(limit).itertuples():
        print(f"  run {row.run}: {row.error}", file=sys.stderr)
    if len(failed) > limit:
        print(f"  ... and {len(failed) - limit} more (the error column)", file=sys.stderr)
    return 1


def main(args: argparse.Namespace) -> int:
    """Run the experiment; print the quantiles of the key outcomes and P(ADL)."""
    from rich.console import Console

    from experiments.batch.montecarlo import TABLE, monte_carlo
    from experiments.cli.console import frame_table, run_progress
    from experiments.reports.distributions import adl_probability, outcome_quantiles
    from model.scenario import parse_overrides

    overrides = parse_overrides(args.overrides)
    out = Path(args.out) if args.out else default_out("mc", args.scenario, overrides, args.seed)
    console = Console()
    try:
        with run_progress(console, "monte carlo") as progress:
            frame = monte_carlo(
                args.scenario,
                args.runs,
                out,
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
    console.print(frame_table(outcome_quantiles(frame), f"{len(frame)} runs ({out}/{TABLE})"))
    p, low, high, n = adl_probability(frame)
    console.print(f"P(ADL) = {p:.3g} (95% interval {low:.3g}–{high:.3g}, {n} runs)")
    console.print(f"wrote {out}/ (runs.parquet, report.md, plots)")
    return report_failures(frame, out, TABLE)
