"""What the many-run tests share."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from experiments.batch.executor import Executor


@pytest.fixture
def spy_on_runs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[int]]:
    """Call it to start listing the run numbers every `Executor` is given from then on (the
    list it returns fills as the runs are handed out)."""

    def start() -> list[int]:
        executed: list[int] = []
        real_run = Executor.run

        def counting(self, jobs):  # type: ignore[no-untyped-def]
            def spy():  # type: ignore[no-untyped-def]
                for job in jobs:
                    executed.append(job.run)
                    yield job

            return real_run(self, spy())

        monkeypatch.setattr(Executor, "run", counting)
        return executed

    return start
