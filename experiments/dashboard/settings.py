"""The dashboard's controls: each is one scenario setting, by its dotted key.

`CascadeModel` takes a preset and dotted keys as keyword arguments, so Reset builds
``CascadeModel(preset=..., rng=seed, **settings)``: the preset supplies everything the controls
do not show (its shock's timing, its population, its venue), the controls their own values.

A control never changes a value it was not moved to: a slider's step always fits the value it
starts at (a finer step where the preset's value is off the usual grid), and money is typed into a
box, not picked on a slider, so a plain Reset rebuilds the preset exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.scenario import Scenario, load_scenario
from model.simulation import CascadeModel

SHOCK_KEY = "index.shocks.0.change_pct"
FINEST = 1e-6  # the finest slider step: a browser writes a smaller one as 1e-7, which it misreads
MONEY_UNITS = {"k": 1e3, "m": 1e6, "b": 1e9}


@dataclass(frozen=True)
class Knob:
    """One control: its label, the setting it moves, its range and its step.

    A ``money`` knob is a text box (any amount, no rounding); the others are sliders.
    """

    label: str
    key: str
    low: float
    high: float
    step: float
    money: bool = False

    def read(self, scenario: Scenario) -> float:
        """The setting's value in ``scenario``."""
        node: Any = scenario
        for part in self.key.split("."):
            node = node[int(part)] if part.isdigit() else getattr(node, part)
        return float(node)

    def slider(self, value: float) -> tuple[float, float, float]:
        """The slider's (min, max, step) for a setting now at ``value``: the range widened to
        hold it and a step that lands on it, so the slider shows it without rounding."""
        low, high = min(self.low, value), max(self.high, value)
        return low, high, fitting_step(low, value, self.step)


def fitting_step(low: float, value: float, step: float) -> float:
    """``step``, or a finer one (``step`` over a power of ten, else a power of ten) so that a
    slider from ``low`` with that step has ``value`` on its grid (the browser's slider rounds to
    ``low % step + k step``).

    A value that no step down to `FINEST` fits (a third, say) gets the finest.
    """
    candidates = [step / 10**k for k in range(7)] + [10.0**-k for k in range(7)]
    for candidate in candidates:
        candidate = float(f"{candidate:.12g}")
        if not FINEST <= candidate <= step:
            continue
        offset = math.fmod(low, candidate)
        count = (value - offset) / candidate
        if abs(count - round(count)) < 1e-9 * max(1.0, abs(count)):
            return candidate
    return FINEST


KNOBS = (
    Knob("Median leverage (x)", "population.leverage.median", 1.0, 100.0, 1.0),
    Knob("Insurance fund (USDT)", "insurance_fund.initial", 0.0, math.inf, 1.0, money=True),
    Knob("Herding strength", "population.herding.strength", 0.0, 1.0, 0.05),
    Knob("Long bias (share of longs)", "population.long_bias", 0.0, 1.0, 0.05),
    Knob("Shock size (% index move)", SHOCK_KEY, -50.0, 50.0, 0.5),
)


def knobs_for(scenario: Scenario) -> list[Knob]:
    """The knobs that apply: the shock slider only when the scenario schedules a shock."""
    return [k for k in KNOBS if k.key != SHOCK_KEY or scenario.index.shocks]


def preset_settings(preset: str | Path) -> dict[str, float]:
    """The controls' values for a preset (or TOML file): its own settings, keyed by dotted key."""
    scenario = load_scenario(preset)
    return {knob.key: knob.read(scenario) for knob in knobs_for(scenario)}


def build_model(preset: str | Path, seed: int | None, settings: dict[str, float]) -> CascadeModel:
    """The model Reset builds: the preset, the seed (None: the preset's) and the controls' values,
    in steps of one second whatever the preset's policy (the dashboard shows the market second
    by second; adaptive steps would make its frames uneven in time).

    Raises:
        ScenarioError: a setting out of its allowed range.
    """
    keywords: dict[str, Any] = dict(settings)  # dotted keys, never the model's own arguments
    keywords["stepping.policy"] = "fixed"
    return CascadeModel(preset=preset, rng=seed, **keywords)


def number(value: float) -> str:
    """A setting as a reader wants it: 10,000,000 rather than 1e+07, 0.75 as it is."""
    return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1e4 else f"{value:g}"


def parse_money(text: str) -> float:
    """An amount typed in the money box: ``28000``, ``28,000``, ``28 000``, ``28k``, ``1.5M``.

    Raises:
        ValueError: not a finite amount of zero or more.
    """
    clean = "".join(text.split()).replace(",", "").replace("_", "").lower()
    factor = MONEY_UNITS.get(clean[-1:], 1.0)
    digits = clean[:-1] if factor != 1.0 else clean
    try:
        value = float(digits) * factor
    except ValueError:
        raise ValueError(f"{text!r} is not an amount: type e.g. 28000, 28,000 or 1.5M") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{text!r}: an amount of 0 or more")
    return value
