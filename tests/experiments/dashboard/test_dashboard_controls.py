"""The run controls advance the model in batches, never past its last step, and stop playing
when told to, even while they wait."""

import threading

from experiments.dashboard.controls import Drawn, advance, play_batches
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


def test_play_runs_batches_to_the_last_step_with_a_redraw_after_each():
    model = short_model()
    redraws = []
    play_batches(model, lambda: True, lambda: 4, lambda: None, lambda: redraws.append(model.steps))
    assert redraws == [4, 8, 10]  # the last batch stops at the last step
    assert not model.running


def test_a_pause_or_reset_during_the_wait_steps_nothing_more():
    model = short_model()
    state = {"playing": True, "pauses": 0}

    def pause():  # the user presses ❚❚ (or Reset) while the play thread waits, the second time
        state["pauses"] += 1
        if state["pauses"] == 2:
            state["playing"] = False

    play_batches(model, lambda: state["playing"], lambda: 3, pause, lambda: None)
    assert model.steps == 3  # the first batch only
    assert model.running


def test_the_play_thread_waits_for_its_frame_to_be_drawn():
    drawn = Drawn()
    painter = threading.Timer(0.05, drawn.mark, args=(1,))  # the page draws frame 1 meanwhile
    painter.start()
    drawn.wait(1, lambda: True)  # returns only once frame 1 is drawn
    painter.join()
    drawn.wait(1, lambda: True)  # drawn already: no wait


def test_a_pause_ends_the_wait_for_a_frame_that_is_not_drawn():
    drawn = Drawn()
    drawn.wait(5, lambda: False)  # returns although frame 5 is never drawn
