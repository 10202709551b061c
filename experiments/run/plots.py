"""The plots of one run (PNG, seaborn style), each a function of the run's frames."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from experiments.run.runner import RunResult

BIN_SECONDS = 10.0


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Save a figure as the PNG every plot of the project is (tight layout, 110 dpi), close it."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def price_plot(result: RunResult, path: Path) -> Path:
    """Index, mark and last price, with liquidations marked (red long, green short)."""
    ts, ev = result.timeseries, result.events
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(ts["time"], ts["index"], label="index", color="black", lw=1.2)
    ax.plot(ts["time"], ts["mark"], label="mark", color="tab:blue", lw=1.0)
    ax.plot(ts["time"], ts["last"], label="last", color="tab:orange", lw=0.7, alpha=0.7)
    liq = ev[(ev["kind"] == "liquidation") & (ev["contract"] == 0)]
    for side, colour, name in (
        (1, "tab:red", "long liquidated"),
        (-1, "tab:green", "short liquidated"),
    ):
        rows = liq[liq["side"] == side]
        if len(rows):
            ax.scatter(rows["time"], rows["mark_price"], s=8, color=colour, label=name, zorder=3)
    ax.set(xlabel="time (s)", ylabel="price (USDT)", title="Prices and liquidations")
    ax.legend(loc="best", fontsize=8)
    return save_figure(fig, path)


def liquidation_plot(result: RunResult, path: Path) -> Path:
    """Liquidated notional per 10-second bin, long vs short."""
    ev = result.events
    liq = ev[ev["kind"] == "liquidation"].copy()
    fig, ax = plt.subplots(figsize=(10, 3.5))
    end = float(result.timeseries["time"].max()) if len(result.timeseries) else BIN_SECONDS
    bins = np.arange(0.0, end + BIN_SECONDS, BIN_SECONDS)
    for side, colour, name in ((1, "tab:red", "longs"), (-1, "tab:green", "shorts")):
        rows = liq[liq["side"] == side]
        sums, _ = np.histogram(rows["time"], bins=bins, weights=rows["notional"] / 1e6)
        ax.bar(bins[:-1], sums * side, width=BIN_SECONDS, color=colour, label=name, align="edge")
    ax.axhline(0, color="black", lw=0.6)
    ax.set(xlabel="time (s)", ylabel="notional (M USDT; shorts below 0)", title="Liquidations")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def insurance_plot(result: RunResult, path: Path) -> Path:
    """Insurance fund balance with ADL fills marked."""
    ts, ev = result.timeseries, result.events
    fig, ax = plt.subplots(figsize=(10, 3.5))
    ax.plot(ts["time"], ts["insurance_fund"] / 1e6, color="tab:purple", label="insurance fund")
    adl = ev[ev["kind"] == "adl"]
    if len(adl):
        times = np.unique(adl["time"])
        level = np.interp(times, ts["time"], ts["insurance_fund"] / 1e6)
        ax.scatter(times, level, color="tab:red", marker="v", s=25, label="ADL", zorder=3)
    ax.set(xlabel="time (s)", ylabel="balance (M USDT)", title="Insurance fund and ADL")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def spread_depth_plot(result: RunResult, path: Path) -> Path:
    """Quoted spread (bps) and depth within 1% of the mid."""
    ts = result.timeseries
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    top.plot(ts["time"], ts["spread_bps"], color="tab:blue", lw=0.8)
    top.set(ylabel="spread (bps)", title="Spread and depth", yscale="log")
    bottom.plot(ts["time"], ts["depth_bid"] / 1e6, color="tab:green", lw=0.8, label="bids")
    bottom.plot(ts["time"], ts["depth_ask"] / 1e6, color="tab:red", lw=0.8, label="asks")
    bottom.set(xlabel="time (s)", ylabel="depth ±1% (M USDT)")
    bottom.legend(fontsize=8)
    return save_figure(fig, path)


def cascade_plot(result: RunResult, path: Path) -> Path:
    """Cascade sizes: liquidations against notional, one dot per cascade."""
    cas = result.cascades
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(cas):
        sns.scatterplot(
            data=cas, x="n_liquidations", y=cas["notional"] / 1e6, hue="direction", ax=ax, s=40
        )
        ax.set(xscale="log")
    else:
        ax.text(0.5, 0.5, "no cascades", ha="center", va="center", transform=ax.transAxes)
    ax.set(xlabel="liquidations in the cascade", ylabel="notional (M USDT)", title="Cascade sizes")
    return save_figure(fig, path)


PLOTS = {
    "price.png": price_plot,
    "liquidations.png": liquidation_plot,
    "insurance_fund.png": insurance_plot,
    "spread_depth.png": spread_depth_plot,
    "cascades.png": cascade_plot,
}


def plot_run(result: RunResult, out: Path) -> list[Path]:
    """Every plot of a run into ``out``; returns the paths."""
    sns.set_theme(style="whitegrid", context="notebook")
    out.mkdir(parents=True, exist_ok=True)
    return [plot(result, out / name) for name, plot in PLOTS.items()]
