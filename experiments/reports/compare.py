"""Runs or Monte Carlo experiments side by side: ``compare.md`` and overlaid plots.

Each source is a run directory (``summary.json``, ``timeseries.parquet``) or a Monte Carlo
directory (``experiment.json``, ``runs.parquet``). The table has one column per source: a run's
value, or an experiment's median and 5–95% band across its runs. Every source after the first
is compared with the first: for two runs, the difference; for two experiments on the same root
seed, the difference run by run on each shared seed (common random numbers: the noise of the
seeds cancels), as a median and a 90% band of those paired differences; for experiments on
different seeds, the difference of medians, marked as not paired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from experiments.reports.distributions import KEY_OUTCOMES, markdown_table, outcome_label
from experiments.run.axes import money_axis, outcome_axis
from experiments.run.metrics import SUMMARY_FIELDS
from experiments.run.plots import money_unit, save_figure
from model.scenario import ScenarioError

BAND = (0.05, 0.95)  # a 90% band
NOT_COMPARED = {"scenario", "seed", "wall_seconds"}
RUN_SERIES = {  # plot name: (time-series column, axis label, scaled to k/M like money)
    "compare_price.png": ("mark", "mark price", False),
    "compare_insurance_fund.png": ("insurance_fund", "insurance fund", True),
    "compare_liquidations.png": ("liquidated_so_far", "liquidated notional so far", True),
}


@dataclass
class Source:
    """One run or experiment to compare.

    Attributes:
        label: how the source is named in the table and the legends (its directory's name).
        path: its directory.
        kind: ``run`` or ``experiment``.
        runs: one row per run: ``seed_index`` and the numeric summary fields.
        root_seed: the experiment's root seed (None for a run).
        timeseries: a run's time series (None for an experiment).
    """

    label: str
    path: Path
    kind: str
    runs: pd.DataFrame
    root_seed: int | None = None
    timeseries: pd.DataFrame | None = None


def load_source(path: Path) -> Source:
    """Read a run or Monte Carlo directory.

    Raises:
        ScenarioError: ``path`` is neither, or is a sweep or sensitivity analysis (many points).
    """
    path = Path(path)
    label = path.resolve().name
    if (path / "experiment.json").is_file():
        definition = json.loads((path / "experiment.json").read_text())
        if definition.get("kind") != "montecarlo" or not (path / "runs.parquet").is_file():
            raise ScenarioError(
                f"compare: {path} is a {definition.get('kind')} experiment; compare takes run "
                "directories and Monte Carlo experiments (compare two sweep points as two mc)"
            )
        table = pd.read_parquet(path / "runs.parquet")
        table = table[table["status"] == "ok"]
        return Source(label, path, "experiment", table, root_seed=int(definition["root_seed"]))
    if (path / "summary.json").is_file():
        summary = json.loads((path / "summary.json").read_text())
        row = {k: summary.get(k) for k in SUMMARY_FIELDS}
        series = path / "timeseries.parquet"
        timeseries = pd.read_parquet(series) if series.is_file() else None
        if timeseries is not None and {"liq_notional_long", "liq_notional_short"} <= set(
            timeseries
        ):
            per_step = timeseries["liq_notional_long"] + timeseries["liq_notional_short"]
            timeseries["liquidated_so_far"] = per_step.cumsum()
        return Source(label, path, "run", pd.DataFrame([row]), timeseries=timeseries)
    raise ScenarioError(
        f"compare: {path} holds neither summary.json (a run) nor experiment.json (an "
        "experiment); give directories written by cascade run or cascade mc"
    )


def unique_labels(sources: list[Source]) -> None:
    """Number labels that repeat (two directories of the same name in different places)."""
    seen: dict[str, int] = {}
    for source in sources:
        count = seen.get(source.label, 0)
        seen[source.label] = count + 1
        if count:
            source.label = f"{source.label} ({count + 1})"


def compared_fields(sources: list[Source]) -> list[str]:
    """The numeric summary fields that every source has."""
    fields = []
    for field in SUMMARY_FIELDS:
        if field in NOT_COMPARED:
            continue
        columns = [pd.to_numeric(s.runs.get(field), errors="coerce") for s in sources]
        if all(c is not None and c.notna().any() for c in columns):
            fields.append(field)
    return fields


def fmt_value(value: float) -> str:
    """A number as the table shows it: four significant digits, whole above 10,000."""
    if not np.isfinite(value):
        return str(value)
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def describe(values: pd.Series) -> str:
    """A run's value, or ``median [5%, 95%]`` over an experiment's runs."""
    finite = values[np.isfinite(values)]
    if finite.empty:
        return "n/a"
    if len(values) == 1:
        return fmt_value(float(finite.iloc[0]))
    low, mid, high = finite.quantile([BAND[0], 0.5, BAND[1]])
    return f"{fmt_value(mid)} [{fmt_value(low)}, {fmt_value(high)}]"


def difference(base: Source, other: Source, field: str) -> str:
    """``other - base`` for one field, in words (see the module docstring)."""
    a = pd.to_numeric(base.runs[field], errors="coerce")
    b = pd.to_numeric(other.runs[field], errors="coerce")
    if base.kind == other.kind == "experiment" and base.root_seed == other.root_seed:
        pairs = pd.merge(
            base.runs[["seed_index"]].assign(a=a.to_numpy()),
            other.runs[["seed_index"]].assign(b=b.to_numpy()),
            on="seed_index",
        )
        diffs = (pairs["b"] - pairs["a"]).to_numpy(dtype=float)
        diffs = diffs[np.isfinite(diffs)]
        if diffs.size == 0:
            return "n/a"
        low, mid, high = np.quantile(diffs, [BAND[0], 0.5, BAND[1]])
        return f"{fmt_value(mid)} [{fmt_value(low)}, {fmt_value(high)}] paired, {diffs.size} seeds"
    a_mid, b_mid = float(np.nanmedian(a)), float(np.nanmedian(b))
    if base.kind == other.kind == "run":
        return fmt_value(b_mid - a_mid)
    return f"{fmt_value(b_mid - a_mid)} (medians; not paired)"


def comparison_table(sources: list[Source]) -> pd.DataFrame:
    """One row per summary field: each source's value, then each difference from the first."""
    base = sources[0]
    rows = []
    for field in compared_fields(sources):
        row: dict[str, str] = {"field": field}
        for source in sources:
            row[source.label] = describe(pd.to_numeric(source.runs[field], errors="coerce"))
        for other in sources[1:]:
            row[f"{other.label} − {base.label}"] = difference(base, other, field)
        rows.append(row)
    return pd.DataFrame(rows)


def series_plot(
    sources: list[Source], column: str, label: str, path: Path, *, scaled: bool = True
) -> Path | None:
    """One line per run over time; None when no run has the column."""
    runs = [s for s in sources if s.timeseries is not None and column in s.timeseries]
    if not runs:
        return None
    divisor, unit = 1.0, "USDT"
    if scaled:
        divisor, unit = money_unit([s.timeseries[column] for s in runs])  # type: ignore[index]
    fig, ax = plt.subplots(figsize=(10, 3.8))
    for source in runs:
        ts = source.timeseries
        assert ts is not None
        ax.plot(ts["time"], ts[column] / divisor, lw=1.0, label=source.label)
    ax.set(xlabel="time (s)", ylabel=f"{label} ({unit})", title=f"{label}, run by run")
    money_axis(ax.yaxis)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def outcome_plot(sources: list[Source], field: str, path: Path) -> Path | None:
    """The distribution of one outcome across each experiment's runs (empirical CDFs), a run's
    value as a vertical line."""
    values = [pd.to_numeric(s.runs[field], errors="coerce") for s in sources]
    if not any(v.notna().any() for v in values):
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    for source, column in zip(sources, values, strict=True):
        if source.kind == "experiment":
            sns.ecdfplot(x=column.dropna(), ax=ax, label=f"{source.label} ({len(column)} runs)")
        else:
            ax.axvline(float(column.iloc[0]), ls="--", lw=1.2, label=f"{source.label} (run)")
    ax.set(xlabel=outcome_label(field), ylabel="share of runs ≤ x", title=outcome_label(field))
    outcome_axis(ax.xaxis, field, pd.concat(values))
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def compare(paths: list[Path], out: Path) -> Path:
    """Write ``out/compare.md`` and its plots for the given directories; return the report.

    Raises:
        ScenarioError: fewer than two directories, or one that is not a run or Monte Carlo.
    """
    if len(paths) < 2:
        raise ScenarioError(f"compare needs at least two directories, got {len(paths)}")
    sources = [load_source(Path(p)) for p in paths]
    unique_labels(sources)
    sns.set_theme(style="whitegrid", context="notebook")
    out.mkdir(parents=True, exist_ok=True)
    plots = [
        series_plot(sources, column, label, out / name, scaled=scaled)
        for name, (column, label, scaled) in RUN_SERIES.items()
    ]
    if any(s.kind == "experiment" for s in sources):
        plots += [outcome_plot(sources, f, out / f"compare_{f}.png") for f in KEY_OUTCOMES]
    lines = [
        "# Comparison",
        "",
        "| source | kind | scenario | seed | runs |",
        "|---|---|---|---|---:|",
    ]
    for s in sources:
        seed = f"root {s.root_seed}" if s.kind == "experiment" else str(s.runs["seed"].iloc[0])
        scenario = s.runs["scenario"].iloc[0] if len(s.runs) else "?"
        lines.append(f"| `{s.path}` | {s.kind} | {scenario} | {seed} | {len(s.runs)} |")
    lines += [
        "",
        (
            f"Differences are from `{sources[0].label}`. An experiment's value is the median "
            "[5%, 95%] over its runs that finished; two experiments on the same root seed are "
            "compared seed by seed (paired differences, median [5%, 95%])."
        ),
        "",
        *markdown_table(comparison_table(sources)),
        "",
    ]
    lines += [f"![{p.stem}]({p.name})\n" for p in plots if p is not None]
    report = out / "compare.md"
    report.write_text("\n".join(lines))
    return report
