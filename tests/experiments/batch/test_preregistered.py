"""What the pre-registered experiments share (`experiments.batch.preregistered`): ``--set``
checked into a clean usage error, and jobs run through an executor back in the jobs' order."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from experiments.batch import preregistered
from experiments.batch.executor import Job
from experiments.batch.preregistered import checked_overrides, run_jobs
from model.scenario import load_scenario


def calm(settings):
    return load_scenario("calm", settings)


def test_checked_overrides_returns_the_settings_the_scenario_takes():
    parser = argparse.ArgumentParser(prog="prog")
    settings = checked_overrides(parser, ["duration=90", "prices.impact_bps=5"], calm)
    assert settings == {"duration": 90, "prices.impact_bps": 5}


@pytest.mark.parametrize(
    ("overrides", "check", "message"),
    [
        (["no.such=1"], calm, "unknown setting 'no.such'"),
        (["missing-equals"], calm, "--set expects dotted.key=value, got 'missing-equals'"),
        (["prices.run_scale=-1"], calm, "invalid scenario: prices.run_scale"),
        ([], lambda settings: load_scenario("no-such-preset", settings), "scenario must be one of"),
        ([], lambda settings: float("soon"), "could not convert string to float"),
    ],
)
def test_a_bad_key_value_or_scenario_is_a_usage_error(overrides, check, message, capsys):
    parser = argparse.ArgumentParser(prog="prog")
    with pytest.raises(SystemExit) as raised:
        checked_overrides(parser, overrides, check)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: prog") and f"prog: error: {message}" in err


class Reversed:
    """An executor whose runs finish in the reverse of the order they were given."""

    def __init__(self, workers):
        self.workers = workers

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def run(self, jobs):
        for job in reversed(list(jobs)):
            failed = job.point < 0
            yield {
                "run": job.run,
                "status": "error" if failed else "ok",
                "error": "ValueError: broken" if failed else "",
                "summary": {"point": job.point},
            }


def jobs(points):
    scenario = load_scenario("calm")
    return [
        Job(10 + i, point, 0, np.random.SeedSequence(1), scenario) for i, point in enumerate(points)
    ]


def test_run_jobs_returns_the_records_in_the_order_of_the_jobs(monkeypatch, capsys):
    monkeypatch.setattr(preregistered, "Executor", Reversed)
    records = run_jobs(jobs([3, 1, 2]), ["a", "b", "c"], workers=2)
    assert [r["run"] for r in records] == [10, 11, 12]
    assert [r["summary"]["point"] for r in records] == [3, 1, 2]
    assert capsys.readouterr().err == "\r1/3 runs\r2/3 runs\r3/3 runs\n"


def test_a_failed_run_stops_them_all_named_by_its_label(monkeypatch, capsys):
    monkeypatch.setattr(preregistered, "Executor", Reversed)
    with pytest.raises(RuntimeError, match=r"^seed 7, 25x: ValueError: broken$"):
        run_jobs(jobs([1, -1, 2]), ["seed 1, 2x", "seed 7, 25x", "seed 9, 2x"], workers=1)
    assert capsys.readouterr().err == "\r1/3 runs"  # the failed run is not counted
