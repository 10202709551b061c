"""Run one scenario and collect what it produced; write a run's files.

This is the single code path every command uses (`cascade run`, and each run of a Monte Carlo,
sweep or sensitivity analysis), so a run gives the same numbers wherever it executes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.run.metrics import json_summary, summarize
from model.cascades import find_cascades
from model.scenario import Scenario
from model.simulation import CascadeModel


@dataclass
class RunResult:
    """Everything one run produced."""

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    events: pd.DataFrame
    cascades: pd.DataFrame
    accounts: pd.DataFrame = field(default_factory=pd.DataFrame)  # per-position snapshots


def run_scenario(
    scenario: Scenario,
    seed: int | np.random.SeedSequence | None = None,
    *,
    audit: bool = False,
    progress: Callable[[int], None] | None = None,
    snapshots: bool = True,
) -> RunResult:
    """Build the model, run every step, and summarise.

    Args:
        scenario: the scenario to run.
        seed: root seed or SeedSequence; None uses ``scenario.seed``.
        audit: check every invariant after every step (slower).
        progress: called with the step count after each step.
        snapshots: take the per-account snapshots (``accounts``; every
            ``scenario.account_snapshot_every`` seconds). Nothing else depends on them: a run
            whose accounts nobody keeps (a Monte Carlo without ``--keep-series``) skips them.
    """
    started = time.perf_counter()
    model = CascadeModel(scenario, rng=seed, audit=audit)
    if not snapshots:
        model.snapshots.every = 0.0
    model.run(progress)
    timeseries = model.datacollector.get_model_vars_dataframe()
    events, cascades = find_cascades(model.events.to_frame(), scenario.cascade_window)
    wall = time.perf_counter() - started
    seed_value = scenario.seed if seed is None else seed
    if isinstance(seed_value, np.random.SeedSequence):
        seed_value = int(seed_value.generate_state(1)[0])
    summary = summarize(
        timeseries,
        events,
        cascades,
        scenario=scenario.name,
        seed=int(seed_value),
        insurance_fund_start=model.insurance_fund_start,
        conservation_error=model.conservation_error_max,
        wall_seconds=wall,
        shock_end=scenario.shock_end,
        shock_start=scenario.shock_start,
        trigger_notional=scenario.trigger_notional,
    )

    return RunResult(summary, timeseries, events, cascades, model.accounts_frame())


# The files `write_run` writes (the plots and summary.md are added by `cascade run`).
RUN_FILES = (
    "summary.json",
    "timeseries.parquet",
    "events.parquet",
    "accounts.parquet",
    "cascades.csv",
)


def write_run(result: RunResult, out: Path) -> None:
    """Write ``summary.json``, ``timeseries.parquet``, ``events.parquet``, ``accounts.parquet``
    and ``cascades.csv``.

    ``summary.json`` is always valid JSON: a field that is not a finite number is ``null`` and
    ``null_reasons`` says why.
    """
    out.mkdir(parents=True, exist_ok=True)
    summary = json_summary(result.summary, result.timeseries)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")
    result.timeseries.to_parquet(out / "timeseries.parquet", index=False)
    result.events.to_parquet(out / "events.parquet", index=False)
    result.accounts.to_parquet(out / "accounts.parquet", index=False)
    result.cascades.to_csv(out / "cascades.csv", index=False)
