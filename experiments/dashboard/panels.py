"""What the dashboard draws: one panel per part of the cascade, re-drawn after every step.

Each panel is a function of the model that the page (`app`) re-runs when the model steps. Series come from
the model's Mesa DataCollector (one row per step); the book ladder and the summary read the model
directly. Figures are `matplotlib.figure.Figure` objects, so no backend is selected.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.dashboard.settings import KNOBS, knobs_for, number

if TYPE_CHECKING:
    from model.orderbook import OrderBook
    from model.simulation import CascadeModel

LADDER_BAND = 0.01  # the book is drawn within 1% of the mark, as its depth is measured
LADDER_LEVELS = 2_000  # at most this many price levels a side are read
READ_ATTEMPTS = 5  # reads of the book while another thread may be stepping the model
UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def scale(values: pd.Series | np.ndarray) -> tuple[float, str]:
    """A divisor and its prefix so that the largest value reads between 1 and 1000."""
    peak = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    for factor, prefix in UNITS:
        if peak >= factor:
            return factor, prefix
    return 1.0, ""


def series(model: CascadeModel) -> pd.DataFrame:
    """Everything recorded so far, one row per step (Mesa's DataCollector's columns).

    The play thread may step the model while a panel draws (the page redraws when a control
    moves), so a column may already hold the next step's value: the rows every column has are
    taken.
    """
    columns = model.datacollector.model_vars
    rows = min((len(values) for values in columns.values()), default=0)
    return pd.DataFrame({name: values[:rows] for name, values in columns.items()})


def _figure(title: str) -> tuple[Figure, Axes]:
    # fixed margins: a constrained layout doubles the time of a redraw, paid after every step
    fig = Figure(figsize=(6.0, 3.0), dpi=80)
    fig.subplots_adjust(left=0.13, right=0.95, top=0.9, bottom=0.16)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("time (s)")
    return fig, ax


def _show(fig: Figure) -> solara.Element:
    return solara.FigureMatplotlib(fig, format="png")


def _no_steps(ax: Axes) -> None:
    ax.text(
        0.5, 0.5, "no steps yet: press Step or ▶", ha="center", va="center", transform=ax.transAxes
    )


def price_panel(model: CascadeModel) -> solara.Element:
    """Index, mark and last trade price (contract 0)."""
    fig, ax = _figure(f"{model.exchange.contracts[0].symbol}: index, mark, last trade")
    df = series(model)
    if df.empty:
        _no_steps(ax)
    else:
        ax.plot(df["time"], df["index"], label="index", color="0.4", lw=1.0)
        ax.plot(df["time"], df["last"], label="last", color="tab:orange", lw=0.8, alpha=0.8)
        ax.plot(df["time"], df["mark"], label="mark", color="tab:blue", lw=1.2)
        ax.set_ylabel("USDT")
        ax.legend(loc="best", fontsize=8)
    return _show(fig)


def liquidations_panel(model: CascadeModel) -> solara.Element:
    """Notional liquidated each step, longs against shorts."""
    fig, ax = _figure("liquidations per step")
    df = series(model)
    if df.empty:
        _no_steps(ax)
    else:
        both = pd.concat([df["liq_notional_long"], df["liq_notional_short"]])
        factor, prefix = scale(both)
        # filled steps, not bars: a thousand bars take seconds to draw, every step
        t = df["time"].to_numpy()
        longs = df["liq_notional_long"].to_numpy() / factor
        shorts = -df["liq_notional_short"].to_numpy() / factor
        ax.fill_between(t, longs, step="pre", color="tab:red", label="longs", lw=0)
        ax.fill_between(t, shorts, step="pre", color="tab:green", label="shorts", lw=0)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_ylabel(f"{prefix} USDT (shorts below 0)")
        total = int(df["liq_count_long"].sum() + df["liq_count_short"].sum())
        ax.legend(loc="best", fontsize=8, title=f"{total} liquidations", title_fontsize=8)
    return _show(fig)


def fund_panel(model: CascadeModel) -> solara.Element:
    """Insurance fund balance against where it started."""
    fig, ax = _figure("insurance fund")
    df = series(model)
    if df.empty:
        _no_steps(ax)
    else:
        factor, prefix = scale(
            pd.concat([df["insurance_fund"], pd.Series([model.insurance_fund_start])])
        )
        ax.plot(df["time"], df["insurance_fund"] / factor, color="tab:purple")
        ax.axhline(model.insurance_fund_start / factor, color="0.6", ls="--", lw=0.8, label="start")
        ax.set_ylabel(f"{prefix} USDT")
        ax.legend(loc="best", fontsize=8)
    return _show(fig)


def adl_panel(model: CascadeModel) -> solara.Element:
    """Auto-deleveraging so far: notional closed against profitable traders."""
    fig, ax = _figure("auto-deleveraging (cumulative)")
    df = series(model)
    if df.empty:
        _no_steps(ax)
    else:
        notional = df["adl_notional"].cumsum()
        factor, prefix = scale(notional)
        ax.step(df["time"], notional / factor, where="post", color="tab:brown")
        ax.set_ylabel(f"{prefix} USDT deleveraged")
        ax.set_ylim(bottom=0.0, top=max(1.0, float(notional.max() / factor) * 1.1))
        ax.text(
            0.02, 0.9, f"{int(df['adl_count'].sum())} ADL fills", transform=ax.transAxes, fontsize=8
        )
    return _show(fig)


def depth_panel(model: CascadeModel) -> solara.Element:
    """Resting notional within 1% of the mid, each side: liquidity thins as the cascade runs."""
    fig, ax = _figure("book depth within 1% of mid")
    df = series(model)
    if df.empty:
        _no_steps(ax)
    else:
        factor, prefix = scale(pd.concat([df["depth_bid"], df["depth_ask"]]).dropna())
        ax.plot(df["time"], df["depth_bid"] / factor, color="tab:green", label="bids")
        ax.plot(df["time"], df["depth_ask"] / factor, color="tab:red", label="asks")
        ax.set_ylabel(f"{prefix} USDT")
        ax.set_ylim(bottom=0.0)
        ax.legend(loc="best", fontsize=8)
    return _show(fig)


def book_panel(model: CascadeModel) -> solara.Element:
    """The order book now within 1% of the mark: cumulative size by price, bids and asks."""
    spec = model.exchange.contracts[0]
    book = model.exchange.books[0]
    mark = float(model.mark[0])
    fig, ax = _figure(f"order book within 1% of mark (t = {model.clock:g} s)")
    ax.set_xlabel("price (USDT)")
    for side, color, label in ((1, "tab:green", "bids"), (-1, "tab:red", "asks")):
        levels = [
            (tick * spec.tick_size, qty)
            for tick, qty in book_levels(book, side)
            if abs(tick * spec.tick_size / mark - 1.0) <= LADDER_BAND
        ]
        if levels:
            prices = np.array([p for p, _ in levels])
            sizes = np.cumsum([q for _, q in levels]) * spec.lot_size
            ax.step(prices, sizes, where="post", color=color, label=label)
            ax.fill_between(prices, sizes, step="post", color=color, alpha=0.25)
    ax.axvline(mark, color="tab:blue", lw=0.8, ls="--", label="mark")
    ax.set_xlim(mark * (1 - LADDER_BAND), mark * (1 + LADDER_BAND))
    ax.set_ylabel("cumulative size (base units)")
    ax.legend(loc="best", fontsize=8)
    return _show(fig)


def book_levels(book: OrderBook, side: int) -> list[tuple[int, int]]:
    """The book's best levels on one side; read again if a step in another thread (▶ plays in
    one) changed the book while it was read."""
    for _ in range(READ_ATTEMPTS - 1):
        try:
            return book.depth(side, LADDER_LEVELS)
        except (KeyError, RuntimeError):
            continue
    return book.depth(side, LADDER_LEVELS)


def summary_panel(model: CascadeModel) -> solara.Element:
    """The run in numbers beside the settings this model was built with (read from the model)."""
    df = series(model)
    scenario = model.config
    status = "running" if model.running else "finished"
    where = f"step {model.steps} of {scenario.n_steps} (t = {model.clock:g} s, {status})"
    now = [
        ("mark", f"{model.mark[0]:,.1f}"),
        ("index", f"{model.index_price[0]:,.1f}"),
        ("insurance fund", f"{model.funds.total_balance():,.0f}"),
    ]
    if not df.empty:
        count = int(df["liq_count_long"].sum() + df["liq_count_short"].sum())
        notional = float(df["liq_notional_long"].sum() + df["liq_notional_short"].sum())
        now.append(("liquidations", f"{count} ({_short(notional)} USDT)"))
        adl = float(df["adl_notional"].sum())
        now.append(("ADL fills", f"{int(df['adl_count'].sum())} ({_short(adl)} USDT)"))
    settings = [f"<code>{k.key} = {number(k.read(scenario))}</code>" for k in knobs_for(scenario)]
    if len(settings) < len(KNOBS):
        settings.append("no shock in this scenario")
    values = "".join(
        f"<tr><td>{escape(a)}</td><td style='text-align:right;padding-left:1em'>{escape(b)}</td></tr>"
        for a, b in now
    )
    lines = "".join(f"<tr><td>{line}</td></tr>" for line in settings)
    # HTML, not Markdown: Solara's Markdown loads KaTeX from a CDN, which an offline page lacks.
    # The two tables sit side by side where they fit, else one under the other; nothing wraps
    # (the page's theme wraps <code>, hence the style).
    return solara.HTML(
        unsafe_innerHTML=f"<p><b>{escape(scenario.name)}</b>: {where}</p>"
        "<style>.cascade-summary td, .cascade-summary code { white-space: nowrap }</style>"
        "<div class='cascade-summary' style='display:flex;flex-wrap:wrap;column-gap:2em'>"
        f"<table><tr><th style='text-align:left'>now</th></tr>{values}</table>"
        f"<table><tr><th style='text-align:left'>model settings</th></tr>{lines}</table></div>",
        style="font-size: 13px",
    )


def _short(value: float) -> str:
    factor, prefix = scale(np.array([value]))
    return f"{value / factor:,.1f}{prefix}"


PANELS = (  # the summary and the book first: they share the first row, above the fold
    summary_panel,
    book_panel,
    price_panel,
    liquidations_panel,
    fund_panel,
    adl_panel,
    depth_panel,
)
