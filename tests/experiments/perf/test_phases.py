"""Time by phase of the step: every phase is timed, the shares add up, and timing changes
nothing in the run and leaves nothing behind."""

import numpy as np
import pandas as pd
import pytest

from agents.arbitrageur import Arbitrageur
from agents.market_maker import MarketMaker
from agents.spot_maker import SpotMaker
from experiments.perf import benchmark
from experiments.perf.phases import STEP_PHASES, phases_of, timing
from model import market
from model.scenario import load_scenario
from model.simulation import CascadeModel

SMALL = {"duration": 90.0, "population.leveraged": 30, "population.noise": 10}


def small_model():
    return CascadeModel(load_scenario("calm", SMALL), rng=np.random.SeedSequence(4))


def test_every_phase_and_quoter_is_timed_and_the_shares_add_up():
    table = phases_of(small_model())
    phases = table["phase"].tolist()
    for label, _, _ in STEP_PHASES:
        assert label in phases
    for quoter in ("perpetual makers quote", "arbitrageurs", "spot makers quote"):
        assert f"  of which {quoter}" in phases
    assert phases.index("mark price") + 1 == phases.index("risk check")  # step order
    assert phases.index("risk check") + 1 == phases.index("liquidation")
    assert phases[-1] == "whole run"
    assert (table["CPU s"].iloc[:-2] >= 0).all()
    top = table[~table["phase"].str.startswith("  ")].iloc[:-1]  # phases and the rest
    assert top["share %"].sum() == pytest.approx(100.0)
    assert top["CPU s"].sum() == pytest.approx(table["CPU s"].iloc[-1])
    # a quoter's time is part of the phase it runs in
    perp = table.set_index("phase")["CPU s"]
    assert (
        perp["  of which perpetual makers quote"] + perp["  of which arbitrageurs"]
        <= (perp["perpetual trades"])
    )


def test_timing_changes_nothing_in_the_run_and_puts_everything_back():
    originals = (MarketMaker.quote, Arbitrageur.act, SpotMaker.quote, market.assess)
    plain = small_model()
    plain.run()
    timed = small_model()
    phases_of(timed)
    pd.testing.assert_frame_equal(
        plain.datacollector.get_model_vars_dataframe(),
        timed.datacollector.get_model_vars_dataframe(),
    )
    assert (MarketMaker.quote, Arbitrageur.act, SpotMaker.quote, market.assess) == originals
    assert "run" not in vars(timed.liquidator) and "trade_perp" not in vars(timed.population)
    # and when the run fails half way
    broken = small_model()
    with pytest.raises(RuntimeError), timing(broken):
        raise RuntimeError("stop")
    assert (MarketMaker.quote, Arbitrageur.act, SpotMaker.quote, market.assess) == originals
    assert "_fund" not in vars(broken.market)


def test_phases_take_a_model_case_only(capsys):
    with pytest.raises(SystemExit):
        benchmark.main(["--phases", "book-replay"])
    assert "takes a model case" in capsys.readouterr().err
