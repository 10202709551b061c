"""One run of a finished experiment, rebuilt from its directory to run again on its own.

Run ``I`` of an experiment ran the scenario in ``experiment.json`` (every setting resolved) with
the varied settings its journal record holds, and the seed
``SeedSequence(root_seed, spawn_key=(seed_index,))``. Both are read back here, so
``cascade run --from DIR --run I`` gives the summary that row ``I`` of the results table holds
(``wall_seconds`` aside).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from experiments.batch.executor import Job
from experiments.batch.journal import DEFINITION_FILE, JOURNAL_FILE, ExperimentError, read_journal
from model.scenario import ScenarioError, build_scenario


def replay_job(directory: Path, run: int) -> Job:
    """The job that ran run ``run`` of the experiment in ``directory``.

    Raises:
        ExperimentError: ``directory`` holds no experiment, or no run ``run``.
    """
    directory = Path(directory)
    definition_path = directory / DEFINITION_FILE
    if not definition_path.is_file():
        raise ExperimentError(
            f"--from {directory}: holds no {DEFINITION_FILE}, so it is not an experiment "
            "directory (cascade mc, sweep or sensitivity)"
        )
    definition = json.loads(definition_path.read_text())
    records = {int(r["run"]): r for r in read_journal(directory / JOURNAL_FILE)}
    if run not in records:
        held = f"runs 0 to {max(records)}" if records else "no runs"
        raise ExperimentError(f"--run {run}: {directory} holds {held}; choose one of those")
    record = records[run]
    try:
        base = build_scenario(definition["scenario_settings"])
        params = record.get("params") or {}
        scenario = base.with_overrides(params) if params else base
    except (KeyError, ScenarioError) as exc:
        raise ExperimentError(
            f"--from {directory}: its {DEFINITION_FILE} does not rebuild the scenario ({exc})"
        ) from None
    seed_index = int(record["seed_index"])
    seed = np.random.SeedSequence(int(definition["root_seed"]), spawn_key=(seed_index,))
    return Job(run, int(record["point"]), seed_index, seed, scenario, dict(params))
