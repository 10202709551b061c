"""CascadeModel built from keyword arguments, as Mesa's own tools (SolaraViz, batch_run) build it."""

import pytest
from mesa.experimental.scenarios import Scenario as MesaScenario

from model.scenario import ScenarioError, load_scenario
from model.simulation import CascadeModel

SMALL = {"population.leveraged": 30, "population.noise": 10, "population.momentum": 5}


def test_a_preset_and_dotted_settings_build_the_same_model_as_the_scenario_object():
    by_keywords = CascadeModel(
        preset="flash-crash", rng=4, **SMALL, **{"population.long_bias": 0.6}
    )
    scenario = load_scenario("flash-crash", {**SMALL, "population.long_bias": 0.6})
    by_object = CascadeModel(scenario, rng=4)
    assert by_keywords.config == by_object.config
    for model in (by_keywords, by_object):
        for _ in range(5):
            model.step()
    frames = [m.datacollector.get_model_vars_dataframe() for m in (by_keywords, by_object)]
    assert frames[0].equals(frames[1])


def test_settings_apply_on_top_of_a_scenario_object():
    model = CascadeModel(load_scenario("calm", SMALL), **{"insurance_fund.initial": 123.0})
    assert model.config.name == "calm"
    assert model.config.insurance_fund.initial == 123.0


def test_mesa_reset_passes_its_own_scenario_and_the_model_still_builds():
    # SolaraViz's Reset calls type(model)(**params, scenario=<Mesa's Scenario>): Mesa's reserved
    # name for its own scenario object, which must not replace ours
    model = CascadeModel(
        scenario=MesaScenario(rng=None),
        preset="calm",
        rng=9,
        **SMALL,
        **{"population.long_bias": 0.3},
    )
    assert model.config.name == "calm"
    assert model.config.population.long_bias == 0.3
    assert model.seed == 9


def test_fields_of_a_mesa_scenario_are_settings_and_its_rng_the_seed():
    scenario = MesaScenario(rng=5, **{"population.herding.strength": 0.4})
    model = CascadeModel(scenario, preset="calm", **SMALL)
    assert model.config.population.herding.strength == 0.4
    assert model.seed == 5


def test_a_scenario_and_a_preset_together_are_refused():
    with pytest.raises(ScenarioError, match="not both"):
        CascadeModel(load_scenario("calm"), preset="calm")


def test_an_unknown_keyword_is_refused_by_name():
    with pytest.raises(ScenarioError, match=r"population\.nope"):
        CascadeModel(preset="calm", **{"population.nope": 1})
