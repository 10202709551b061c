"""The dashboard page: ``solara run experiments/dashboard/app.py`` (or ``cascade dashboard``).

The sidebar holds the scenario picker, the run controls (Reset, ▶/❚❚, Step) and one control per
setting; the main area the panels, the summary and the order book first. Picking a preset builds
that preset and sets the controls to its values; Reset builds the picked preset again with the
controls' values (and the same seed), so everything the controls do not show stays the preset's.

The page is Solara, not Mesa's SolaraViz: after a preset switch SolaraViz's Reset built a default
("custom") model, its sliders rounded values to their step, its Step and play ran a batch past
the model's last step, and it adds a tab bar and a "Time" box this page has no use for.

The environment variables ``CASCADE_DASHBOARD_SCENARIO`` (a preset name or TOML path) and
``CASCADE_DASHBOARD_SEED`` choose what the page opens with.
"""

from __future__ import annotations

import os
from typing import cast

import solara

from experiments.dashboard import DEFAULT_SCENARIO, SCENARIO_VARIABLE, SEED_VARIABLE
from experiments.dashboard.controls import Drawn, RunControls, SettingInputs
from experiments.dashboard.panels import PANELS
from experiments.dashboard.settings import build_model, knobs_for, preset_settings
from model.scenario import ScenarioError, available_scenarios
from model.simulation import CascadeModel

TITLE = "perp-cascade: liquidation cascade, live"
# the panels side by side as the window allows: at 1400 px the summary and the order book share
# the first row, above the fold
GRID = "display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 8px"


def opening_choice() -> tuple[str, int | None]:
    """The preset and seed the page opens with (from the environment)."""
    seed = os.environ.get(SEED_VARIABLE)
    return os.environ.get(SCENARIO_VARIABLE, DEFAULT_SCENARIO), None if seed is None else int(seed)


def opening() -> tuple[dict[str, float], CascadeModel]:
    """The controls' values and the model the page opens with."""
    preset, seed = opening_choice()
    settings = preset_settings(preset)
    return settings, build_model(preset, seed, settings)


@solara.component
def Page() -> None:
    """The whole dashboard."""
    first, seed = opening_choice()
    start_settings, start_model = solara.use_memo(opening, [])
    preset = solara.use_reactive(first)
    settings = solara.use_reactive(start_settings)
    model = solara.use_reactive(start_model)
    frame = solara.use_reactive(0)  # bumped after each batch of steps: the panels redraw
    drawn = solara.use_memo(Drawn, [])
    played = solara.use_reactive(cast(CascadeModel | None, None))  # the model ▶ plays
    problem = solara.use_reactive("")
    choices = available_scenarios()
    if first not in choices:
        choices.append(first)

    def rebuild(name: str, values: dict[str, float]) -> None:
        try:
            new = build_model(name, seed, values)
        except ScenarioError as exc:  # a setting out of range: said, and the model kept
            problem.set(" ".join(str(exc).split()))
            return
        # one change pauses and replaces: ▶ plays `played`, which the new model is not
        problem.set("")
        model.set(new)

    def pick(name: str) -> None:
        values = preset_settings(name)
        preset.set(name)
        settings.set(values)
        rebuild(name, values)

    built = {knob.key: knob.read(model.value.config) for knob in knobs_for(model.value.config)}
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Scenario"):
            solara.Select("Scenario preset", value=preset.value, values=choices, on_value=pick)
            solara.Text(model.value.config.description)
        with solara.Card("Controls"):
            RunControls(
                model, frame, drawn, played, on_reset=lambda: rebuild(preset.value, settings.value)
            )
            if problem.value:
                solara.Error(problem.value)
        with solara.Card("Settings"):
            SettingInputs(settings, built)
    Panels(model.value, frame.value, drawn)


@solara.component
def Panels(model: CascadeModel, frame: int, drawn: Drawn) -> None:
    """Every panel of ``model``, drawn again whenever ``frame`` changes (then marked drawn)."""
    solara.use_effect(lambda: drawn.mark(frame), [frame])
    with solara.Div(style=GRID):
        for panel in PANELS:
            with solara.Div(classes=["panel", panel.__name__.replace("_", "-")]):
                panel(model)
