"""The plots of one run (PNG, seaborn style), each a function of the run's frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D

from experiments.run.axes import money_axis
from experiments.run.runner import RunResult

BIN_SECONDS = 10.0
CASCADE_COLOURS = {"down": "tab:red", "up": "tab:green"}
CASCADE_SIDES = {"down": "longs liquidated", "up": "shorts liquidated"}
LABELLED_CASCADES = 5  # the largest cascades get their liquidation count written next to them
# (largest absolute value below which the unit is used, divisor, unit): the axis's numbers stay
# between 1 and 1,000, so a 20k vault reads 20 k USDT, not 0.02 M USDT
MONEY_UNITS = ((1e3, 1.0, "USDT"), (1e6, 1e3, "k USDT"), (1e9, 1e6, "M USDT"))
BILLIONS = (1e9, "B USDT")
ONE_SIDED_COLOURS = {"no bids": "tab:red", "no asks": "tab:green", "empty book": "tab:gray"}


def money_unit(values: Any) -> tuple[float, str]:
    """The divisor and unit that keep a money axis in readable numbers: below 1,000 in USDT,
    then thousands (k), millions (M) and billions (B), by the largest absolute value. NaN and
    inf are ignored."""
    if isinstance(values, list | tuple) and any(np.ndim(v) for v in values):
        parts = [np.asarray(v, dtype=float).ravel() for v in values]  # series of any lengths
        array = np.abs(np.concatenate(parts)) if parts else np.zeros(0)
    else:
        array = np.abs(np.asarray(values, dtype=float).ravel())
    finite = array[np.isfinite(array)]
    largest = float(finite.max()) if finite.size else 0.0
    for limit, divisor, unit in MONEY_UNITS:
        if largest < limit:
            return divisor, unit
    return BILLIONS


def one_sided_spans(time: object, bid: object, ask: object) -> list[tuple[float, float, str]]:
    """Stretches of time with one side of the book (or both) empty, when no spread exists.

    Each is ``(start, end, what)``, ``what`` one of ``"no bids"``, ``"no asks"`` and
    ``"empty book"``; a stretch runs from its first recorded step to the next recorded step
    after its last (the time the side came back).
    """
    t = np.asarray(time, dtype=float)
    no_bid = np.isnan(np.asarray(bid, dtype=float))
    no_ask = np.isnan(np.asarray(ask, dtype=float))
    state = np.where(no_bid & no_ask, 3, np.where(no_bid, 1, np.where(no_ask, 2, 0)))
    names = {1: "no bids", 2: "no asks", 3: "empty book"}
    spans = []
    start = 0
    for i in range(1, len(t) + 1):
        if i == len(t) or state[i] != state[start]:
            if state[start]:
                end = t[i] if i < len(t) else t[-1]
                spans.append((float(t[start]), float(end), names[int(state[start])]))
            start = i
    return spans


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Save a figure as the PNG every plot of the project is (tight layout, 110 dpi), close it."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def price_plot(result: RunResult, path: Path) -> Path:
    """Fundamental value (when the index is made from spot venues), index, mark and last price,
    with liquidations marked (red long, green short): the gap between the fundamental value and
    the index is what forced selling added."""
    ts, ev = result.timeseries, result.events
    fig, ax = plt.subplots(figsize=(10, 4.5))
    if "fundamental" in ts and not ts["fundamental"].equals(ts["index"]):
        ax.plot(ts["time"], ts["fundamental"], label="fundamental", color="0.6", lw=1.2, ls="--")
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
    money_axis(ax.yaxis)
    ax.legend(loc="best", fontsize=8)
    return save_figure(fig, path)


def liquidation_plot(result: RunResult, path: Path) -> Path:
    """Liquidated notional per 10-second bin, long vs short."""
    ev = result.events
    liq = ev[ev["kind"] == "liquidation"].copy()
    fig, ax = plt.subplots(figsize=(10, 3.5))
    end = float(result.timeseries["time"].max()) if len(result.timeseries) else BIN_SECONDS
    bins = np.arange(0.0, end + BIN_SECONDS, BIN_SECONDS)
    binned = []
    for side, colour, name in ((1, "tab:red", "longs"), (-1, "tab:green", "shorts")):
        rows = liq[liq["side"] == side]
        sums, _ = np.histogram(rows["time"], bins=bins, weights=rows["notional"])
        binned.append((side, colour, name, sums))
    divisor, unit = money_unit([sums for *_, sums in binned])
    for side, colour, name, sums in binned:
        ax.bar(
            bins[:-1],
            sums * side / divisor,
            width=BIN_SECONDS,
            color=colour,
            label=name,
            align="edge",
        )
    ax.axhline(0, color="black", lw=0.6)
    ax.set(
        xlabel="time (s)",
        # two lines: one would be taller than the axis and cut off at the figure's edges
        ylabel=f"notional per {BIN_SECONDS:g} s\n({unit}; shorts < 0)",
        title="Liquidations",
    )
    money_axis(ax.yaxis)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def insurance_plot(result: RunResult, path: Path) -> Path:
    """Insurance fund balance with ADL fills marked."""
    ts, ev = result.timeseries, result.events
    fig, ax = plt.subplots(figsize=(10, 3.5))
    divisor, unit = money_unit(ts["insurance_fund"])
    balance = ts["insurance_fund"] / divisor
    ax.plot(ts["time"], balance, color="tab:purple", label="insurance fund")
    adl = ev[ev["kind"] == "adl"]
    if len(adl):
        times = np.unique(adl["time"])
        level = np.interp(times, ts["time"], balance)
        ax.scatter(times, level, color="tab:red", marker="v", s=25, label="ADL", zorder=3)
    ax.set(xlabel="time (s)", ylabel=f"balance ({unit})", title="Insurance fund and ADL")
    money_axis(ax.yaxis)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def spread_depth_plot(result: RunResult, path: Path) -> Path:
    """Quoted spread (bps) and depth within 1% of the mid.

    Where one side of the book is empty there is no spread, so the line stops; those stretches
    are shaded and named (no bids, no asks) instead of leaving unexplained gaps.
    """
    ts = result.timeseries
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    top.plot(ts["time"], ts["spread_bps"], color="tab:blue", lw=0.8, label="spread")
    top.set(ylabel="spread (bps)", title="Spread and depth", yscale="log")
    shown: set[str] = set()
    for start, end, what in one_sided_spans(ts["time"], ts["best_bid"], ts["best_ask"]):
        label = None if what in shown else f"{what}: no spread"
        shown.add(what)
        for ax in (top, bottom):
            ax.axvspan(
                start,
                end,
                color=ONE_SIDED_COLOURS[what],
                alpha=0.25,
                lw=0,
                label=label if ax is top else None,
            )
    top.legend(fontsize=8, loc="upper right")
    divisor, unit = money_unit([ts["depth_bid"], ts["depth_ask"]])
    bottom.plot(ts["time"], ts["depth_bid"] / divisor, color="tab:green", lw=0.8, label="bids")
    bottom.plot(ts["time"], ts["depth_ask"] / divisor, color="tab:red", lw=0.8, label="asks")
    bottom.set(xlabel="time (s)", ylabel=f"depth ±1% ({unit})")
    money_axis(bottom.yaxis)
    bottom.legend(fontsize=8)
    return save_figure(fig, path)


def cascade_plot(result: RunResult, path: Path) -> Path:
    """How each cascade of the run grew: its liquidated notional so far against time, one step
    line per cascade (red: down, longs liquidated; green: up), the largest labelled with their
    number of liquidations.

    One run has few cascades, so a distribution of their sizes says little; when each started,
    how fast it grew and how large it got are what the run shows.
    """
    cas, ev = result.cascades, result.events
    fig, ax = plt.subplots(figsize=(10, 3.8))
    end = float(result.timeseries["time"].max()) if len(result.timeseries) else 1.0
    if len(cas):
        liq = ev[ev["kind"] == "liquidation"].sort_values("time", kind="stable")
        divisor, unit = money_unit(cas["notional"])
        labelled = set(cas.nlargest(LABELLED_CASCADES, "notional")["cascade_id"])
        for row in cas.itertuples():
            rows = liq[liq["cascade_id"] == row.cascade_id]
            times = np.concatenate([[row.start], rows["time"].to_numpy(dtype=float)])
            sizes = np.concatenate([[0.0], np.cumsum(rows["notional"].to_numpy(dtype=float))])
            colour = CASCADE_COLOURS.get(row.direction, "tab:gray")
            ax.step(times, sizes / divisor, where="post", color=colour, lw=1.2)
            if row.cascade_id in labelled:
                ax.annotate(
                    f"{row.n_liquidations} liq.",
                    (times[-1], sizes[-1] / divisor),
                    xytext=(3, 3),
                    textcoords="offset points",
                    fontsize=7,
                )
        handles = [
            Line2D([], [], color=c, label=f"{d} ({CASCADE_SIDES[d]})")
            for d, c in CASCADE_COLOURS.items()
            if (cas["direction"] == d).any()
        ]
        ax.legend(handles=handles, fontsize=8)
    else:
        unit = "USDT"
        ax.text(0.5, 0.5, "no cascades", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0.0, end)
    ax.set(
        xlabel="time (s)",
        ylabel=f"cascade notional so far ({unit})",
        title=f"Cascades: {len(cas)} in this run, how each grew",
    )
    money_axis(ax.yaxis)
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
