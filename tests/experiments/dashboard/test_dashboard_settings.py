"""The dashboard's controls are scenario settings: they start at the preset's values, they never
change a value they were not moved to, and Reset with them untouched builds the preset itself."""

import math

import pytest

from experiments.dashboard.settings import (
    KNOBS,
    SHOCK_KEY,
    build_model,
    fitting_step,
    knobs_for,
    number,
    parse_money,
    preset_settings,
)
from model.scenario import ScenarioError, available_scenarios, load_scenario

SMALL = {"population.leveraged": 30, "population.noise": 10, "population.momentum": 5}


def on_grid(low: float, step: float, value: float) -> bool:
    """Whether the browser's slider keeps ``value``: it rounds to ``low % step + k step``."""
    offset = math.fmod(low, step)
    snapped = round((value - offset) / step) * step + offset
    return math.isclose(snapped, value, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("preset", available_scenarios())
def test_the_controls_start_at_the_presets_values_and_no_slider_rounds_them(preset):
    scenario = load_scenario(preset)
    settings = preset_settings(preset)
    assert set(settings) == {knob.key for knob in knobs_for(scenario)}
    for knob in knobs_for(scenario):
        value = settings[knob.key]
        assert value == knob.read(scenario)
        if not knob.money:
            low, high, step = knob.slider(value)
            assert low <= value <= high
            assert on_grid(low, step, value), (knob.key, value, step)


@pytest.mark.parametrize("preset", available_scenarios())
def test_a_plain_reset_builds_the_preset_itself(preset):
    model = build_model(preset, None, {**preset_settings(preset), **SMALL})
    # its shock, its every setting; steps of one second whatever the preset's policy
    fixed = {**SMALL, "stepping.policy": "fixed"}
    assert model.config == load_scenario(preset, fixed)
    assert model.config.stepping.policy == "fixed"
    assert model.seed == load_scenario(preset).seed


def test_the_seed_is_kept():
    assert build_model("short-squeeze", 3, {**preset_settings("short-squeeze"), **SMALL}).seed == 3


def test_money_is_a_box_not_a_slider():
    (fund,) = [knob for knob in KNOBS if knob.key == "insurance_fund.initial"]
    assert fund.money  # 28,000 (oct-10-2025) stays 28,000: no slider step rounds it to 30,000


def test_a_step_is_refined_until_the_value_is_on_the_grid():
    assert fitting_step(0.0, 0.85, 0.05) == 0.05
    assert fitting_step(0.0, 0.33, 0.05) == 0.005
    assert fitting_step(1.0, 12.5, 1.0) == 0.1
    assert fitting_step(-50.0, -14.25, 0.5) == 0.05
    assert on_grid(0.0, fitting_step(0.0, 0.123456, 0.05), 0.123456)
    assert fitting_step(0.0, 1 / 3, 0.05) >= 1e-6  # none fits: the finest the browser reads


def test_a_value_outside_a_sliders_range_widens_it():
    (leverage,) = [knob for knob in KNOBS if knob.key == "population.leverage.median"]
    low, high, step = leverage.slider(150.0)
    assert (low, high) == (1.0, 150.0)
    assert on_grid(low, step, 150.0)


def test_the_five_controls_of_the_issue_are_there():
    assert {knob.key for knob in KNOBS} == {
        "population.leverage.median",
        "insurance_fund.initial",
        "population.herding.strength",
        "population.long_bias",
        SHOCK_KEY,
    }


def test_a_scenario_without_a_shock_has_no_shock_control():
    assert not load_scenario("calm").index.shocks
    assert SHOCK_KEY not in preset_settings("calm")
    assert SHOCK_KEY in preset_settings("flash-crash")


def test_every_control_moves_its_setting_on_the_model():
    moved = {knob.key: (knob.low + min(knob.high, 1e6)) / 2 for knob in KNOBS}
    model = build_model("flash-crash", None, {**moved, **SMALL})
    for knob in KNOBS:
        assert knob.read(model.config) == moved[knob.key]


def test_a_setting_out_of_range_is_refused_by_the_model():
    with pytest.raises(ScenarioError):
        build_model("flash-crash", None, {"population.long_bias": 1.5, **SMALL})


@pytest.mark.parametrize(
    ("text", "amount"),
    [("28000", 28_000.0), ("28,000", 28_000.0), (" 28 000 ", 28_000.0), ("28k", 28_000.0),
     ("1.5M", 1_500_000.0), ("0", 0.0), ("2b", 2e9), ("10_000_000", 1e7)],
)  # fmt: skip
def test_amounts_are_read_as_people_type_them(text, amount):
    assert parse_money(text) == amount


@pytest.mark.parametrize("text", ["", "abc", "-5", "1e999", "nan", "12kk"])
def test_a_typo_is_refused(text):
    with pytest.raises(ValueError, match=r"amount"):
        parse_money(text)


def test_numbers_read_as_people_write_them():
    assert number(1e7) == "10,000,000"
    assert number(28_000.0) == "28,000"
    assert number(0.75) == "0.75"
    assert number(-7.0) == "-7"
    assert parse_money(number(12_345_678.0)) == 12_345_678.0  # the box reads what it shows
