"""Every panel draws before the first step and after a few, and reads what the model holds."""

import pytest
import solara

from experiments.dashboard.panels import PANELS, book_levels, number, scale, series, summary_panel
from model.simulation import CascadeModel

SMALL = {"population.leveraged": 30, "population.noise": 10, "population.momentum": 5}


@pytest.fixture(scope="module")
def model():
    return CascadeModel(preset="flash-crash", **SMALL)


def test_every_panel_draws_before_and_after_steps(model):
    for panel in PANELS:
        assert isinstance(panel(model), solara.Element), panel.__name__
    for _ in range(3):
        model.step()
    for panel in PANELS:
        assert isinstance(panel(model), solara.Element), panel.__name__


def test_the_summary_states_the_step_and_the_models_own_settings():
    model = CascadeModel(preset="flash-crash", **SMALL, **{"population.long_bias": 0.55})
    model.step()
    element = summary_panel(model)
    text = element.kwargs["unsafe_innerHTML"]
    assert "step 1 of 1800" in text
    assert "<code>population.long_bias = 0.55</code>" in text
    assert "<code>insurance_fund.initial = 10,000,000</code>" in text


def test_units_fit_the_values():
    assert scale([20_000.0, 5.0]) == (1e3, "k")
    assert scale([3.2e6]) == (1e6, "M")
    assert scale([0.5]) == (1.0, "")
    assert scale([]) == (1.0, "")
    assert number(1e7) == "10,000,000"
    assert number(0.75) == "0.75"
    assert number(-7.0) == "-7"


def test_a_row_half_collected_by_a_step_in_another_thread_is_left_out():
    # SolaraViz's "Use Threads" draws while the model steps: one column may be a row ahead
    model = CascadeModel(preset="calm", **SMALL)
    for _ in range(3):
        model.step()
    model.datacollector.model_vars["mark"].append(1.0)
    frame = series(model)
    assert len(frame) == 3
    assert frame["mark"].notna().all()


def test_the_book_is_read_again_when_a_step_changed_it_meanwhile():
    class Moving:
        calls = 0

        def depth(self, side, levels):
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("dictionary changed size during iteration")
            return [(600_000, 5)]

    book = Moving()
    assert book_levels(book, 1) == [(600_000, 5)]
    assert book.calls == 2
