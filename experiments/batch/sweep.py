"""Sweeps: every point of a grid of settings, each run with the same N seeds.

Using the same seeds at every grid point (common random numbers) means the difference between
two points is the effect of the setting, not of luck: each seed's market, traders and index
path are the same until the setting changes what happens. ``sweep.parquet`` holds one row per
run with the grid values as columns; plots show each outcome against each swept setting (the
mean, a 90% band across seeds and a 95% bootstrap interval of the mean), plus a heatmap of the
mean for two-setting grids.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.batch.experiment import (
    Experiment,
    ProgressCallback,
    check_runs,
    check_summary_outcomes,
    resolve_scenario,
    run_experiment,
)
from experiments.batch.journal import ExperimentError, normalized
from experiments.reports.adl_study import (
    POLICY_KEY,
    minimal_is_least,
    policy_plot,
    policy_table,
)
from experiments.reports.amplification import amplification_section
from experiments.reports.distributions import (
    KEY_OUTCOMES,
    failures_section,
    markdown_table,
    ok_runs,
    outcome_label,
    write_report,
)
from experiments.run.axes import (
    MoneyFormatter,
    compact_money,
    money_field,
    outcome_axis,
    setting_axis,
    setting_label,
)
from experiments.run.plots import save_figure
from model.scenario import Scenario, parse_value

TABLE = "sweep.parquet"
ADL_OCCURRED = "adl_probability"  # per run: 1 when it had an ADL fill; its mean is P(ADL)
DEFAULT_OUTCOMES = [*KEY_OUTCOMES, ADL_OCCURRED]
BOOTSTRAP_SEED = 0  # the bootstrap interval of a plot must not change between two plots


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """Turn ``["a.b=1,2,3", ...]`` into ``{"a.b": [1, 2, 3]}``; values parse like ``--set``.

    Commas inside brackets, braces or quotes do not split (``k=[1,2],[3,4]`` has two values).

    Raises:
        ExperimentError: a malformed item, an empty value or a key given twice.
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise ExperimentError(f"--grid expects dotted.key=v1,v2,..., got {item!r}")
        if key in grid:
            raise ExperimentError(f"--grid {key} is given twice; list all its values once")
        parts = _split_top_level(text)
        if any(not p.strip() for p in parts):
            raise ExperimentError(f"--grid {key}: empty value in {text!r}")
        grid[key] = [parse_value(p.strip()) for p in parts]
    if not grid:
        raise ExperimentError("a sweep needs at least one --grid dotted.key=v1,v2,...")
    return grid


def _split_top_level(text: str) -> list[str]:
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _same(a: Any, b: Any) -> bool:
    """Two grid values that make the same point (10 and 10.0 do; True and 1 do not)."""
    return (type(a) is type(b) and a == b) or (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first key varying slowest."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def sweep_experiment(
    scenario: Scenario | str | Path,
    grid: dict[str, list[Any]],
    runs: int,
    *,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Experiment:
    """The runs of a sweep, every grid point's scenario validated, nothing run.

    Raises:
        ScenarioError: the base scenario or a grid point is invalid (the message names the key).
    """
    check_runs(runs)
    if not grid or any(not values for values in grid.values()):
        raise ExperimentError("a sweep needs at least one grid key with at least one value")
    for key, values in grid.items():
        for i, value in enumerate(values):
            if any(_same(value, earlier) for earlier in values[:i]):
                raise ExperimentError(
                    f"--grid {key}: {value!r} is given twice; allowed: each value once "
                    "(--runs sets how many seeds every point gets)"
                )
    base, source = resolve_scenario(scenario, overrides)
    root = base.seed if seed is None else int(seed)
    settings = {"grid": {k: list(v) for k, v in grid.items()}}
    experiment = Experiment("sweep", base, root, runs, grid_points(grid), settings, source)
    experiment.point_scenarios()
    return experiment


def sweep(
    scenario: Scenario | str | Path,
    grid: dict[str, list[Any]],
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
    outcomes: list[str] | None = None,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> pd.DataFrame:
    """Run the full grid × ``runs`` paired seeds into ``out``; return ``sweep.parquet``'s table.

    Args:
        scenario: a `Scenario`, a preset name or a path to a .toml.
        grid: dotted key -> the values to sweep (see `parse_grid`).
        runs: seeds per grid point, the same at every point.
        out: the experiment's directory; must be empty unless ``resume``.
        overrides, seed, workers, scheduler, resume, keep_series, progress, command: as in
            `experiments.batch.montecarlo.monte_carlo`.
        report: write ``report.md`` and the plots.
        outcomes: summary fields to report and plot (default: the key outcomes and P(ADL));
            not part of the experiment's definition, so ``resume`` can report others.
    """
    if outcomes is not None:
        check_summary_outcomes(outcomes, extra=(ADL_OCCURRED,))
    experiment = sweep_experiment(scenario, grid, runs, overrides=overrides, seed=seed)
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
        write_sweep_report(frame, list(grid), out, normalized(experiment.definition()), outcomes)
    return frame


def _label(outcome: str) -> str:
    return "P(ADL)" if outcome == ADL_OCCURRED else outcome_label(outcome)


def with_adl(frame: pd.DataFrame, outcomes: list[str] | None = None) -> pd.DataFrame:
    """The finished runs, with a 0/1 column telling whether each had ADL, outcomes as floats."""
    runs = ok_runs(frame).copy()
    runs[ADL_OCCURRED] = (runs["adl_count"].astype(float) > 0).astype(float)
    for outcome in outcomes or DEFAULT_OUTCOMES:
        runs[outcome] = runs[outcome].astype(float)
    return runs


def point_summary(
    frame: pd.DataFrame, keys: list[str], outcomes: list[str] | None = None
) -> pd.DataFrame:
    """Per grid point: runs finished and failed, and the mean of every outcome."""
    outcomes = outcomes or DEFAULT_OUTCOMES
    runs = with_adl(frame, outcomes)
    table = frame[keys].drop_duplicates().reset_index(drop=True)
    finished = runs.groupby(keys, sort=False, dropna=False).size().rename("ok")
    means = runs.groupby(keys, sort=False, dropna=False)[outcomes].mean()
    table = table.merge(finished.reset_index(), on=keys, how="left")
    table["ok"] = table["ok"].fillna(0).astype(int)
    counts = frame.groupby(keys, sort=False, dropna=False).size().rename("runs").reset_index()
    table = table.merge(counts, on=keys, how="left")
    table["failed"] = table["runs"] - table["ok"]
    return table.drop(columns="runs").merge(means.reset_index(), on=keys, how="left")


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def outcome_plot(runs: pd.DataFrame, key: str, outcome: str, keys: list[str], path: Path) -> Path:
    """One outcome against one swept setting: mean over seeds, 90% band across seeds, and 95%
    bootstrap interval of the mean. With two settings, one line per value of the other."""
    data = runs.copy()
    if not _is_numeric(data[key]):
        data[key] = data[key].astype(str)  # categorical axis, in grid order
    others = [k for k in keys if k != key]
    hue = others[0] if len(others) == 1 and data[others[0]].nunique() <= 8 else None
    if hue is not None:
        data[hue] = data[hue].astype(str)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    common = {"data": data, "x": key, "y": outcome, "ax": ax, "sort": False, "marker": "o"}
    if hue is None:
        # Two bands on one line: the light one is where 90% of seeds fall, the darker one
        # (overlapping it) the 95% bootstrap interval of the mean.
        sns.lineplot(**common, errorbar=("pi", 90), color="tab:blue")
        sns.lineplot(**common, errorbar=("ci", 95), seed=BOOTSTRAP_SEED, color="tab:blue")
        handles = [
            Line2D([], [], color="tab:blue", marker="o", label="mean over seeds"),
            Patch(color="tab:blue", alpha=0.2, label="90% of seeds"),
            Patch(color="tab:blue", alpha=0.4, label="95% CI of the mean (bootstrap)"),
        ]
        ax.legend(handles=handles, fontsize=8)
    else:
        sns.lineplot(**common, hue=hue, errorbar=("pi", 90))
        ax.legend(fontsize=8, title=f"{hue} (band: 90% of seeds)", title_fontsize=8)
    if _is_numeric(data[key]) and data[key].min() > 0 and data[key].max() >= 100 * data[key].min():
        ax.set_xscale("log")  # e.g. fund sizes or leverage spanning decades
    note = " (pooled over the other settings)" if len(others) > 1 else ""
    ax.set(xlabel=key, ylabel=_label(outcome), title=f"{outcome} vs {key}{note}")
    if _is_numeric(data[key]):
        setting_axis(ax.xaxis, data[key])
    if money_field(outcome):  # a mean over seeds: money in k/M/B, a count no longer whole
        outcome_axis(ax.yaxis, outcome)
    return save_figure(fig, path)


def heatmap_plot(runs: pd.DataFrame, keys: list[str], outcome: str, path: Path) -> Path:
    """Mean of one outcome at every point of a two-setting grid."""
    rows, cols = keys
    table = runs.pivot_table(index=rows, columns=cols, values=outcome, aggfunc="mean", sort=False)
    fig, ax = plt.subplots(figsize=(1.2 * len(table.columns) + 3, 0.6 * len(table) + 2))
    bar = {"shrink": 0.8}
    if money_field(outcome):  # the cells and the colour bar in k/M/B, not 1.2e+07
        sns.heatmap(table, annot=table.map(compact_money), fmt="", cmap="rocket_r", ax=ax,
                    cbar_kws={**bar, "format": MoneyFormatter()})  # fmt: skip
    else:
        sns.heatmap(table, annot=True, fmt=".3g", cmap="rocket_r", ax=ax, cbar_kws=bar)
    ax.set(title=f"mean {_label(outcome)}")
    ax.set_xticklabels([setting_label(v) for v in table.columns])
    ax.set_yticklabels([setting_label(v) for v in table.index])
    return save_figure(fig, path)


def write_sweep_report(
    frame: pd.DataFrame,
    keys: list[str],
    out: Path,
    definition: dict[str, Any],
    outcomes: list[str] | None = None,
) -> Path:
    """Write the plots and ``out/report.md`` (per-point means, failures, plots)."""
    sns.set_theme(style="whitegrid", context="notebook")
    outcomes = outcomes or DEFAULT_OUTCOMES
    runs = with_adl(frame, outcomes)
    plots: list[Path] = []
    if len(runs):
        for key in keys:
            plots += [
                outcome_plot(runs, key, outcome, keys, out / f"sweep_{outcome}_vs_{key}.png")
                for outcome in outcomes
            ]
        if len(keys) == 2:
            plots += [
                heatmap_plot(runs, keys, outcome, out / f"heatmap_{outcome}.png")
                for outcome in outcomes
            ]
    grid = definition.get("grid", {})
    study = adl_policy_section(runs, keys, out)
    plots += study[1]
    lines = [
        f"# Sweep: {definition.get('scenario')}",
        "",
        (
            f"{definition.get('points')} grid points × {definition.get('runs')} paired seeds: "
            f"{len(frame)} runs recorded ({len(runs)} ok), root seed "
            f"{definition.get('root_seed')}. One row per run in `{TABLE}`."
        ),
        "",
        *[f"- `{k}`: {', '.join(repr(v) for v in values)}" for k, values in grid.items()],
        "",
        "## Mean outcomes per grid point",
        "",
        *markdown_table(point_summary(frame, keys, outcomes)),
        "",
        *study[0],
        *amplification_section(runs, keys),
        *failures_section(frame),
        "## Plots",
        "",
    ]
    return write_report(out, lines, plots)


def adl_policy_section(
    runs: pd.DataFrame, keys: list[str], out: Path
) -> tuple[list[str], list[Path]]:
    """For a sweep over ADL policies alone: the policy table, the paired-seed check of the
    minimal policy, and the over-utilisation plot (`experiments.reports.adl_study`)."""
    if keys != [POLICY_KEY] or runs.empty:
        return [], []
    lines = [
        "## ADL policies (paired seeds)",
        "",
        (
            "Median [5%, 95%] across seeds. Over-utilisation = loss socialised / loss needed "
            "(Chitra, arXiv 2512.01112)."
        ),
        "",
        *markdown_table(policy_table(runs)),
        "",
    ]
    if "minimal" in set(runs[POLICY_KEY]):
        least = minimal_is_least(runs)
        lines += [
            (
                f"Minimal policy's over-utilisation ≤ every other policy's on "
                f"{int(least.sum())} of {len(least)} paired seeds where it is defined."
            ),
            "",
        ]
    return lines, [policy_plot(runs, out / "adl_policies.png")]
