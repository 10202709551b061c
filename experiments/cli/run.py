"""``cascade run``: one simulation, its summary, files and plots."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.cli.main import add_command

if TYPE_CHECKING:
    import numpy as np
    from rich.console import Console

    from experiments.run.runner import RunResult
    from model.scenario import Scenario

# The outcomes the default summary shows, with a short label; --table shows every field.
SHORT_SUMMARY = {
    "liquidations_notional": "liquidated",
    "liquidations_count": "liquidations",
    "largest_cascade_notional": "largest cascade",
    "insurance_fund_min": "insurance fund min",
    "adl_notional": "ADL notional",
    "bad_debt": "bad debt",
    "max_drawdown_pct": "max drawdown %",
}


def describe_seed(record: dict[str, Any]) -> str:
    """``7``, or ``7 spawn key [3]`` for a run of an experiment."""
    key = record["spawn_key"]
    return f"{record['entropy']}" + (f" spawn key {key}" if key else "")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``cascade run``."""
    parser = add_command(
        subparsers,
        "run",
        parents=[common],
        help="run one scenario and write its summary, time series, events and plots",
        description="Run one scenario. Writes summary.json, summary.md, timeseries.parquet, "
        "events.parquet, accounts.parquet, cascades.csv, PNG plots (unless --no-plots), "
        "scenario.toml (every setting resolved) and provenance.json (command, version, git "
        "commit, seed) to --out (default runs/<scenario>-<seed>/, plus -set-<hash> with "
        "--set). --out must not hold anything yet, unless --force. --from DIR --run I runs run "
        "I of the experiment in DIR again (its scenario, settings and seed; default --out "
        "runs/<DIR name>-run<I>/). Prints the key outcomes; --table prints every summary "
        "field, --json prints summary.json, --quiet prints nothing but errors.",
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
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--table", action="store_true", help="print every summary field with its meaning"
    )
    shown.add_argument(
        "--json", action="store_true", help="print summary.json on stdout and nothing else"
    )
    shown.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(func=main)


def resolve(
    args: argparse.Namespace,
) -> tuple[Scenario, int | np.random.SeedSequence, Path, dict[str, Any]]:
    """The scenario, the seed, the output directory and the seed's record for provenance."""
    from experiments.batch.replay import replay_job
    from experiments.run.provenance import overrides_tag, seed_record
    from model.scenario import ScenarioError, load_scenario, parse_overrides

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


def written(out: Path, plots: list[Path]) -> str:
    """The last line of `main`: where the files went, and the plots only when there are any."""
    shown = f", {len(plots)} plots" if plots else "; no plots (--no-plots)"
    return f"wrote {out}/ (summary, tables, provenance{shown})"


def print_summary(console: Console, result: RunResult, out: Path, full: bool) -> None:
    """The key outcomes (every field with ``full``), numbers in k/M/B."""
    from rich.table import Table

    from experiments.cli.console import compact
    from experiments.run.metrics import FIELD_MEANINGS

    if full:
        table = Table(title=f"summary ({out}/summary.json)")
        table.add_column("field")
        table.add_column("value", justify="right")
        table.add_column("meaning", style="dim")
        for key, value in result.summary.items():
            shown = f"{value:,.4g}" if isinstance(value, float) else str(value)
            table.add_row(key, shown, FIELD_MEANINGS[key])
        console.print(table)
        return
    for key, label in SHORT_SUMMARY.items():
        console.print(f"  {label:<20} {compact(result.summary[key]):>10}")
    # soft wrap: a long path stays on one line (no newline inside it)
    console.print(f"  (every field: {out}/summary.md, or --table)", soft_wrap=True)


def main(args: argparse.Namespace) -> int:
    """Run, write the files, and print what ``--table``, ``--json`` or ``--quiet`` ask for."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from experiments.run.outdir import check_run_out, clear_run_files
    from experiments.run.plots import PLOTS, plot_run
    from experiments.run.provenance import PROVENANCE_FILE, SCENARIO_FILE, write_provenance
    from experiments.run.report import write_summary_md
    from experiments.run.runner import RUN_FILES, run_scenario, write_run

    scenario, seed, out, seed_info = resolve(args)
    files = [*RUN_FILES, "summary.md", *PLOTS, SCENARIO_FILE, PROVENANCE_FILE]
    check_run_out(out, args.force, files)  # before the run: a finished run is never lost
    console = Console(quiet=args.quiet or args.json)
    console.print(
        f"[bold]{scenario.name}[/bold] (seed {describe_seed(seed_info)}, venue {scenario.venue.name}, "
        f"{steps_text(scenario)})"
    )
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed} steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        # adaptive steps: how many is not known in advance (the bar only counts them)
        fixed = scenario.stepping.policy == "fixed"
        task = bar.add_task("run", total=scenario.n_steps if fixed else None)
        result = run_scenario(
            scenario, seed, audit=args.audit, progress=lambda n: bar.update(task, completed=n)
        )
    clear_run_files(out, files)
    write_run(result, out)
    write_provenance(out, scenario, args.command_line, seed_info)
    plots = [] if args.no_plots else plot_run(result, out)
    write_summary_md(result, plots, out)
    if args.json:
        print((out / "summary.json").read_text(), end="")
        return 0
    print_summary(console, result, out, args.table)
    console.print(written(out, plots), soft_wrap=True)  # a path stays on one line
    return 0


def steps_text(scenario: Scenario) -> str:
    """How the run steps: "1800 steps of 1 s", or at most that many with adaptive steps."""
    if scenario.stepping.policy == "fixed":
        return f"{scenario.n_steps} steps of {scenario.step:g} s"
    return (
        f"adaptive steps of {scenario.step:g} to {scenario.stepping.max_step:g} s, "
        f"at most {scenario.n_steps}"
    )
