"""The dashboard page: ``solara run experiments/dashboard/app.py`` (or ``cascade dashboard``).

A scenario picker above Mesa's SolaraViz: picking a preset rebuilds the page with sliders that
start at that preset's values. SolaraViz does the rest: ▶ plays, ❚❚ pauses, Step advances,
Reset re-creates `CascadeModel` from the sliders' values (its keyword parameters).

The environment variables ``CASCADE_DASHBOARD_SCENARIO`` (a preset name or TOML path) and
``CASCADE_DASHBOARD_SEED`` choose what the page opens with.
"""

from __future__ import annotations

import os

import solara
from mesa.visualization import SolaraViz

from experiments.dashboard import DEFAULT_SCENARIO, SCENARIO_VARIABLE, SEED_VARIABLE
from experiments.dashboard.panels import PANELS
from experiments.dashboard.settings import initial_settings, model_params
from model.scenario import available_scenarios, load_scenario
from model.simulation import CascadeModel


def opening_choice() -> tuple[str, int | None]:
    """The preset and seed the page opens with (from the environment)."""
    seed = os.environ.get(SEED_VARIABLE)
    return os.environ.get(SCENARIO_VARIABLE, DEFAULT_SCENARIO), None if seed is None else int(seed)


@solara.component
def Page() -> None:
    """The whole dashboard."""
    first, seed = opening_choice()
    preset = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(preset.value, seed), [preset.value])
    model = solara.use_memo(lambda: CascadeModel(**initial_settings(params)), [params])
    choices = available_scenarios()
    if first not in choices:
        choices.append(first)
    with solara.Sidebar(), solara.Card("Scenario"):
        solara.Select("Scenario preset", value=preset, values=choices)
        solara.Text(load_scenario(preset.value).description)
    SolaraViz(
        model,
        components=[(panel, 0) for panel in PANELS],
        model_params=params,
        name="perp-cascade: liquidation cascade, live",
    ).key(f"viz-{preset.value}")
