"""Where the runs of an experiment execute: in this process, a local process pool, or Dask.

Every run is a `Job` (its index, scenario and `SeedSequence`). `execute` runs one job through
`experiments.run.runner.run_scenario`, the single code path of every run, and returns a flat record;
it catches the run's own exceptions, so a run that raises is recorded and the others go on.
An `Executor` is the chosen place (this process, a spawned process pool, or a Dask cluster);
its `Executor.run` yields records as runs finish, in completion order. The code path is the
same for all three: only where `execute` is called differs.

A run's numbers depend only on its scenario and its seed, never on which process or machine ran
it or in what order, so 1 worker, K workers and a cluster give the same records (except
``wall_seconds``).

An experiment with at least `COMPILE_FROM` runs per worker runs its risk checks with the
compiled kernel (`model.risk.use_compiled`): the same numbers bit for bit, about 0.1 CPU s less
per default run, for about 1 CPU s once per worker process.

On a Dask cluster a worker that dies (killed, out of memory) takes its runs with it: the scheduler
runs them again on another worker, up to ``distributed.scheduler.allowed-failures`` times (3 by
default). A run that used them all up is recorded with status ``lost`` (`LOST`) and the reason
(``KilledWorker: ...``), and the experiment goes on; ``--resume`` runs the lost runs again.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from experiments.batch.journal import ExperimentError
from experiments.run.provenance import seed_record, write_provenance
from experiments.run.runner import run_scenario, write_run
from model import risk
from model.scenario import Scenario

# Runs submitted per worker at a time (one running, one waiting): keeps every worker busy
# without queueing a 10,000-run experiment's jobs, and keeps an interruption's loss small.
QUEUE_PER_WORKER = 2

SCHEDULER_ADDRESS = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")

# Runs per worker from which the compiled risk check pays for loading it (see `model.risk`)
COMPILE_FROM = 10

# Status of a run whose worker died under it, as often as the cluster allows: an accident of
# where it ran, not a property of the run, so `--resume` runs it again (a run that raised is
# "error" and stays recorded).
LOST = "lost"


@dataclass(frozen=True)
class Job:
    """One run of an experiment.

    Attributes:
        run: index of the run in the experiment (rows of the output are sorted by it).
        point: index of the parameter point (0 for a plain Monte Carlo).
        seed_index: which of the experiment's paired seeds this run uses.
        seed: the run's seed, ``SeedSequence(root).spawn(n)[seed_index]``.
        scenario: the scenario at this point, already validated.
        params: the values of the parameters that vary across points.
        series_dir: where to write the run's time series and events; None keeps only the summary.
    """

    run: int
    point: int
    seed_index: int
    seed: np.random.SeedSequence
    scenario: Scenario
    params: dict[str, Any] = field(default_factory=dict)
    series_dir: Path | None = None


def seed_value(seed: np.random.SeedSequence) -> int:
    """The integer `run_scenario` reports as a run's ``seed`` for this `SeedSequence`."""
    return int(seed.generate_state(1)[0])


def _plain(value: Any) -> Any:
    """A JSON-friendly Python scalar (summaries may hold numpy scalars)."""
    return value.item() if isinstance(value, np.generic) else value


def execute(job: Job) -> dict[str, Any]:
    """Run one job and return its record; an exception inside the run becomes an error record.

    Only the summary travels back: the time series and events are written by the worker itself
    when ``job.series_dir`` is set, so a large experiment does not fill the parent's memory.
    """
    record: dict[str, Any] = {
        "run": job.run,
        "point": job.point,
        "seed_index": job.seed_index,
        "params": job.params,
    }
    try:
        # the per-account snapshots are written with the series, or not at all
        result = run_scenario(job.scenario, job.seed, snapshots=job.series_dir is not None)
        if job.series_dir is not None:
            write_run(result, job.series_dir)
            command = f"run {job.run} of the experiment in {job.series_dir.parent.parent}"
            write_provenance(job.series_dir, job.scenario, command, seed_record(job.seed))
    except Exception as exc:  # noqa: BLE001 - a failing run is data: record it, go on
        record["summary"] = {"scenario": job.scenario.name, "seed": seed_value(job.seed)}
        record["status"] = "error"
        record["error"] = f"{type(exc).__name__}: {exc}"
    else:
        record["summary"] = {k: _plain(v) for k, v in result.summary.items()}
        record["status"] = "ok"
        record["error"] = ""
    return record


def execute_compiled(job: Job) -> dict[str, Any]:
    """`execute` with the compiled risk check on in this (worker) process: the same record."""
    risk.use_compiled()
    return execute(job)


def lost_record(job: Job, exc: BaseException) -> dict[str, Any]:
    """The record of a run lost with its worker: what an error record holds, status `LOST`."""
    return {
        "run": job.run,
        "point": job.point,
        "seed_index": job.seed_index,
        "params": job.params,
        "summary": {"scenario": job.scenario.name, "seed": seed_value(job.seed)},
        "status": LOST,
        "error": f"{type(exc).__name__}: {exc}",
    }


def default_workers() -> int:
    """Worker processes used when none are asked for: one per CPU."""
    return os.cpu_count() or 1


def check_executor(workers: int | None, scheduler: str | None) -> None:
    """Raise `ExperimentError` for a worker count or scheduler address that cannot work."""
    if workers is not None and workers < 1:
        raise ExperimentError(f"workers must be at least 1, got {workers}")
    if scheduler is not None and not SCHEDULER_ADDRESS.match(scheduler):
        raise ExperimentError(
            f"scheduler must be a Dask scheduler address such as tcp://host:8786, got {scheduler!r}"
        )


class Executor:
    """Runs jobs in this process, on a local process pool, or on a Dask cluster.

    Used as a context manager: entering connects to the cluster (so an unreachable scheduler is
    reported before anything else happens) and leaving releases the pool or the connection;
    leaving on an exception drops the queued runs instead of waiting for them.

    Args:
        workers: local worker processes; 1 runs in this process (no pickling, easy to debug);
            None uses one per CPU. Ignored with ``scheduler``.
        scheduler: address of a Dask distributed scheduler (``tcp://host:port``); the runs go to
            its workers, which must have this project installed (and see ``series_dir``).
        runs: how many runs the executor will be given, if known: with `COMPILE_FROM` or more
            per worker, the workers use the compiled risk check.

    Raises:
        ExperimentError: invalid ``workers`` or ``scheduler``, or a scheduler that cannot be
            reached.
    """

    def __init__(
        self, workers: int | None = None, scheduler: str | None = None, runs: int | None = None
    ) -> None:
        check_executor(workers, scheduler)
        self.workers = workers or default_workers()
        self.scheduler = scheduler
        self.compiled = runs is not None and runs >= COMPILE_FROM * self.workers
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None

    def __enter__(self) -> Self:
        if self.scheduler is not None:
            # Imported only when a cluster is used: distributed is slow to import.
            from distributed import Client

            try:
                self._client = Client(self.scheduler, set_as_default=False)
            except OSError as exc:
                raise ExperimentError(
                    f"cannot reach the Dask scheduler at {self.scheduler}: {exc}"
                ) from None
        elif self.workers > 1:
            # spawn, not fork: forking a process that runs threads (rich's progress bar, Dask)
            # can deadlock, and Python 3.12 warns about it. Workers start on the first submit.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=kind is None, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def describe(self) -> str:
        """Where the runs go, in words."""
        if self.scheduler is not None:
            return f"Dask cluster at {self.scheduler}"
        return "this process" if self.workers == 1 else f"{self.workers} local processes"

    def run(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        """Run every job and yield its record as soon as it finishes (completion order)."""
        fn = execute_compiled if self.compiled else execute
        if self._client is not None:
            yield from self._run_on_dask(jobs, fn)
        elif self._pool is not None:
            limit = QUEUE_PER_WORKER * self.workers
            yield from _stream(jobs, fn, self._pool.submit, limit, _first_done)
        else:  # in this process: leave its risk-check mode as it was found
            was = risk.is_compiled()
            try:
                for job in jobs:
                    yield fn(job)
            finally:
                risk.use_compiled(was)

    def _run_on_dask(
        self, jobs: Iterable[Job], fn: Callable[[Job], dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        from distributed import KilledWorker, as_completed

        client = self._client
        threads = max(1, sum(client.nthreads().values()))
        completed = as_completed(loop=client.loop)

        def submit(fn: Callable[[Job], dict[str, Any]], job: Job) -> Any:
            # pure=False: two runs are never the same task, whatever their arguments hash to.
            future = client.submit(fn, job, pure=False)
            completed.add(future)
            return future

        def first_done(pending: set[Any]) -> set[Any]:
            return {next(completed)}  # every pending future was added to `completed`

        yield from _stream(
            jobs, fn, submit, QUEUE_PER_WORKER * threads, first_done, lost=(KilledWorker,)
        )


def execute_jobs(
    jobs: Iterable[Job],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    runs: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Run every job on a fresh `Executor` and yield each record as its run finishes."""
    with Executor(workers, scheduler, runs) as executor:
        yield from executor.run(jobs)


def _first_done(pending: set[Any]) -> set[Any]:
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    return done


def _stream(
    jobs: Iterable[Job],
    fn: Callable[[Job], dict[str, Any]],
    submit: Callable[[Callable[[Job], dict[str, Any]], Job], Any],
    limit: int,
    first_done: Callable[[set[Any]], set[Any]],
    lost: tuple[type[BaseException], ...] = (),
) -> Iterator[dict[str, Any]]:
    """Keep at most ``limit`` runs of ``fn`` submitted; yield each record as its run finishes.
    A run whose future raises one of ``lost`` (its worker died) gets a `lost_record`."""
    queue = iter(jobs)
    pending: dict[Any, Job] = {}
    try:
        while True:
            while len(pending) < limit:
                job = next(queue, None)
                if job is None:
                    break
                pending[submit(fn, job)] = job
            if not pending:
                return
            for future in first_done(set(pending)):
                job = pending.pop(future)
                # `execute` catches the run's exceptions; what raises here is the executor
                # itself: a worker lost under this run (recorded, the others go on), or the
                # cluster or pool gone, which must stop the experiment.
                try:
                    record = future.result()
                except lost as exc:
                    record = lost_record(job, exc)
                yield record
    finally:
        for future in pending:
            future.cancel()
