"""``cascade calibrate``: fit named settings to the calm market's statistics before an event."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.cli.main import add_command
from experiments.options import add_set_option

DEFAULT_TRIALS = 60
DEFAULT_SEEDS = "1,2,3"


def seed_list(text: str) -> list[int]:
    """``1,2,3``: comma-separated integers (argparse turns the ValueError into a usage error)."""
    return [int(part) for part in text.split(",")]


seed_list.__name__ = "comma-separated integers"  # what argparse names in its refusal


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade calibrate``."""
    parser = add_command(
        subparsers,
        "calibrate",
        help="fit settings to calm-market statistics before an event (optuna, fixed budget)",
        description="Fit the settings a calibration spec names to its target statistics of the "
        "calm run before the event (spread, depth within 1%%, one-minute volatility, open "
        "interest, the crowd's leverage, funding) with optuna's seeded TPE sampler: a fixed "
        "number of trials, each on the same seeds. Writes calibration.json, report.md, "
        "trials.csv and history.png. --out defaults to runs/calibrate-<spec>/.",
    )
    parser.add_argument(
        "--spec",
        default=None,
        metavar="PATH",
        help="calibration spec (TOML; default: experiments/batch/calibration/oct-10-2025.toml)",
    )
    parser.add_argument(
        "--trials",
        type=int,
        default=DEFAULT_TRIALS,
        metavar="N",
        help=f"trials of the sampler, run one after another (default {DEFAULT_TRIALS})",
    )
    parser.add_argument(
        "--seeds",
        type=seed_list,
        default=seed_list(DEFAULT_SEEDS),
        metavar="S1,S2,...",
        help=f"seeds every trial runs (common random numbers; default {DEFAULT_SEEDS})",
    )
    parser.add_argument(
        "--sampler-seed",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of the TPE sampler (default 0)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="length of the calm run, replacing the spec's",
    )
    add_set_option(
        parser, "a further fixed setting for every run (dotted key, as cascade run --set)"
    )
    parser.add_argument("--out", default=None, help="output directory")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Check the spec, run the study with a progress bar, write the outputs, print the fit."""
    import pandas as pd
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from experiments.batch.calibrate import (
        DEFAULT_SPEC,
        CalibrationError,
        calibrate,
        fit_table,
        load_spec,
        parameter_table,
        write_outputs,
    )
    from experiments.cli.console import frame_table
    from model.scenario import parse_overrides

    if args.trials < 1:
        raise CalibrationError(f"--trials must be at least 1, got {args.trials}")
    if args.duration is not None and not args.duration > 0:
        raise CalibrationError(f"--duration must be > 0, got {args.duration:g}")
    spec = load_spec(
        args.spec or DEFAULT_SPEC, duration=args.duration, fixed=parse_overrides(args.overrides)
    )
    out = Path(args.out) if args.out else Path("runs") / f"calibrate-{spec.name}"
    if out.exists() and not out.is_dir():
        raise CalibrationError(f"--out {str(out)!r} is a file, not a directory")
    console = Console()
    with Progress(
        TextColumn("[bold]calibrate"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} trials"),
        TextColumn("best loss {task.fields[best]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("calibrate", total=args.trials, best="–")

        def update(done: int, total: int, loss: float, best: float) -> None:
            bar.update(task, completed=done, best=f"{best:.4g}")

        result = calibrate(
            spec, args.trials, args.seeds, sampler_seed=args.sampler_seed, progress=update
        )
    write_outputs(result, out, args.command_line)
    console.print(frame_table(parameter_table(result), "fitted settings", ("setting", "scale")))
    fit = fit_table(result)
    shown = pd.DataFrame(
        {
            "statistic": fit["statistic"],
            "target": fit["target"],
            "fitted": fit["fitted"],
            "rel. error": fit["relative error"],
            "match": fit["within tolerance"].map({True: "yes", False: "no"}),
        }
    )
    title = f"fit: seed mean at the best trial ({result.best_trial}, loss {result.best_loss:.4g})"
    console.print(frame_table(shown, title, ("statistic", "match")))
    console.print(f"wrote {out}/ (calibration.json, report.md, trials.csv, history.png)")
    return 0
