"""A Dask worker killed in the middle of a Monte Carlo loses no run: the scheduler runs it again
on another worker, or, once the cluster's allowed failures are used up, it is recorded as lost
with its reason and ``--resume`` runs it again; the journal stays valid throughout and the
results equal an uninterrupted experiment's."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from experiments.batch.executor import LOST
from experiments.batch.journal import JOURNAL_FILE
from experiments.batch.montecarlo import monte_carlo
from experiments.cli import main
from tests.experiments.conftest import TINY

RUNS = 6
DOOMED = 2  # the run whose worker is killed


def kill_once(doomed_key: tuple[int, ...], marker: str) -> None:
    """In a worker process: the first time any worker starts run ``doomed_key`` (its seed's
    spawn key), the process kills itself with SIGKILL, as the kernel's out-of-memory killer
    would; ``marker`` (a file every worker sees) makes it happen once. The worker that the
    nanny starts in its place is a fresh process, without this hook."""
    from experiments.batch import executor

    real = executor.run_scenario

    def run_or_die(scenario, seed, **kwargs):
        if tuple(seed.spawn_key) == doomed_key:
            try:
                with open(marker, "x"):  # atomic: one worker wins
                    pass
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return real(scenario, seed, **kwargs)

    executor.run_scenario = run_or_die


def journal_lines(out: Path) -> list[dict]:
    """Every line of the journal, each a whole JSON record ending with a newline."""
    text = (out / JOURNAL_FILE).read_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(r["run"], int) and r["status"] in {"ok", LOST} for r in records)
    return records


def without_wall_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="wall_seconds")


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, each under a nanny that starts a new one when it
    dies (the module's tests share it: starting and closing one takes seconds)."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
        ) as local,
        Client(local) as client,
    ):
        yield local, client


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same Monte Carlo, uninterrupted, in this process."""
    out = tmp_path_factory.mktemp("reference")
    return monte_carlo("flash-crash", RUNS, out, overrides=TINY, workers=1, report=False)


@pytest.mark.parametrize(
    "allowed_failures",
    [
        pytest.param(3, id="retried"),  # Dask's default: the run goes to another worker
        pytest.param(0, id="recorded-lost"),  # no second try: recorded, --resume runs it
    ],
)
def test_a_worker_killed_mid_experiment_loses_no_run(
    tmp_path, tiny_args, cluster, reference, allowed_failures, monkeypatch, capsys
):
    local, client = cluster
    # what `distributed.scheduler.allowed-failures` sets when a scheduler starts
    monkeypatch.setattr(local.scheduler, "allowed_failures", allowed_failures)
    out = tmp_path / "mc"
    marker = tmp_path / "killed"
    doomed = tuple(np.random.SeedSequence(1).spawn(RUNS)[DOOMED].spawn_key)
    client.wait_for_workers(2, timeout=120)  # a worker killed before is back, to get the hook
    client.run(kill_once, doomed, str(marker))
    mc = ["mc", *tiny_args, "--runs", str(RUNS), "--out", str(out)]
    mc += ["--scheduler", local.scheduler_address]

    code = main(mc)

    assert marker.is_file()  # a worker died under run DOOMED
    first = journal_lines(out)
    lost = [r for r in first if r["status"] == LOST]
    if allowed_failures:
        assert code == 0
        assert not lost
    else:
        assert code == 1
        # the doomed run, and whatever else was queued on the dead worker, with the reason
        assert DOOMED in {r["run"] for r in lost}
        assert all(r["error"].startswith("KilledWorker: ") for r in lost)
        err = capsys.readouterr().err
        assert f"run {DOOMED}: KilledWorker: " in err
        assert "--resume runs those again" in err
        assert pd.read_parquet(out / "runs.parquet").loc[DOOMED, "status"] == LOST
    # every other run journaled once, and done
    ok = sorted(r["run"] for r in first if r["status"] == "ok")
    assert ok == sorted(set(range(RUNS)) - {r["run"] for r in lost})

    assert main([*mc, "--resume"]) == 0

    again = journal_lines(out)
    assert again[: len(first)] == first  # resuming only appends
    assert sorted(r["run"] for r in again[len(first) :]) == sorted(r["run"] for r in lost)
    assert sorted(r["run"] for r in again if r["status"] == "ok") == list(range(RUNS))
    resumed = pd.read_parquet(out / "runs.parquet")
    pd.testing.assert_frame_equal(without_wall_time(resumed), without_wall_time(reference))


def test_resume_runs_again_only_the_runs_recorded_lost(tmp_path, tiny, reference, spy_on_runs):
    out = tmp_path / "mc"
    monte_carlo("flash-crash", RUNS, out, overrides=tiny, workers=1, report=False)
    # what a pass that lost runs 1 and 4 with their worker leaves in the journal
    records = journal_lines(out)
    for record in records:
        if record["run"] in (1, 4):
            record.update(status=LOST, error="KilledWorker: the worker died", summary={})
    (out / JOURNAL_FILE).write_text("".join(json.dumps(r) + "\n" for r in records))
    (out / "runs.parquet").unlink()

    executed = spy_on_runs()
    progress: list[tuple[int, ...]] = []
    resumed = monte_carlo(
        "flash-crash",
        RUNS,
        out,
        overrides=tiny,
        workers=1,
        resume=True,
        report=False,
        progress=lambda *counts: progress.append(counts),
    )
    assert executed == [1, 4]
    assert progress[0] == (RUNS - 2, 0, RUNS)  # the lost runs are neither done nor failed
    pd.testing.assert_frame_equal(without_wall_time(resumed), without_wall_time(reference))
    # the lost records stay in the journal; the runs' later records are the ones in the table
    assert [r["run"] for r in journal_lines(out)] == [*range(RUNS), 1, 4]
