"""The dashboard's controls: each slider is one scenario setting, by its dotted key.

`CascadeModel` takes dotted keys as keyword arguments, so these keys are the model parameters Mesa's
SolaraViz passes back when the user presses Reset: the model needs no adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mesa.visualization import Slider

from model.scenario import Scenario, load_scenario

SHOCK_KEY = "index.shocks.0.change_pct"


@dataclass(frozen=True)
class Knob:
    """One slider: its label, the setting it moves and its range."""

    label: str
    key: str
    low: float
    high: float
    step: float

    def read(self, scenario: Scenario) -> float:
        """The setting's value in ``scenario``."""
        node: Any = scenario
        for part in self.key.split("."):
            node = node[int(part)] if part.isdigit() else getattr(node, part)
        return float(node)


KNOBS = (
    Knob("Median leverage (x)", "population.leverage.median", 1.0, 100.0, 1.0),
    Knob("Insurance fund (USDT)", "insurance_fund.initial", 0.0, 50_000_000.0, 10_000.0),
    Knob("Herding strength", "population.herding.strength", 0.0, 1.0, 0.05),
    Knob("Long bias (share of longs)", "population.long_bias", 0.0, 1.0, 0.05),
    Knob("Shock size (% index move)", SHOCK_KEY, -50.0, 50.0, 0.5),
)


def knobs_for(scenario: Scenario) -> list[Knob]:
    """The knobs that apply: the shock slider only when the scenario schedules a shock."""
    return [k for k in KNOBS if k.key != SHOCK_KEY or scenario.index.shocks]


def model_params(preset: str, seed: int | None = None) -> dict[str, Any]:
    """SolaraViz ``model_params`` for one preset: sliders start at the preset's own values."""
    scenario = load_scenario(preset)
    params: dict[str, Any] = {"preset": preset, "rng": scenario.seed if seed is None else seed}
    for knob in knobs_for(scenario):
        value = knob.read(scenario)
        low, high = min(knob.low, value), max(knob.high, value)
        params[knob.key] = Slider(knob.label, value, low, high, knob.step, dtype=float)
    return params


def initial_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments that build the model the page starts with (the sliders' values)."""
    return {k: v.value if isinstance(v, Slider) else v for k, v in params.items()}
