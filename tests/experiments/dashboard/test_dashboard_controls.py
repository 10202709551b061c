"""The run controls advance the model in batches and never past its last step."""

from experiments.dashboard.controls import advance
from model.simulation import CascadeModel

SMALL = {"population.leveraged": 30, "population.noise": 10, "population.momentum": 5}


def short_model() -> CascadeModel:
    model = CascadeModel(preset="calm", duration=10.0, **SMALL)
    assert model.config.n_steps == 10
    return model


def test_a_batch_takes_the_steps_asked():
    model = short_model()
    assert advance(model, 4) == 4
    assert model.steps == 4
    assert model.running


def test_a_batch_stops_at_the_last_step():
    model = short_model()
    assert advance(model, 7) == 7
    assert advance(model, 7) == 3  # not 4: step 11 of 10 does not exist
    assert model.steps == model.config.n_steps == 10
    assert not model.running
    assert len(model.datacollector.model_vars["mark"]) == 10


def test_a_finished_run_takes_no_step():
    model = short_model()
    advance(model, 10)
    assert advance(model, 5) == 0
    assert model.steps == 10
