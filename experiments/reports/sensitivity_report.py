"""Plots and ``report.md`` of a sensitivity analysis, from its ``indices.csv`` table.

Sobol: per outcome, S1 and ST per parameter as bars with their bootstrap intervals. Morris: per
outcome, μ* with its interval, and the μ*–σ plane, where a setting far right matters and one
high up acts through interactions or non-linearly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import ScalarFormatter

from experiments.reports.distributions import failures_section, markdown_table, write_report
from experiments.run.axes import outcome_axis
from experiments.run.plots import save_figure


def _blank(ax: plt.Axes, note: str) -> None:
    ax.text(0.5, 0.5, note or "no indices", ha="center", va="center", transform=ax.transAxes)


def sobol_plot(rows: pd.DataFrame, outcome: str, note: str, path: Path) -> Path:
    """S1 and ST of each parameter for one outcome, with their confidence intervals."""
    fig, ax = plt.subplots(figsize=(1.4 * len(rows) + 3, 3.8))
    x = np.arange(len(rows))
    width = 0.38
    for shift, name, colour in ((-width / 2, "S1", "tab:blue"), (width / 2, "ST", "tab:orange")):
        values = rows[name].to_numpy(dtype=float)
        errors = rows[f"{name}_conf"].to_numpy(dtype=float)
        ax.bar(
            x + shift,
            np.nan_to_num(values),
            width,
            yerr=np.nan_to_num(errors),
            capsize=4,
            color=colour,
            label=name,
        )
    if note:
        _blank(ax, note)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, rows["parameter"], rotation=20, ha="right")
    ax.set(ylabel="Sobol index", title=f"Sobol indices: {outcome}")
    # plain numbers: a sample too small gives indices in the millions, never an offset
    plain = ScalarFormatter(useOffset=False)
    plain.set_scientific(False)
    ax.yaxis.set_major_formatter(plain)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def morris_bar_plot(rows: pd.DataFrame, outcome: str, note: str, path: Path) -> Path:
    """μ* of each parameter for one outcome, with its confidence interval."""
    fig, ax = plt.subplots(figsize=(1.2 * len(rows) + 3, 3.8))
    x = np.arange(len(rows))
    ax.bar(
        x,
        np.nan_to_num(rows["mu_star"].to_numpy(dtype=float)),
        yerr=np.nan_to_num(rows["mu_star_conf"].to_numpy(dtype=float)),
        capsize=4,
        color="tab:blue",
    )
    if note:
        _blank(ax, note)
    ax.set_xticks(x, rows["parameter"], rotation=20, ha="right")
    ax.set(ylabel="μ* (mean |elementary effect|)", title=f"Morris μ*: {outcome}")
    outcome_axis(ax.yaxis, outcome)  # μ* is in the outcome's unit
    return save_figure(fig, path)


def morris_plane_plot(rows: pd.DataFrame, outcome: str, note: str, path: Path) -> Path:
    """The μ*–σ plane for one outcome, one labelled point per parameter."""
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    if note:
        _blank(ax, note)
    else:
        ax.scatter(rows["mu_star"], rows["sigma"], color="tab:blue", zorder=3)
        for row in rows.itertuples():
            ax.annotate(
                str(row.parameter),
                (row.mu_star, row.sigma),
                fontsize=8,
                xytext=(4, 4),
                textcoords="offset points",
            )
        top = float(np.nanmax(rows[["mu_star", "sigma"]].to_numpy(dtype=float)))
        ax.plot([0, top], [0, top], color="grey", ls=":", lw=1, label="σ = μ*")
        ax.legend(fontsize=8)
        ax.set(xlim=(0, None), ylim=(0, None))
    ax.set(xlabel="μ*", ylabel="σ", title=f"Morris μ*–σ: {outcome}")
    outcome_axis(ax.xaxis, outcome)  # μ* and σ are in the outcome's unit
    outcome_axis(ax.yaxis, outcome)
    return save_figure(fig, path)


def write_sensitivity_report(
    indices: pd.DataFrame,
    notes: dict[str, str],
    frame: pd.DataFrame,
    out: Path,
    definition: dict[str, Any],
) -> Path:
    """Write the plots and ``out/report.md``.

    Args:
        indices: ``indices.csv``'s table.
        notes: outcome -> why its indices are missing.
        frame: one row per run (for the failures).
        out: the experiment's directory.
        definition: the experiment's definition (``experiment.json``).
    """
    sns.set_theme(style="whitegrid", context="notebook")
    method = definition.get("method", "sobol")
    plots: list[Path] = []
    for outcome, rows in indices.groupby("outcome", sort=False):
        note = notes.get(str(outcome), "")
        if method == "sobol":
            plots.append(sobol_plot(rows, str(outcome), note, out / f"sobol_{outcome}.png"))
        else:
            plots.append(morris_bar_plot(rows, str(outcome), note, out / f"morris_{outcome}.png"))
            plots.append(
                morris_plane_plot(rows, str(outcome), note, out / f"morris_{outcome}_mu_sigma.png")
            )
    ranges = definition.get("params", {})
    ok = int((frame["status"] == "ok").sum())
    lines = [
        f"# Sensitivity ({method}): {definition.get('scenario')}",
        "",
        (
            f"{definition.get('points')} sample points × {definition.get('runs_per_point')} "
            f"paired seeds: {len(frame)} runs recorded ({ok} ok), root seed "
            f"{definition.get('root_seed')}. Outcomes are averaged over the seeds of each point."
        ),
        "",
        *[f"- `{k}`: {low:g} to {high:g}" for k, (low, high) in ranges.items()],
        "",
        "## Indices (`indices.csv`)",
        "",
        *markdown_table(indices),
        "",
        *[f"- `{outcome}`: no indices, {note}." for outcome, note in notes.items()],
        "",
        *failures_section(frame),
        "## Plots",
        "",
    ]
    return write_report(out, lines, plots)
