"""How outcomes are distributed across the runs of a Monte Carlo: quantiles, plots, report.md.

The key outcomes are what a risk desk asks of a cascade: how much was liquidated, how low the
insurance fund went, how likely auto-deleveraging (ADL) was, how large the largest cascade was
and how far the price fell. Failed runs are left out of every statistic and listed separately.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from pandas.api.types import is_numeric_dtype

from experiments.run.axes import count_axis, money_axis, outcome_axis
from experiments.run.crash import CRASH_FIELDS
from experiments.run.plots import save_figure

KEY_OUTCOMES = {
    "liquidations_notional": "liquidated notional (USDT)",
    "insurance_fund_min": "insurance fund minimum (USDT)",
    "adl_notional": "ADL notional (USDT)",
    "largest_cascade_notional": "largest cascade notional (USDT)",
    "largest_cascade_liquidations": "liquidations in the largest cascade",
    "max_drawdown_pct": "max drawdown of the mark (%)",
}
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
WILSON_Z = 1.959964  # 95% two-sided normal quantile


def outcome_label(outcome: str) -> str:
    """How an outcome is named on a plot axis (the field name when it has no short label)."""
    return KEY_OUTCOMES.get(outcome, outcome)


def ok_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished without error."""
    return frame[frame["status"] == "ok"]


def outcome_quantiles(frame: pd.DataFrame, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Mean and 5/25/50/75/95% quantiles of each outcome over the runs that finished."""
    runs = ok_runs(frame)
    rows = []
    for outcome in outcomes or list(KEY_OUTCOMES):
        values = pd.to_numeric(runs[outcome], errors="coerce").dropna().astype(float)
        row: dict[str, Any] = {"outcome": outcome, "runs": len(values)}
        row["mean"] = values.mean() if len(values) else np.nan
        for q in QUANTILES:
            row[f"{q:.0%}"] = values.quantile(q) if len(values) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def adl_probability(frame: pd.DataFrame) -> tuple[float, float, float, int]:
    """Share of finished runs with at least one ADL fill, and its 95% Wilson interval.

    Returns:
        (probability, low, high, runs); NaNs when no run finished.
    """
    runs = ok_runs(frame)
    n = len(runs)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    p = float((runs["adl_count"].astype(float) > 0).mean())
    z2 = WILSON_Z**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = WILSON_Z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return p, max(0.0, centre - half), min(1.0, centre + half), n


def distribution_plot(frame: pd.DataFrame, outcome: str, path: Path) -> Path:
    """Histogram of one outcome across runs, with its 5%, 50% and 95% quantiles marked."""
    values = pd.to_numeric(ok_runs(frame)[outcome], errors="coerce").dropna().astype(float)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if len(values):
        sns.histplot(
            x=values.to_numpy(), ax=ax, color="tab:blue", bins=min(40, max(5, len(values)))
        )
        for q, style in ((0.05, ":"), (0.5, "--"), (0.95, ":")):
            ax.axvline(values.quantile(q), color="black", ls=style, lw=1, label=f"{q:.0%}")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no finished runs", ha="center", va="center", transform=ax.transAxes)
    ax.set(xlabel=KEY_OUTCOMES.get(outcome, outcome), ylabel="runs", title=outcome)
    outcome_axis(ax.xaxis, outcome, values)
    count_axis(ax.yaxis)
    return save_figure(fig, path)


def adl_plot(frame: pd.DataFrame, path: Path) -> Path:
    """Probability of ADL with its 95% interval, and ADL notional in the runs that had ADL."""
    p, low, high, n = adl_probability(frame)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5), width_ratios=(1, 3))
    left.bar([0], [p if n else 0.0], color="tab:red", width=0.6)
    if n:
        errors = [[max(0.0, p - low)], [max(0.0, high - p)]]  # rounding can cross p
        left.errorbar([0], [p], yerr=errors, color="black", capsize=6)
    left.set(xticks=[], ylim=(0, 1), ylabel="share of runs", title="P(ADL)")
    runs = ok_runs(frame)
    hit = runs.loc[runs["adl_count"].astype(float) > 0, "adl_notional"].astype(float)
    if len(hit):
        sns.histplot(x=hit.to_numpy(), ax=right, color="tab:red", bins=min(40, max(5, len(hit))))
    else:
        right.text(0.5, 0.5, "no run had ADL", ha="center", va="center", transform=right.transAxes)
    right.set(xlabel="ADL notional (USDT)", ylabel="runs", title="ADL notional, runs with ADL")
    money_axis(right.xaxis)
    count_axis(right.yaxis)
    return save_figure(fig, path)


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        number = float(value)
        if not np.isfinite(number):
            return "–"
        return f"{number:,.4g}" if abs(number) < 1e4 else f"{number:,.0f}"
    return str(value)


def write_report(out: Path, lines: list[str], plots: list[Path]) -> Path:
    """Write ``out/report.md``: the given lines, then every plot as an image."""
    for path in plots:
        lines += [f"![{path.stem}]({path.name})", ""]
    target = out / "report.md"
    target.write_text("\n".join(lines))
    return target


def markdown_table(frame: pd.DataFrame) -> list[str]:
    """A frame as Markdown table lines, numbers right-aligned."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    align = "|" + "|".join("---:" if is_numeric_dtype(frame[c]) else "---" for c in frame.columns)
    lines = [header, align + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in frame.itertuples(False)]
    return lines


def failures_section(frame: pd.DataFrame, limit: int = 20) -> list[str]:
    """Markdown lines listing failed runs and their errors (empty when none failed)."""
    failed = frame[frame["status"] != "ok"]
    if failed.empty:
        return []
    lines = ["## Failed runs", "", f"{len(failed)} of {len(frame)} runs raised:", ""]
    lines += [f"- run {r.run}: `{r.error}`" for r in failed.head(limit).itertuples()]
    if len(failed) > limit:
        lines.append(f"- … and {len(failed) - limit} more (see the `error` column)")
    return [*lines, ""]


def write_distribution_report(
    frame: pd.DataFrame, out: Path, definition: dict[str, Any], table: str = "runs.parquet"
) -> Path:
    """Write ``out/report.md`` and its plots (``out/dist_<outcome>.png``, ``out/adl.png``).

    Args:
        frame: one row per run (the Monte Carlo table).
        out: the experiment's directory.
        definition: the experiment's definition (``experiment.json``), quoted in the header.
        table: name of the results table, linked from the report.
    """
    sns.set_theme(style="whitegrid", context="notebook")
    out.mkdir(parents=True, exist_ok=True)
    plots: list[Path] = []
    if len(ok_runs(frame)):  # no plots of nothing when every run failed
        plots = [distribution_plot(frame, o, out / f"dist_{o}.png") for o in KEY_OUTCOMES]
        plots.insert(2, adl_plot(frame, out / "adl.png"))
    p, low, high, n = adl_probability(frame)
    overrides = definition.get("overrides") or {}
    lines = [
        f"# Monte Carlo: {definition.get('scenario')}",
        "",
        f"{len(frame)} of {definition.get('runs')} runs recorded ({len(ok_runs(frame))} ok, "
        f"{len(frame) - len(ok_runs(frame))} failed), root seed {definition.get('root_seed')}"
        + (
            ", overrides " + ", ".join(f"`{k}={v}`" for k, v in overrides.items())
            if overrides
            else ""
        )
        + f". One row per run in `{table}`.",
        "",
        "## Outcomes across runs",
        "",
        *markdown_table(outcome_quantiles(frame)),
        "",
        (
            f"Probability of ADL: **{_fmt(p)}** "
            f"(95% Wilson interval {_fmt(low)}–{_fmt(high)}, {n} runs)."
        ),
        "",
        *crash_section(frame),
        *failures_section(frame),
        "## Distributions",
        "",
    ]
    return write_report(out, lines, plots)


def crash_section(frame: pd.DataFrame) -> list[str]:
    """Markdown lines with the crash measures' quantiles (`experiments.run.crash`): the fall
    from the trigger, the trough, the recovery, liquidated per trigger; empty when no run had a
    trigger (their fields are all NaN)."""
    runs = ok_runs(frame)
    fields = [
        f
        for f in CRASH_FIELDS
        if f in runs.columns and pd.to_numeric(runs[f], errors="coerce").notna().any()
    ]
    if not fields:
        return []
    return [
        "## The crash, from its trigger",
        "",
        *markdown_table(outcome_quantiles(frame, fields)),
        "",
    ]
