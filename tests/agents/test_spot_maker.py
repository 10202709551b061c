"""Spot makers who learn what the asset is worth from the flow they absorb (`ValueEstimate`)."""

import math

import numpy as np
import pandas as pd
import pytest

from agents.spot_maker import INVENTORY_LIMIT_VALUE, ValueEstimate
from model.scenario import load_scenario
from model.simulation import CascadeModel


class Maker:
    """A stand-in spot maker: its underlying, depth and coins are all the estimate reads."""

    def __init__(self, contract: int, depth: float = 1.0) -> None:
        self.contract = contract
        self.depth = depth
        self.coins = 100.0

    def coins_held(self) -> float:
        return self.coins


def test_without_learning_the_estimate_is_the_fundamental_value():
    makers = [Maker(0), Maker(0)]
    estimate = ValueEstimate(makers, 1, learning_bps=0.0, halflife=600.0)
    makers[0].coins += 1_000.0  # a huge flow: nothing is learned from it
    assert estimate.update([60_000.0], 1.0) == [60_000.0]


def test_makers_who_buy_from_sellers_lower_their_estimate_and_it_fades_back():
    makers = [Maker(0), Maker(0), Maker(1)]
    estimate = ValueEstimate(makers, 2, learning_bps=50.0, halflife=100.0)
    assert estimate.update([60_000.0, 3_000.0], 1.0) == pytest.approx([60_000.0, 3_000.0])
    # the two makers of underlying 0 buy one inventory limit between them: their estimate
    # falls by the learning rate (then one step of fading); underlying 1 learns nothing
    limit = 2 * INVENTORY_LIMIT_VALUE
    makers[0].coins += 0.5 * limit / 60_000.0
    makers[1].coins += 0.5 * limit / 60_000.0
    keep = 0.5 ** (1.0 / 100.0)
    after = estimate.update([60_000.0, 3_000.0], 1.0)
    assert after[0] == pytest.approx(60_000.0 * math.exp(-50e-4 * keep), rel=1e-9)
    assert after[1] == pytest.approx(3_000.0)
    # selling it back to buyers undoes it: the lesson is symmetric
    makers[0].coins -= 0.5 * limit / 60_000.0
    makers[1].coins -= 0.5 * limit / 60_000.0
    back = estimate.update([60_000.0, 3_000.0], 1.0)
    assert abs(back[0] / 60_000.0 - 1.0) < 1e-4
    # with no flow the offset halves every half-life, on top of the fundamental's own moves
    makers[0].coins += 0.5 * limit / 60_000.0
    makers[1].coins += 0.5 * limit / 60_000.0
    first = math.log(estimate.update([60_000.0, 3_000.0], 1.0)[0] / 60_000.0)
    for _ in range(99):
        later = estimate.update([61_000.0, 3_000.0], 1.0)[0]
    assert math.log(later / 61_000.0) == pytest.approx(first * 0.5 ** (99 / 100.0), rel=1e-6)


def run_spot_sale(learning_bps: float) -> pd.DataFrame:
    """Index over fundamental value after 15M USDT sold on one spot venue, with no spot value
    traders to buy it back."""
    overrides = {
        "duration": 400.0,
        "population.leveraged": 30,
        "population.whales": 0,
        "population.noise": 20,
        "population.momentum": 0,
        "spot.value_traders": 0,
        "spot.learning_bps": learning_bps,  # learning of makers who are told the value
        "prices.makers_know_value": True,
        "spot.learning_halflife": 3_600.0,
        "flow_shocks": [
            {"start": 100.0, "duration": 30.0, "notional": -15_000_000.0, "market": "spot"}
        ],
    }
    model = CascadeModel(load_scenario("calm", overrides), audit=True)
    model.run()
    return model.datacollector.get_model_vars_dataframe()


def gap(ts: pd.DataFrame) -> np.ndarray:
    return (ts["index"] / ts["fundamental"] - 1.0).to_numpy()


def test_learning_makers_keep_part_of_a_flow_in_the_price():
    """Makers who know the value lean against the inventory they bought and sell it back up to
    the value; makers who learn from the flow keep a lower estimate after the selling stops."""
    knows_ts, learns_ts = run_spot_sale(0.0), run_spot_sale(100.0)
    knows, learns = gap(knows_ts), gap(learns_ts)
    assert learns[-1] < knows[-1] - 1e-3  # at least 10 bps lower at the end
    assert learns.min() < knows.min()  # and the fall itself is deeper
    # the recorded estimate: the fundamental value itself, or below it after the sale
    assert np.array_equal(knows_ts["maker_value"], knows_ts["fundamental"])
    estimate_gap = (learns_ts["maker_value"] / learns_ts["fundamental"] - 1.0).to_numpy()
    assert estimate_gap[-1] < -1e-3 and abs(estimate_gap[0]) < 1e-4
