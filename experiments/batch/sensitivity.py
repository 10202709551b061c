"""Global sensitivity analysis with SALib: which settings drive the outcomes, and how much.

Sobol uses SALib's scrambled Sobol'-sequence sampler (`SALib.sample.sobol`, the successor of the
deprecated ``saltelli``) and reports first-order (S1) and total (ST) indices; Morris uses
optimised trajectories (Campolongo et al. 2007, with Ruano et al.'s local search) and reports μ*
and σ of the elementary effects. Each sample point runs with the same R seeds (common random
numbers) and the outcome is averaged over them, so the indices measure the settings, not the
seeds. Sampling and the bootstrap intervals are seeded from the root seed.

Integer settings (population counts) are sampled on ``[low, high + 1)`` and floored, so every
whole number in ``[low, high]`` is equally likely; the analysis uses the sampled values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from experiments.batch.experiment import (
    Experiment,
    ProgressCallback,
    check_runs,
    check_summary_outcomes,
    resolve_scenario,
    run_experiment,
)
from experiments.batch.journal import ExperimentError, normalized
from experiments.reports.sensitivity_report import write_sensitivity_report
from model.scenario import Scenario, ScenarioError

METHODS = ("sobol", "morris")
DEFAULT_OUTCOMES = [
    "liquidations_notional",
    "insurance_fund_min",
    "adl_notional",
    "max_drawdown_pct",
]
INDEX_COLUMNS = {
    "sobol": ["S1", "S1_conf", "ST", "ST_conf"],
    "morris": ["mu_star", "mu_star_conf", "sigma"],
}
MORRIS_LEVELS = 4
MORRIS_CANDIDATES_PER_TRAJECTORY = 10  # optimal trajectories are picked from 10× as many
# Spawn keys of the sampler's and the bootstrap's seeds: far from the run seeds' keys 0..R-1.
SAMPLING_KEY = 0x53414C4942
BOOTSTRAP_KEY = SAMPLING_KEY + 1
TABLE = "runs.parquet"


@dataclass(frozen=True)
class Param:
    """One setting varied by the analysis, over ``[low, high]``."""

    key: str
    low: float
    high: float
    integer: bool = False

    @property
    def bounds(self) -> list[float]:
        """The range the sampler draws from."""
        return [self.low, self.high + 1.0] if self.integer else [self.low, self.high]

    def value(self, x: float) -> int | float:
        """The setting's value for a sampled ``x`` (integers floored into range)."""
        return min(math.floor(x), int(self.high)) if self.integer else float(x)


def parse_params(items: list[str]) -> dict[str, tuple[float, float]]:
    """Turn ``["a.b=1:5", ...]`` into ``{"a.b": (1.0, 5.0)}``.

    Raises:
        ExperimentError: a malformed item, bounds that are not numbers, low ≥ high, a key twice.
    """
    ranges: dict[str, tuple[float, float]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        low_text, colon, high_text = text.partition(":")
        if not sep or not key or not colon:
            raise ExperimentError(f"--param expects dotted.key=low:high, got {item!r}")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            raise ExperimentError(f"--param {key}: bounds must be numbers, got {text!r}") from None
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ExperimentError(f"--param {key}: bounds must be finite, got {text!r}")
        if low >= high:
            raise ExperimentError(f"--param {key}: low must be below high, got {low:g}:{high:g}")
        if key in ranges:
            raise ExperimentError(f"--param {key} is given twice")
        ranges[key] = (low, high)
    if not ranges:
        raise ExperimentError("a sensitivity analysis needs at least one --param key=low:high")
    return ranges


def resolve_params(base: Scenario, ranges: dict[str, tuple[float, float]]) -> list[Param]:
    """Each range as a `Param`, integer when the setting is; both bounds must validate.

    Raises:
        ScenarioError: an unknown or non-numeric setting, fractional bounds for an integer
            setting, or a bound the scenario does not allow.
    """
    flat = base.flat()
    params = []
    for key, (low, high) in ranges.items():
        current = flat.get(key)
        if key not in flat:
            base.with_overrides({key: low})  # raises the scenario's own "unknown setting"
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ExperimentError(f"--param {key}: not a numeric setting (it is {current!r})")
        integer = isinstance(current, int)
        if integer and not (low.is_integer() and high.is_integer()):
            raise ExperimentError(
                f"--param {key} is a whole-number setting: bounds must be integers, "
                f"got {low:g}:{high:g}"
            )
        param = Param(key, low, high, integer)
        for bound in (low, high):
            try:
                base.with_overrides({key: param.value(bound)})
            except ScenarioError as exc:
                raise ExperimentError(f"--param {key}: bound {bound:g} is invalid: {exc}") from None
        params.append(param)
    return params


def check_outcomes(outcomes: list[str]) -> None:
    """Raise `ExperimentError` unless there is at least one outcome, each a numeric summary field."""
    check_summary_outcomes(outcomes)
    if not outcomes:
        raise ExperimentError("a sensitivity analysis needs at least one --outcome")


def problem(params: list[Param]) -> dict[str, Any]:
    """SALib's problem definition."""
    return {
        "num_vars": len(params),
        "names": [p.key for p in params],
        "bounds": [p.bounds for p in params],
    }


def _rng(root: int, key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(key,)))


def sample(method: str, params: list[Param], samples: int, root: int) -> np.ndarray:
    """The sample matrix, one row per point, seeded from ``root``.

    Sobol: ``samples`` base points (a power of 2), ``samples × (D + 2)`` rows.
    Morris: ``samples`` optimal trajectories, ``samples × (D + 1)`` rows.
    """
    check_method(method, samples)
    rng = _rng(root, SAMPLING_KEY)
    if method == "sobol":
        return sobol_sample.sample(
            problem(params), samples, calc_second_order=False, scramble=True, seed=rng
        )
    return morris_sample.sample(
        problem(params),
        MORRIS_CANDIDATES_PER_TRAJECTORY * samples,
        num_levels=MORRIS_LEVELS,
        optimal_trajectories=samples,
        local_optimization=True,
        seed=rng,
    )


def check_method(method: str, samples: int) -> None:
    """Raise `ExperimentError` for an unknown method or a sample count it cannot use."""
    if method not in METHODS:
        raise ExperimentError(f"--method must be one of {list(METHODS)}, got {method!r}")
    check_runs(samples, "samples")
    if method == "sobol" and samples & (samples - 1):
        # The scrambled Sobol' sequence keeps its balance only for powers of 2.
        lower = 1 << (samples.bit_length() - 1)
        raise ExperimentError(
            f"--samples must be a power of 2 for Sobol, got {samples} (try {lower} or {2 * lower})"
        )
    if method == "morris" and samples < 2:
        raise ExperimentError(f"--samples (Morris trajectories) must be at least 2, got {samples}")


def sensitivity_experiment(
    scenario: Scenario | str | Path,
    method: str,
    ranges: dict[str, tuple[float, float]],
    samples: int,
    runs_per_point: int = 1,
    *,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
) -> tuple[Experiment, list[Param], np.ndarray]:
    """The runs of an analysis, every point validated, nothing run; also the params and the
    sample matrix the analysis needs."""
    check_method(method, samples)
    check_runs(runs_per_point, "runs-per-point")
    base, source = resolve_scenario(scenario, overrides)
    params = resolve_params(base, ranges)
    root = base.seed if seed is None else int(seed)
    x = sample(method, params, samples, root)
    points = [{p.key: p.value(v) for p, v in zip(params, row, strict=True)} for row in x]
    settings: dict[str, Any] = {
        "method": method,
        "params": {p.key: [p.low, p.high] for p in params},
        "samples": samples,
        "runs_per_point": runs_per_point,
    }
    if method == "morris":
        settings["morris_levels"] = MORRIS_LEVELS
        settings["morris_candidates"] = MORRIS_CANDIDATES_PER_TRAJECTORY * samples
    experiment = Experiment("sensitivity", base, root, runs_per_point, points, settings, source)
    experiment.point_scenarios()
    return experiment, params, x


def point_means(frame: pd.DataFrame, outcomes: list[str], n_points: int) -> pd.DataFrame:
    """Per sample point: runs that finished and the mean of each outcome over its seeds."""
    runs = frame[frame["status"] == "ok"]
    means = runs.groupby("point")[outcomes].agg(lambda s: s.astype(float).mean())
    counts = runs.groupby("point").size().rename("ok")
    table = pd.DataFrame(index=pd.RangeIndex(n_points, name="point"))
    table = table.join(counts).join(means)
    table["ok"] = table["ok"].fillna(0).astype(int)
    return table.reset_index()


def analyze(
    method: str, params: list[Param], x: np.ndarray, y: np.ndarray, root: int
) -> tuple[dict[str, np.ndarray], str]:
    """Indices of one outcome, and why they are missing (empty when they are not).

    Indices are NaN when a point has no finished run or the outcome is the same everywhere
    (nothing to attribute; SALib would divide by a zero variance).
    """
    columns = INDEX_COLUMNS[method]
    missing = {c: np.full(len(params), np.nan) for c in columns}
    if not np.isfinite(y).all():
        return missing, f"{int((~np.isfinite(y)).sum())} points have no finite value"
    if np.ptp(y) <= np.finfo(float).eps * max(1.0, float(np.abs(y).max())):
        return missing, "the outcome is the same at every point"
    rng = _rng(root, BOOTSTRAP_KEY)
    if method == "sobol":
        result = sobol_analyze.analyze(problem(params), y, calc_second_order=False, seed=rng)
    else:
        result = morris_analyze.analyze(problem(params), x, y, num_levels=MORRIS_LEVELS, seed=rng)
    return {c: np.asarray(result[c], dtype=float) for c in columns}, ""


def indices_table(
    method: str,
    params: list[Param],
    x: np.ndarray,
    means: pd.DataFrame,
    outcomes: list[str],
    root: int,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """``indices.csv``'s rows for every outcome, and the reason for each outcome left blank."""
    frames, notes = [], {}
    for outcome in outcomes:
        values, note = analyze(method, params, x, means[outcome].to_numpy(dtype=float), root)
        if note:
            notes[outcome] = note
        frame = pd.DataFrame({"parameter": [p.key for p in params], "outcome": outcome, **values})
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), notes


def sensitivity(
    scenario: Scenario | str | Path,
    method: str,
    ranges: dict[str, tuple[float, float]],
    samples: int,
    out: Path | str,
    *,
    runs_per_point: int = 1,
    outcomes: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    keep_series: bool = False,
    report: bool = True,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Run a Sobol or Morris analysis into ``out``; return ``indices.csv``'s table and notes.

    Writes ``runs.parquet`` (one row per run), ``points.parquet`` (per sample point: the
    settings and the outcomes averaged over seeds), ``indices.csv`` and, with ``report``,
    plots and ``report.md``.

    Args:
        scenario: a `Scenario`, a preset name or a path to a .toml.
        method: ``sobol`` or ``morris``.
        ranges: dotted key -> (low, high) (see `parse_params`).
        samples: Sobol base samples (a power of 2) or Morris trajectories.
        out: the experiment's directory; must be empty unless ``resume``.
        runs_per_point: seeds per sample point, the same at every point.
        outcomes: summary fields to analyse (default `DEFAULT_OUTCOMES`); they do not define
            the runs, so ``resume`` may analyse other outcomes of the same runs.
        overrides, seed, workers, scheduler, resume, keep_series, progress, command: as in
            `experiments.batch.montecarlo.monte_carlo`.
        report: write plots and ``report.md``.

    Returns:
        The indices, and for each outcome whose indices are NaN, why.
    """
    outcomes = list(outcomes or DEFAULT_OUTCOMES)
    check_outcomes(outcomes)
    experiment, params, x = sensitivity_experiment(
        scenario, method, ranges, samples, runs_per_point, overrides=overrides, seed=seed
    )
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
    means = point_means(frame, outcomes, len(experiment.points))
    settings = pd.DataFrame(experiment.points)
    settings.insert(0, "point", range(len(settings)))
    settings.merge(means, on="point").to_parquet(out / "points.parquet", index=False)
    indices, notes = indices_table(method, params, x, means, outcomes, experiment.root_seed)
    indices.to_csv(out / "indices.csv", index=False)
    if report:
        write_sensitivity_report(indices, notes, frame, out, normalized(experiment.definition()))
    return indices, notes
