"""Many runs of one scenario: the job list, paired seeds, resume, and the table of results.

Monte Carlo, sweeps and sensitivity analyses are all an `Experiment`: a base scenario, a list of
parameter points (one empty point for a plain Monte Carlo) and ``runs`` seeds from
``SeedSequence(root).spawn(runs)``. Run ``point * runs + i`` uses seed ``i`` at that point, so
every point sees the same seeds (common random numbers) and a run's seed never depends on the
executor, the worker count or the order runs finish in.

`run_experiment` validates every point's scenario before anything runs, skips runs the
directory's journal already holds (except runs lost with their worker, which it runs again),
journals each run as it finishes, and rebuilds the results table from the journal, sorted by
run, even when interrupted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.batch.executor import LOST, Executor, Job
from experiments.batch.journal import JOURNAL_FILE, ExperimentError, Journal, prepare, read_journal
from experiments.run.metrics import SUMMARY_FIELDS
from experiments.run.provenance import write_provenance
from experiments.run.suggest import did_you_mean
from model.scenario import Scenario, ScenarioError, load_scenario

ProgressCallback = Callable[[int, int, int], None]
"""Called with (runs done, runs failed, runs in total) at the start and after every run."""

RUN_COLUMNS = ["run", "point", "seed_index"]
STATUS_COLUMNS = ["status", "error"]
RESERVED = {*RUN_COLUMNS, *STATUS_COLUMNS, *SUMMARY_FIELDS}
NOT_OUTCOMES = {"scenario", "seed"}  # summary fields that are labels, not outcomes


@dataclass
class Experiment:
    """What defines the runs of an experiment.

    Attributes:
        kind: ``montecarlo``, ``sweep`` or ``sensitivity``.
        scenario: the base scenario, overrides applied and validated.
        root_seed: root of the seeds; run seeds are ``SeedSequence(root_seed).spawn(runs)``.
        runs: seeds per point (the same seeds at every point).
        points: values of the varied settings at each point, as dotted-key overrides.
        settings: what else defines the points (grid, parameter ranges, method), for the record.
        source: the scenario as asked for (preset name or path) and its overrides, for the record.
    """

    kind: str
    scenario: Scenario
    root_seed: int
    runs: int
    points: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    settings: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seed = self.root_seed
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ExperimentError(f"--seed must be a whole number ≥ 0, got {seed!r}")

    @property
    def total(self) -> int:
        """Number of runs."""
        return len(self.points) * self.runs

    @property
    def param_keys(self) -> list[str]:
        """The settings that vary across points, in order of first appearance."""
        return list(dict.fromkeys(k for point in self.points for k in point))

    def definition(self) -> dict[str, Any]:
        """What ``experiment.json`` stores, and what ``--resume`` compares."""
        points_json = json.dumps(self.points, sort_keys=True, default=str).encode()
        return {
            "kind": self.kind,
            "scenario": self.source.get("scenario", self.scenario.name),
            "overrides": self.source.get("overrides", {}),
            "root_seed": self.root_seed,
            "runs": self.runs,
            "points": len(self.points),
            "points_sha256": hashlib.sha256(points_json).hexdigest(),
            **self.settings,
            "scenario_settings": self.scenario.model_dump(mode="json"),
        }

    def point_scenarios(self) -> list[Scenario]:
        """The scenario at every point, each validated (raises before anything runs)."""
        for key in self.param_keys:
            if key in RESERVED:
                raise ExperimentError(
                    f"{key!r} cannot vary across runs: it names a column of the results"
                    + (" (each run's seed comes from --seed and --runs)" if key == "seed" else "")
                )
        scenarios = []
        for point in self.points:
            try:
                scenarios.append(self.scenario.with_overrides(point) if point else self.scenario)
            except ScenarioError as exc:
                shown = ", ".join(f"{k}={v!r}" for k, v in point.items())
                raise ExperimentError(f"at {shown}: {exc}") from None
        return scenarios

    def seeds(self) -> list[np.random.SeedSequence]:
        """The paired seeds: seed ``i`` is used by run ``i`` of every point."""
        return np.random.SeedSequence(self.root_seed).spawn(self.runs)

    def seed_record(self) -> dict[str, Any]:
        """The seeds, for ``provenance.json``: run ``point * runs + i`` uses spawn key ``[i]``."""
        return {
            "entropy": self.root_seed,
            "spawn_key": [],
            "runs": "run point * runs + i uses SeedSequence(entropy, spawn_key=(i,))",
        }

    def jobs(self, skip: set[int], series_root: Path | None = None) -> Iterator[Job]:
        """Every run not in ``skip``, in run order."""
        scenarios = self.point_scenarios()
        seeds = self.seeds()
        for p, (point, scenario) in enumerate(zip(self.points, scenarios, strict=True)):
            for i, seed in enumerate(seeds):
                run = p * self.runs + i
                if run in skip:
                    continue
                series = series_root / str(run) if series_root is not None else None
                yield Job(run, p, i, seed, scenario, dict(point), series)


def resolve_scenario(
    scenario: Scenario | str | Path, overrides: dict[str, Any] | None
) -> tuple[Scenario, dict[str, Any]]:
    """The base scenario with overrides applied, and how it was asked for (for the record)."""
    overrides = dict(overrides or {})
    if isinstance(scenario, Scenario):
        resolved = scenario.with_overrides(overrides) if overrides else scenario
        return resolved, {"scenario": scenario.name, "overrides": overrides}
    resolved = load_scenario(scenario, overrides)
    return resolved, {"scenario": str(scenario), "overrides": overrides}


def check_runs(runs: int, option: str = "runs") -> None:
    """Raise `ExperimentError` unless ``runs`` is a positive whole number."""
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise ExperimentError(f"{option} must be a whole number of at least 1, got {runs!r}")


def check_summary_outcomes(outcomes: list[str], extra: tuple[str, ...] = ()) -> None:
    """Raise `ExperimentError` unless every outcome is a numeric summary field (or in ``extra``)."""
    allowed = [f for f in SUMMARY_FIELDS if f not in NOT_OUTCOMES] + list(extra)
    for outcome in outcomes:
        if outcome in allowed:
            continue
        if guess := did_you_mean(outcome, allowed):  # a typo: the nearest, not all fields
            raise ExperimentError(f"--outcome {outcome!r} is not a summary field; {guess}")
        raise ExperimentError(f"--outcome must be one of {allowed}, got {outcome!r}")


def run_experiment(
    experiment: Experiment,
    out: Path,
    *,
    table: str = "runs.parquet",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    keep_series: bool = False,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> pd.DataFrame:
    """Run every run of ``experiment`` not yet in ``out`` and return the table of all runs.

    Args:
        experiment: what to run.
        out: the experiment's directory (``experiment.json``, ``journal.jsonl``, ``table``).
        table: file name of the results table, one row per run, sorted by run.
        workers: local worker processes (1 runs in this process; None: one per CPU).
        scheduler: a Dask scheduler address to run on instead of local processes.
        resume: continue the experiment stored in ``out``; without it ``out`` must be empty.
        keep_series: also write each run's time series and events to ``out/runs/<run>/``.
        progress: called with (done, failed, total) at the start and after each run.
        command: the command line, for ``provenance.json`` (None: this process's arguments).

    Raises:
        ExperimentError: bad options or output directory (nothing has run).
        ScenarioError: a point's scenario is invalid (nothing has run).
    """
    check_runs(experiment.runs)
    out = Path(out)
    experiment.point_scenarios()  # every point must validate before the directory is touched
    # reaches the cluster before that too
    with Executor(workers, scheduler, experiment.total) as executor:
        records = settled(prepare(out, experiment.definition(), resume=resume))
        write_provenance(out, experiment.scenario, command, experiment.seed_record())
        # a run lost with its worker is run again; every other run journaled is done
        done = {run for run, record in records.items() if record.get("status") != LOST}
        failed = sum(1 for run in done if records[run].get("status") != "ok")
        if progress is not None:
            progress(len(done), failed, experiment.total)
        series_root = out / "runs" if keep_series else None
        try:
            if len(done) < experiment.total:
                with Journal(out / JOURNAL_FILE) as journal:
                    for record in executor.run(experiment.jobs(done, series_root)):
                        journal.append(record)
                        done.add(int(record["run"]))
                        failed += record["status"] != "ok"
                        if progress is not None:
                            progress(len(done), failed, experiment.total)
        finally:
            # Rebuilt from the journal even when interrupted: the table shows what finished.
            frame = results_frame(read_journal(out / JOURNAL_FILE), experiment.param_keys)
            partial = out / f".{table}.partial"  # renamed into place: never a half-written table
            write_table(frame, partial)
            partial.replace(out / table)
    # Read back, so callers get exactly the table on disk (dtypes included).
    return pd.read_parquet(out / table)


def settled(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Each run's record, by run: its first, unless that one says the run was lost with its
    worker (status `LOST`), which a later record of the run (from ``--resume``) replaces."""
    runs: dict[int, dict[str, Any]] = {}
    for record in records:
        run = int(record["run"])
        if run not in runs or runs[run].get("status") == LOST:
            runs[run] = record
    return runs


def results_frame(records: list[dict[str, Any]], param_keys: list[str]) -> pd.DataFrame:
    """One row per run, sorted by run: run, point, seed_index, the varied settings, every
    summary field, status and error. A run journaled twice keeps its first record, unless that
    one says the run was lost with its worker (`settled`)."""
    rows = {}
    for run, record in settled(records).items():
        summary = record.get("summary") or {}
        params = record.get("params") or {}
        rows[run] = {
            "run": run,
            "point": record.get("point"),
            "seed_index": record.get("seed_index"),
            **{key: params.get(key) for key in param_keys},
            **{key: summary.get(key) for key in SUMMARY_FIELDS},
            "status": record.get("status", "error"),
            "error": record.get("error", ""),
        }
    columns = [*RUN_COLUMNS, *param_keys, *SUMMARY_FIELDS, *STATUS_COLUMNS]
    ordered = [rows[run] for run in sorted(rows)]
    # Built column by column from Python objects, so `_tidy` sees the values as recorded
    # (pandas would otherwise turn whole numbers with gaps into floats first).
    return pd.DataFrame(
        {c: _tidy(pd.Series([row[c] for row in ordered], dtype=object)) for c in columns}
    )


SEED_COLUMNS = {
    "run": "index of the run: point * runs + seed_index; replay it with "
    "`cascade run --from DIR --run RUN`",
    "point": "index of the parameter point (0 in a Monte Carlo)",
    "seed_index": "which of the experiment's paired seeds the run used: "
    "SeedSequence(root_seed, spawn_key=(seed_index,)), root_seed in experiment.json",
    "seed": "SeedSequence(root_seed, spawn_key=(seed_index,)).generate_state(1)[0], a label "
    "of the run's generator, not a root seed: `cascade run --seed SEED` is another run",
}


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write the results table as Parquet, its seed columns described in the file's schema
    (field metadata ``description``) so the file says how to rebuild each run's seed."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        f.with_metadata({"description": SEED_COLUMNS[f.name]}) if f.name in SEED_COLUMNS else f
        for f in table.schema
    ]
    metadata = dict(table.schema.metadata or {})
    metadata[b"perp_cascade.seed_columns"] = json.dumps(SEED_COLUMNS).encode()
    pq.write_table(table.cast(pa.schema(fields, metadata=metadata)), path)


def _tidy(column: pd.Series) -> pd.Series:
    """Whole numbers stay whole when failed runs leave gaps; mixed kinds become text."""
    values = column.dropna()
    kinds = {type(v) for v in values}
    if not kinds or kinds <= {int, float}:
        return column.astype("Int64" if kinds == {int} else float)
    if kinds == {bool}:
        return column.astype("boolean")
    if kinds == {str}:
        return column
    return column.map(lambda v: None if v is None else str(v))
