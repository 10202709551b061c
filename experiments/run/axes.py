"""The project's axis rules, shared by every plot: money in k/M/B, counts in whole numbers.

Money is never shown with matplotlib's offset or scientific notation ("1e7" above the axis): a
money axis carries `MoneyFormatter`, whose ticks read 250k, 1.5M, 2B (or plain numbers below
1,000, as on an axis already divided into "M USDT"). An axis of counts (runs, liquidations)
carries ``MaxNLocator(integer=True)``: no tick at 2.5 runs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axis import Axis
from matplotlib.ticker import Formatter, MaxNLocator, NullFormatter

SCALES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def scale_of(largest: float) -> tuple[float, str]:
    """The divisor and suffix for numbers up to ``largest`` in size: B, M, k or none."""
    for scale, suffix in SCALES:
        if largest >= scale:
            return scale, suffix
    return 1.0, ""


def compact_money(value: float, digits: int = 3) -> str:
    """One amount in k/M/B with ``digits`` significant digits (12.3M, 950k, 42), for labels
    and annotations; NaN and inf as a dash."""
    if not math.isfinite(value):
        return "–"
    scale, suffix = scale_of(abs(value))
    return f"{value / scale:.{digits}g}{suffix}"


class MoneyFormatter(Formatter):
    """Tick labels in k/M/B (250k, 1.5M, 60.05k), each tick as short as its value allows; never
    an offset or scientific notation."""

    def get_offset(self) -> str:
        return ""

    def __call__(self, x: float, pos: int | None = None) -> str:
        if not math.isfinite(x):
            return ""
        if x == 0:
            return "0"
        scale, suffix = scale_of(abs(x))
        value = x / scale
        for decimals in range(7):  # the fewest decimals that show the tick exactly
            if abs(round(value, decimals) - value) <= 1e-9 * max(1.0, abs(value)):
                break
        return f"{value:,.{decimals}f}{suffix}"

    def format_data_short(self, value: Any) -> str:
        return compact_money(float(value), 4)


def money_axis(axis: Axis) -> Axis:
    """Show ``axis`` (``ax.xaxis``, ``ax.yaxis`` or a colour bar's) in k/M/B, no offset."""
    axis.set_major_formatter(MoneyFormatter())
    return axis


def count_axis(axis: Axis) -> Axis:
    """Ticks of ``axis`` only at whole numbers, for counts of runs or liquidations."""
    axis.set_major_locator(MaxNLocator(integer=True))
    return axis


def money_field(name: str) -> bool:
    """Whether a summary field is an amount of money (its meaning is in USDT)."""
    from experiments.run.metrics import FIELD_MEANINGS

    return "USDT" in FIELD_MEANINGS.get(name, "")


def outcome_axis(axis: Axis, name: str, values: Any = ()) -> Axis:
    """The axis of a summary field: k/M/B for money, whole numbers for counts (every value
    whole), else matplotlib's own ticks."""
    if money_field(name):
        return money_axis(axis)
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    if finite.size and np.all(finite == np.round(finite)):
        return count_axis(axis)
    return axis


def setting_axis(axis: Axis, values: Any) -> Axis:
    """The axis of a swept setting: numbers of 1,000 or more in k/M/B (a fund of 10M, 100k
    traders), whatever the scale; smaller ones as matplotlib shows them."""
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    if finite.size and np.abs(finite).max() >= 1e3:
        money_axis(axis)
        axis.set_minor_formatter(NullFormatter())  # a log axis labels its minor ticks too
    return axis


def setting_label(value: Any) -> str:
    """A swept setting's value as a category label: 20M for 20000000.0, 0.5 for 0.5, text as
    it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    number = float(value)
    return compact_money(number, 4) if abs(number) >= 1e3 else f"{number:g}"
