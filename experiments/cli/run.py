"""``cascade run``: one simulation, its summary table, files and plots."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from experiments.batch.replay import replay_job
from experiments.run.metrics import FIELD_MEANINGS
from experiments.run.outdir import check_run_out, clear_run_files
from experiments.run.plots import PLOTS, plot_run
from experiments.run.provenance import (
    PROVENANCE_FILE,
    SCENARIO_FILE,
    overrides_tag,
    seed_record,
    write_provenance,
)
from experiments.run.report import write_summary_md
from experiments.run.runner import RUN_FILES, run_scenario, write_run
from model.scenario import Scenario, ScenarioError, load_scenario, parse_overrides


def describe_seed(record: dict[str, Any]) -> str:
    """``7``, or ``7 spawn key [3]`` for a run of an experiment."""
    key = record["spawn_key"]
    return f"{record['entropy']}" + (f" spawn key {key}" if key else "")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run one scenario and write its summary, time series, events and plots",
        description="Run one scenario. Writes summary.json, summary.md, timeseries.parquet, "
        "events.parquet, cascades.csv, PNG plots, scenario.toml (every setting resolved) and "
        "provenance.json (command, version, git commit, seed) to --out (default "
        "runs/<scenario>-<seed>/, plus -set-<hash> with --set). --out must not hold anything "
        "yet, unless --force. --from DIR --run I runs run I of the experiment in DIR again "
        "(its scenario, settings and seed; default --out runs/<DIR name>-run<I>/).",
    )
    parser.add_argument("--audit", action="store_true", help="check every invariant every step")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty --out, replacing an earlier run's files",
    )
    parser.add_argument(
        "--from",
        dest="from_dir",
        metavar="DIR",
        default=None,
        help="an experiment directory (cascade mc, sweep, sensitivity) to take a run from",
    )
    parser.add_argument(
        "--run", type=int, default=None, metavar="I", help="which run of --from DIR to run again"
    )
    parser.set_defaults(func=main)


def resolve(
    args: argparse.Namespace,
) -> tuple[Scenario, int | np.random.SeedSequence, Path, dict[str, Any]]:
    """The scenario, the seed, the output directory and the seed's record for provenance."""
    if args.from_dir is None:
        if args.run is not None:
            raise ScenarioError("--run I needs --from DIR (the experiment to take run I from)")
        overrides = parse_overrides(args.overrides)
        if args.seed is not None:
            overrides["seed"] = args.seed
        scenario = load_scenario(args.scenario, overrides)
        tag = overrides_tag({k: v for k, v in overrides.items() if k != "seed"})
        name = f"{scenario.name}-{scenario.seed}" + (f"-{tag}" if tag else "")
        out = Path(args.out or Path("runs") / name)
        return scenario, scenario.seed, out, seed_record(scenario.seed)
    given = ["--scenario"] if args.scenario_given else []
    given += ["--seed"] if args.seed is not None else []
    given += ["--set"] if args.overrides else []
    if given:
        raise ScenarioError(
            f"--from takes the scenario and seed from the experiment; drop {', '.join(given)}"
        )
    if args.run is None:
        raise ScenarioError("--from DIR needs --run I (which run of the experiment to run again)")
    job = replay_job(Path(args.from_dir), args.run)
    out = Path(args.out or Path("runs") / f"{Path(args.from_dir).resolve().name}-run{job.run}")
    record = {**seed_record(job.seed), "experiment": str(args.from_dir), "run": job.run}
    return job.scenario, job.seed, out, record


def main(args: argparse.Namespace) -> int:
    scenario, seed, out, seed_info = resolve(args)
    files = [*RUN_FILES, "summary.md", *PLOTS, SCENARIO_FILE, PROVENANCE_FILE]
    check_run_out(out, args.force, files)  # before the run: a finished run is never lost
    console = Console()
    console.print(
        f"[bold]{scenario.name}[/bold] (seed {describe_seed(seed_info)}, venue {scenario.venue.name}, "
        f"{scenario.n_steps} steps of {scenario.step:g} s)"
    )
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("run", total=scenario.n_steps)
        result = run_scenario(
            scenario, seed, audit=args.audit, progress=lambda n: bar.update(task, completed=n)
        )
    clear_run_files(out, files)
    write_run(result, out)
    write_provenance(out, scenario, args.command_line, seed_info)
    plots = [] if args.no_plots else plot_run(result, out)
    write_summary_md(result, plots, out)
    table = Table(title=f"summary ({out}/summary.json)")
    table.add_column("field")
    table.add_column("value", justify="right")
    table.add_column("meaning", style="dim")
    for key, value in result.summary.items():
        shown = f"{value:,.4g}" if isinstance(value, float) else str(value)
        table.add_row(key, shown, FIELD_MEANINGS[key])
    console.print(table)
    console.print(f"wrote {out}/ (summary.md, plots, parquet)")
    return 0
