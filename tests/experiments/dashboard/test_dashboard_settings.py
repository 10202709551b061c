"""The dashboard's sliders are scenario settings: they start at the preset's values and build it."""

import pytest
from mesa.visualization import Slider

from experiments.dashboard.settings import KNOBS, SHOCK_KEY, initial_settings, model_params
from model.scenario import available_scenarios, load_scenario
from model.simulation import CascadeModel

SMALL = {"population.leveraged": 30, "population.noise": 10, "population.momentum": 5}


@pytest.mark.parametrize("preset", available_scenarios())
def test_sliders_start_at_the_presets_values(preset):
    scenario = load_scenario(preset)
    params = model_params(preset)
    assert params["preset"] == preset
    assert params["rng"] == scenario.seed
    for knob in KNOBS:
        if knob.key in params:
            slider = params[knob.key]
            assert isinstance(slider, Slider)
            assert slider.value == knob.read(scenario)
            assert slider.min <= slider.value <= slider.max


def test_the_five_controls_of_the_issue_are_there():
    keys = {knob.key for knob in KNOBS}
    assert keys == {
        "population.leverage.median",
        "insurance_fund.initial",
        "population.herding.strength",
        "population.long_bias",
        SHOCK_KEY,
    }


def test_a_scenario_without_a_shock_has_no_shock_slider():
    assert not load_scenario("calm").index.shocks
    assert SHOCK_KEY not in model_params("calm")
    assert SHOCK_KEY in model_params("flash-crash")


def test_the_sliders_values_build_the_preset_itself():
    params = model_params("short-squeeze", seed=3)
    model = CascadeModel(**initial_settings(params), **SMALL)
    assert model.config == load_scenario("short-squeeze", SMALL)
    assert model.seed == 3


def test_every_slider_moves_its_setting_on_the_model():
    params = initial_settings(model_params("flash-crash"))
    moved = {knob.key: (knob.low + knob.high) / 2 for knob in KNOBS}
    model = CascadeModel(**{**params, **moved, **SMALL})
    for knob in KNOBS:
        assert knob.read(model.config) == moved[knob.key]
