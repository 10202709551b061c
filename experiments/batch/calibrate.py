"""Calibration as a method: fit named settings to named statistics of the calm market before an
event, with a fixed budget, fixed seeds and a report of the fit (issue 27, item 4).

A calibration spec (TOML, `SPEC_DIR`) names the scenario, the settings that make its calm run
(the event's triggers switched off), the run's length, the fitted settings (dotted keys as
``--set`` takes them, with bounds and a linear or log scale) and the target statistics (a value,
a weight, a tolerance and where the value comes from). `calibrate` runs an optuna study with a
seeded TPE sampler: each trial runs the calm scenario at the trial's settings on the same seeds
(common random numbers), averages each statistic over the seeds and scores

    loss = Σ weight · error², error = log(fitted / target) (or (fitted − target) / |target|)

Trials run one after another in this process, so the same arguments give the same study, trial
for trial. Nothing is fitted to the event's own outcomes (ADL over liquidated notional, the
delay of the first ADL, ...): they stay out-of-sample predictions of the calibrated model.

Every run goes through `experiments.run.runner.run_scenario`, the one code path of every run.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.reports.distributions import markdown_table
from experiments.run.measures import time_weighted_median
from experiments.run.provenance import git_commit
from experiments.run.runner import RunResult, run_scenario
from model.scenario import Scenario, ScenarioError, load_scenario

SPEC_DIR = Path(__file__).parent / "calibration"
DEFAULT_SPEC = SPEC_DIR / "oct-10-2025.toml"
OUTPUTS = ("calibration.json", "report.md", "trials.csv", "history.png")
# the loss of a trial whose statistic could not be computed or is not positive on a log scale:
# finite, so the sampler can still learn from it, and larger than any real fit's
FAILED_LOSS = 1e6
VOLATILITY_GRID = 60.0  # seconds between the marks one-minute returns are taken from


class CalibrationError(ScenarioError):
    """An invalid calibration spec or argument: refused in one line before anything runs."""


# ---- statistics of one calm run ------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a statistic may read besides the run: the scenario and the burn-in (seconds)."""

    scenario: Scenario
    burn_in: float


def _after_burn_in(result: RunResult, context: Context) -> pd.DataFrame:
    ts = result.timeseries
    # `time` is the end of each step: a step that ends after the burn-in is kept
    return ts[ts["time"] > context.burn_in]


def median_spread_bps(result: RunResult, context: Context) -> float:
    """The perpetual's quoted spread (bps), median over time after the burn-in."""
    ts = _after_burn_in(result, context)
    return time_weighted_median(ts["spread_bps"], ts)


def median_depth_1pct_usdt(result: RunResult, context: Context) -> float:
    """Bids plus asks within 1% of the mid (USDT), median over time after the burn-in."""
    ts = _after_burn_in(result, context)
    return time_weighted_median(ts["depth_bid"] + ts["depth_ask"], ts)


def marks_on_grid(timeseries: pd.DataFrame, start: float, every: float) -> np.ndarray:
    """The mark at ``start``, ``start + every``, ...: each the mark of the last step ending at
    or before that time (steps may be of several lengths under adaptive stepping)."""
    time = timeseries["time"].to_numpy(dtype=float)
    mark = timeseries["mark"].to_numpy(dtype=float)
    if not len(time):
        return mark
    grid = np.arange(start, time[-1] + 1e-9, every)
    rows = np.searchsorted(time, grid + 1e-9, side="right") - 1
    return mark[rows[rows >= 0]]


def volatility_1min_bps(result: RunResult, context: Context) -> float:
    """Standard deviation of one-minute log returns of the mark (bps), on a 60 s time grid from
    the end of the burn-in."""
    marks = marks_on_grid(result.timeseries, context.burn_in, VOLATILITY_GRID)
    returns = np.diff(np.log(marks))
    return float(np.std(returns, ddof=1) * 1e4) if len(returns) >= 2 else math.nan


def open_interest_usdt(result: RunResult, context: Context) -> float:
    """Open interest (long side) at the mark (USDT), mean over time after the burn-in."""
    ts = _after_burn_in(result, context)
    if not len(ts):
        return math.nan
    notional = (ts["open_interest"] * ts["mark"]).to_numpy(dtype=float)
    return float(np.average(notional, weights=ts["dt"].to_numpy(dtype=float)))


def crowd_leverage(result: RunResult) -> np.ndarray:
    """Each leveraged trader's effective leverage at the first account snapshot: position
    notional at the mark over the margin balance of the pool it draws on."""
    accounts = result.accounts
    if accounts.empty:
        return np.array([])
    first = accounts[
        (accounts["time"] == accounts["time"].min()) & (accounts["kind"] == "leveraged")
    ]
    first = first[(first["equity"] > 0) & (first["qty"] != 0)]
    ts = result.timeseries
    row = max(int(np.searchsorted(ts["time"].to_numpy(), first["time"].min(), "right")) - 1, 0)
    mark = float(ts["mark"].iloc[row])
    return (first["qty"].abs() * mark / first["equity"]).to_numpy(dtype=float)


def crowd_mean_leverage(result: RunResult, context: Context) -> float:
    """Mean effective leverage of the leveraged crowd at the start (first account snapshot)."""
    leverage = crowd_leverage(result)
    return float(leverage.mean()) if len(leverage) else math.nan


def crowd_median_leverage(result: RunResult, context: Context) -> float:
    """Median effective leverage of the leveraged crowd at the start (first account snapshot)."""
    leverage = crowd_leverage(result)
    return float(np.median(leverage)) if len(leverage) else math.nan


def funding_rate_mean(result: RunResult, context: Context) -> float:
    """Mean of the funding rates settled during the run (per funding interval): the rate the
    series shows at the first step ending at or after each settlement time."""
    interval = context.scenario.venue.funding.interval_seconds
    ts = result.timeseries
    time = ts["time"].to_numpy(dtype=float)
    if not len(time):
        return math.nan
    settlements = np.arange(interval, time[-1] + 1e-9, interval)
    rows = np.searchsorted(time, settlements - 1e-9, side="left")
    rates = ts["funding_rate"].to_numpy(dtype=float)[rows[rows < len(time)]]
    return float(rates.mean()) if len(rates) else math.nan


@dataclass(frozen=True)
class Statistic:
    """A statistic of one calm run, its unit and the function computing it."""

    function: Callable[[RunResult, Context], float]
    unit: str


STATISTICS: dict[str, Statistic] = {
    "median_spread_bps": Statistic(median_spread_bps, "bps"),
    "median_depth_1pct_usdt": Statistic(median_depth_1pct_usdt, "USDT"),
    "volatility_1min_bps": Statistic(volatility_1min_bps, "bps"),
    "open_interest_usdt": Statistic(open_interest_usdt, "USDT"),
    "crowd_mean_leverage": Statistic(crowd_mean_leverage, "x"),
    "crowd_median_leverage": Statistic(crowd_median_leverage, "x"),
    "funding_rate_mean": Statistic(funding_rate_mean, "per interval"),
}
NEEDS_FUNDING = {"funding_rate_mean"}  # statistics that need a settlement within the run
ERROR_SCALES = ("log", "relative")


# ---- the spec ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """A fitted setting: its dotted key, bounds and scale; ``integer`` for a whole number."""

    key: str
    low: float
    high: float
    log: bool = False
    integer: bool = False


@dataclass(frozen=True)
class Target:
    """A target statistic: its value, weight in the loss, the error counted as a match
    (``tolerance``, on the error's scale), the error's scale and where the value comes from."""

    statistic: str
    value: float
    source: str
    weight: float = 1.0
    tolerance: float = 0.1
    error: str = "log"


@dataclass(frozen=True)
class Spec:
    """A calibration: the calm run to make, what to fit and what to fit it to."""

    name: str
    scenario: str
    calm: dict[str, Any]
    duration: float
    burn_in: float
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    fixed: dict[str, Any] = field(default_factory=dict)  # --set on the command line


def _number(table: dict[str, Any], key: str, where: str) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CalibrationError(f"{where}.{key}: must be a finite number, got {value!r}")
    return float(value)


def _known(table: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise CalibrationError(f"{where}: unknown field {extra[0]!r}; allowed: {sorted(allowed)}")


def parse_parameter(table: dict[str, Any], where: str) -> Parameter:
    """One ``[[parameters]]`` table."""
    _known(table, {"key", "low", "high", "scale", "integer"}, where)
    key = table.get("key")
    if not isinstance(key, str) or not key:
        raise CalibrationError(f"{where}.key: a dotted setting key is required")
    low, high = _number(table, "low", where), _number(table, "high", where)
    if not low < high:
        raise CalibrationError(f"{where} ({key}): bounds must have low < high, got {low} ≥ {high}")
    scale = table.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise CalibrationError(f"{where}.scale: must be 'linear' or 'log', got {scale!r}")
    if scale == "log" and low <= 0:
        raise CalibrationError(f"{where} ({key}): a log scale needs low > 0, got {low}")
    integer = table.get("integer", False)
    if not isinstance(integer, bool):
        raise CalibrationError(f"{where}.integer: must be true or false, got {integer!r}")
    if integer and (low != int(low) or high != int(high)):
        raise CalibrationError(f"{where} ({key}): integer bounds must be whole numbers")
    return Parameter(key, low, high, scale == "log", integer)


def parse_target(table: dict[str, Any], where: str) -> Target:
    """One ``[[targets]]`` table."""
    _known(table, {"statistic", "value", "source", "weight", "tolerance", "error"}, where)
    name = table.get("statistic")
    if name not in STATISTICS:
        raise CalibrationError(
            f"{where}.statistic: unknown statistic {name!r}; allowed: {sorted(STATISTICS)}"
        )
    value = _number(table, "value", where)
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalibrationError(f"{where} ({name}): a source is required (a citation or 'chosen')")
    weight = _number(table, "weight", where) if "weight" in table else 1.0
    tolerance = _number(table, "tolerance", where) if "tolerance" in table else 0.1
    error = table.get("error", "log")
    if error not in ERROR_SCALES:
        raise CalibrationError(f"{where}.error: must be one of {list(ERROR_SCALES)}, got {error!r}")
    if weight <= 0 or tolerance <= 0:
        raise CalibrationError(f"{where} ({name}): weight and tolerance must be > 0")
    if error == "log" and value <= 0:
        raise CalibrationError(f"{where} ({name}): a log error needs a target > 0, got {value}")
    if error == "relative" and value == 0:
        raise CalibrationError(f"{where} ({name}): a relative error needs a target ≠ 0")
    return Target(str(name), value, source.strip(), weight, tolerance, str(error))


def load_spec(
    path: str | Path = DEFAULT_SPEC,
    *,
    duration: float | None = None,
    fixed: dict[str, Any] | None = None,
) -> Spec:
    """Read and check a calibration spec; ``duration`` replaces the spec's, ``fixed`` adds
    settings to every run. Every fitted key is tried at both bounds, so an unknown key or an
    invalid value is refused here, before any run.

    Raises:
        CalibrationError: (a `ScenarioError`) naming the field, what is wrong and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise CalibrationError(f"calibration spec {str(path)!r} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError(f"calibration spec {str(path)!r} is not valid TOML: {exc}") from exc
    _known(data, {"scenario", "duration", "burn_in", "calm", "parameters", "targets"}, path.name)
    scenario = data.get("scenario", "oct-10-2025")
    calm = data.get("calm", {})
    if not isinstance(scenario, str) or not isinstance(calm, dict):
        raise CalibrationError(f"{path.name}: scenario is a name or path, calm a table of settings")
    length = duration if duration is not None else _number(data, "duration", path.name)
    burn_in = _number(data, "burn_in", path.name) if "burn_in" in data else 0.0
    if not 0 <= burn_in < length:
        raise CalibrationError(
            f"{path.name}: burn_in must be ≥ 0 and below the duration ({length:g} s), "
            f"got {burn_in:g}"
        )
    raw_parameters, raw_targets = data.get("parameters", []), data.get("targets", [])
    if not raw_parameters or not raw_targets:
        raise CalibrationError(f"{path.name}: needs at least one [[parameters]] and [[targets]]")
    parameters = tuple(parse_parameter(t, f"parameters.{i}") for i, t in enumerate(raw_parameters))
    keys = [p.key for p in parameters]
    if len(set(keys)) != len(keys):
        raise CalibrationError(f"{path.name}: a setting is fitted twice: {keys}")
    targets = tuple(parse_target(t, f"targets.{i}") for i, t in enumerate(raw_targets))
    names = [t.statistic for t in targets]
    if len(set(names)) != len(names):
        raise CalibrationError(f"{path.name}: a statistic is targeted twice: {names}")
    scenario_path = path.parent / scenario if scenario.endswith(".toml") else None
    spec = Spec(
        path.stem,
        str(scenario_path) if scenario_path else scenario,
        dict(calm),
        length,
        burn_in,
        parameters,
        targets,
        dict(fixed or {}),
    )
    base = calm_scenario(spec, {})
    interval = base.venue.funding.interval_seconds
    if NEEDS_FUNDING & set(names) and length < interval:
        raise CalibrationError(
            f"{path.name}: funding_rate_mean needs a funding settlement: duration must be at "
            f"least the funding interval ({interval:g} s), got {length:g} s"
        )
    for parameter in parameters:  # unknown keys and invalid values, before any run
        for bound in (parameter.low, parameter.high):
            calm_scenario(spec, {parameter.key: int(bound) if parameter.integer else bound})
    return spec


def calm_scenario(spec: Spec, values: dict[str, Any]) -> Scenario:
    """The calm run at the fitted values ``values``."""
    settings = {**spec.calm, "duration": spec.duration, **spec.fixed, **values}
    return load_scenario(spec.scenario, settings)


# ---- the fit -------------------------------------------------------------------------------


def run_statistics(spec: Spec, values: dict[str, Any], seeds: list[int]) -> pd.DataFrame:
    """Every targeted statistic of the calm run at ``values``, one row per seed."""
    scenario = calm_scenario(spec, values)
    context = Context(scenario, spec.burn_in)
    rows = []
    for seed in seeds:
        result = run_scenario(scenario, np.random.SeedSequence(seed))
        row: dict[str, Any] = {"seed": seed}
        for target in spec.targets:
            row[target.statistic] = STATISTICS[target.statistic].function(result, context)
        rows.append(row)
    return pd.DataFrame(rows)


def target_error(target: Target, fitted: float) -> float:
    """The fit's error on the target's scale (NaN when it cannot be computed)."""
    if not math.isfinite(fitted):
        return math.nan
    if target.error == "log":
        return math.log(fitted / target.value) if fitted > 0 else math.nan
    return (fitted - target.value) / abs(target.value)


def loss(spec: Spec, means: dict[str, float]) -> float:
    """Σ weight · error² over the targets; `FAILED_LOSS` when an error cannot be computed."""
    total = 0.0
    for target in spec.targets:
        error = target_error(target, means[target.statistic])
        if not math.isfinite(error):
            return FAILED_LOSS
        total += target.weight * error**2
    return total


def suggest(trial: Any, parameter: Parameter) -> float | int:
    """The trial's value of one fitted setting."""
    if parameter.integer:
        return int(
            trial.suggest_int(
                parameter.key, int(parameter.low), int(parameter.high), log=parameter.log
            )
        )
    return float(
        trial.suggest_float(parameter.key, parameter.low, parameter.high, log=parameter.log)
    )


TrialCallback = Callable[[int, int, float, float], None]  # done, total, loss, best loss


@dataclass
class Calibration:
    """What a calibration found: the trials, the best values and their statistics per seed."""

    spec: Spec
    seeds: list[int]
    trials: pd.DataFrame  # one row per trial: number, loss, each fitted value, each statistic
    best: dict[str, Any]
    best_loss: float
    best_trial: int
    per_seed: pd.DataFrame  # the best trial's statistics, one row per seed
    sampler_seed: int
    git: dict[str, Any] | None = None  # the checkout when the study started (its code ran)


def calibrate(
    spec: Spec,
    trials: int,
    seeds: list[int],
    *,
    sampler_seed: int = 0,
    progress: TrialCallback | None = None,
) -> Calibration:
    """Run ``trials`` trials of a TPE sampler seeded with ``sampler_seed``, each running the calm
    run on every seed in ``seeds``; sequential, so the same arguments give the same result."""
    import optuna

    if trials < 1:
        raise CalibrationError(f"--trials must be at least 1, got {trials}")
    if not seeds:
        raise CalibrationError("--seeds: at least one seed is needed")
    if any(seed < 0 for seed in seeds) or len(set(seeds)) != len(seeds):
        raise CalibrationError(f"--seeds: distinct integers ≥ 0 are needed, got {seeds}")
    checkout = git_commit()  # read before the runs: the tree may change while they run
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=sampler_seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    per_seed: dict[int, pd.DataFrame] = {}
    rows: list[dict[str, Any]] = []

    def objective(trial: Any) -> float:
        values = {p.key: suggest(trial, p) for p in spec.parameters}
        stats = run_statistics(spec, values, seeds)
        per_seed[trial.number] = stats
        means = {t.statistic: float(stats[t.statistic].mean()) for t in spec.targets}
        value = loss(spec, means)
        rows.append({"trial": trial.number, "loss": value, **values, **means})
        if progress is not None:
            best = min(row["loss"] for row in rows)
            progress(len(rows), trials, value, best)
        return value

    study.optimize(objective, n_trials=trials)
    best = study.best_trial
    return Calibration(
        spec,
        list(seeds),
        pd.DataFrame(rows),
        dict(best.params),
        float(best.value),  # type: ignore[arg-type]
        best.number,
        per_seed[best.number],
        sampler_seed,
        checkout,
    )


# ---- the report ----------------------------------------------------------------------------


def fit_table(result: Calibration) -> pd.DataFrame:
    """One row per target: the statistic, its target and source, the fitted seed mean, its band
    over the seeds (min–max), the relative error and whether the error is within tolerance."""
    rows = []
    for target in result.spec.targets:
        values = result.per_seed[target.statistic].to_numpy(dtype=float)
        fitted = float(values.mean())
        error = target_error(target, fitted)
        rows.append(
            {
                "statistic": target.statistic,
                "unit": STATISTICS[target.statistic].unit,
                "target": target.value,
                "fitted": fitted,
                "seed min": float(np.min(values)),
                "seed max": float(np.max(values)),
                "relative error": (fitted - target.value) / abs(target.value),
                "error": error,
                "weight": target.weight,
                "within tolerance": bool(abs(error) <= target.tolerance),
                "source": target.source,
            }
        )
    return pd.DataFrame(rows)


def parameter_table(result: Calibration) -> pd.DataFrame:
    """One row per fitted setting: its value, bounds, scale and the scenario's own value."""
    base = calm_scenario(result.spec, {}).flat()
    rows = [
        {
            "setting": p.key,
            "fitted": result.best[p.key],
            "low": p.low,
            "high": p.high,
            "scale": "log" if p.log else "linear",
            "scenario's value": base.get(p.key),
        }
        for p in result.spec.parameters
    ]
    return pd.DataFrame(rows)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def calibration_json(result: Calibration, command: str | None) -> dict[str, Any]:
    """What ``calibration.json`` holds (no times: the same arguments write the same file)."""
    spec = result.spec
    return {
        "spec": spec.name,
        "scenario": spec.scenario,
        "calm_settings": spec.calm,
        "fixed_settings": spec.fixed,
        "duration": spec.duration,
        "burn_in": spec.burn_in,
        "seeds": result.seeds,
        "trials": len(result.trials),
        "sampler": {"name": "optuna TPESampler", "seed": result.sampler_seed},
        "best_trial": result.best_trial,
        "loss": result.best_loss,
        "parameters": _records(parameter_table(result)),
        "statistics": _records(fit_table(result)),
        "per_seed": _records(result.per_seed),
        "targets": [asdict(t) for t in spec.targets],
        "command": command,
        "git": result.git,
    }


def history_plot(trials: pd.DataFrame, path: Path) -> Path:
    """Loss per trial and the best loss so far (log scale)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(trials["trial"], trials["loss"], s=14, color="0.55", label="trial")
    ax.step(trials["trial"], trials["loss"].cummin(), where="post", color="C0", label="best so far")
    ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss (Σ weight · error²)")
    ax.set_title("calibration history")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report_lines(result: Calibration, command: str | None) -> list[str]:
    """``report.md``: the command, the fitted settings and the fit to each target."""
    fit = fit_table(result).drop(columns=["within tolerance"])
    fit.insert(
        len(fit.columns) - 1,
        "matched",
        fit_table(result)["within tolerance"].map({True: "yes", False: "no"}),
    )
    seeds = ", ".join(str(s) for s in result.seeds)
    summary = (
        f"Scenario `{result.spec.scenario}`, calm run of {result.spec.duration:g} s "
        f"(burn-in {result.spec.burn_in:g} s) with {calm_settings_text(result.spec)}; "
        f"{len(result.trials)} trials of optuna's TPE sampler (seed {result.sampler_seed}) on "
        f"seeds {seeds}. Best trial {result.best_trial}, loss {result.best_loss:.4g}."
    )
    return [
        f"# Calibration: {result.spec.name}",
        "",
        f"`{command}`" if command else "",
        "",
        summary,
        "",
        "## Fitted settings",
        "",
        *markdown_table(parameter_table(result)),
        "",
        "## Statistics (seed mean at the fitted settings; band: min–max over the seeds)",
        "",
        *markdown_table(fit),
        "",
        "![history](history.png)",
        "",
    ]


def calm_settings_text(spec: Spec) -> str:
    """The calm run's settings as ``--set`` would take them."""
    return ", ".join(f"`{k}={json.dumps(v)}`" for k, v in spec.calm.items()) or "no changes"


def write_outputs(result: Calibration, out: Path, command: str | None) -> list[Path]:
    """Write `OUTPUTS` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    payload = calibration_json(result, command)
    (out / "calibration.json").write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    result.trials.to_csv(out / "trials.csv", index=False)
    history_plot(result.trials, out / "history.png")
    (out / "report.md").write_text("\n".join(report_lines(result, command)))
    return [out / name for name in OUTPUTS]
