"""Monte Carlo: one scenario run with N independent seeds, and how its outcomes are distributed.

Run ``i`` uses ``SeedSequence(root).spawn(N)[i]`` whatever executes it. Results go to
``DIR/runs.parquet`` (one row per run) and ``DIR/report.md`` (quantiles and plots of the key
outcomes); see `experiments.batch.experiment` for the journal and ``--resume``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from experiments.batch.experiment import (
    Experiment,
    ProgressCallback,
    check_runs,
    resolve_scenario,
    run_experiment,
)
from experiments.batch.journal import normalized
from experiments.reports.distributions import write_distribution_report
from model.scenario import Scenario

TABLE = "runs.parquet"


def monte_carlo_experiment(
    scenario: Scenario | str | Path,
    runs: int,
    *,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Experiment:
    """The runs of a Monte Carlo, validated but not run.

    Args:
        scenario: a `Scenario`, a preset name or a path to a .toml.
        runs: number of runs (seeds).
        overrides: dotted-key settings applied to the scenario.
        seed: root seed; None uses the scenario's ``seed``.
    """
    check_runs(runs)
    base, source = resolve_scenario(scenario, overrides)
    root = base.seed if seed is None else int(seed)
    return Experiment("montecarlo", base, root, runs, source=source)


def monte_carlo(
    scenario: Scenario | str | Path,
    runs: int,
    out: Path | str,
    *,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    keep_series: bool = False,
    report: bool = True,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> pd.DataFrame:
    """Run a Monte Carlo into ``out`` and return its table (one row per run, sorted by run).

    Args:
        scenario: a `Scenario`, a preset name or a path to a .toml.
        runs: number of runs.
        out: the experiment's directory; must be empty unless ``resume``.
        overrides: dotted-key settings applied to the scenario.
        seed: root seed; None uses the scenario's ``seed``.
        workers: local worker processes (1: in this process; None: one per CPU).
        scheduler: Dask scheduler address (``tcp://host:port``) to run on instead.
        resume: continue the experiment in ``out``, running only the runs it lacks.
        keep_series: also write each run's time series and events to ``out/runs/<i>/``.
        report: write ``report.md`` and its plots.
        progress: called with (done, failed, total) as runs finish.
        command: the command line for provenance.json (None: this process's arguments).

    Raises:
        ScenarioError: invalid scenario, options or output directory (nothing has run).
    """
    experiment = monte_carlo_experiment(scenario, runs, overrides=overrides, seed=seed)
    out = Path(out)
    frame = run_experiment(
        experiment,
        out,
        table=TABLE,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        keep_series=keep_series,
        progress=progress,
        command=command,
    )
    if report:
        write_distribution_report(frame, out, normalized(experiment.definition()), TABLE)
    return frame
