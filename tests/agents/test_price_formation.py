"""Prices made by trading (``prices.makers_know_value = false``): makers who learn from flow,
liquidity that withdraws, a latent book far from the price, value only through informed trades."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.belief import FLOW_UNIT, FlowBelief, RunLearning
from agents.latent import LatentLiquidity
from agents.liquidity import LossGuard, Resilience, VolatilityGauge, WithdrawalRules
from experiments.batch import price_targets as pt
from experiments.run.runner import run_scenario
from model.scenario import ScenarioError, load_scenario
from model.simulation import CascadeModel

FLOW = {"prices.makers_know_value": False}


class Tape:
    """A stand-in view: the clock and the perpetual's tape of the last step."""

    def __init__(self) -> None:
        self.time = 0.0
        self.tape = np.zeros(1)

    def last_signed_volume(self) -> np.ndarray:
        return self.tape


class Maker:
    """A stand-in spot maker: its underlying and its coins are all the belief reads."""

    contract = 0

    def __init__(self) -> None:
        self.coins = 100.0

    def coins_held(self) -> float:
        return self.coins


def belief_after(steps: list[tuple[float, float]], impact_bps: float = 10.0) -> list[float]:
    """The belief after steps of (perpetual taker base volume, coins the spot maker bought)."""
    view, maker = Tape(), Maker()
    belief = FlowBelief(view, [maker], [60_000.0], [impact_bps / 1e4 / FLOW_UNIT])  # type: ignore[arg-type]
    path = []
    for t, (perp, spot) in enumerate(steps, 1):
        view.time = float(t)
        view.tape = np.array([perp])
        maker.coins += spot
        path.append(belief.update()[0])
    return path


def test_the_belief_moves_with_net_flow_and_never_fades_back():
    one_million = FLOW_UNIT / 60_000.0  # base units worth 1M USDT
    path = belief_after([(one_million, 0.0)] + [(0.0, 0.0)] * 500)
    # 1M USDT bought on the perpetual raises it by the impact, and nothing pulls it back
    assert path[0] == pytest.approx(60_000.0 * math.exp(10e-4), rel=1e-12)
    assert path[-1] == path[0]
    # the spot makers selling 1M USDT of coins to buyers counts the same as perpetual buying
    spot = belief_after([(0.0, -one_million)])
    assert spot[0] == pytest.approx(path[0], rel=1e-12)
    # sells lower it by as much: a round trip leaves it where it started
    back = belief_after([(one_million, 0.0), (-one_million, 0.0)])
    assert back[-1] == pytest.approx(60_000.0 * math.exp(10e-4 - 10e-4 * back[0] / 60_000.0))
    # (to second order: the sale is valued at the belief it raised)
    assert abs(back[-1] / 60_000.0 - 1.0) < (10e-4) ** 2 * 1.01


def test_the_belief_learns_once_per_step_and_not_from_the_makers_own_pick_offs():
    view, maker = Tape(), Maker()
    belief = FlowBelief(view, [maker], [60_000.0], [10e-4 / FLOW_UNIT])  # type: ignore[arg-type]
    view.time, view.tape = 1.0, np.array([10.0])
    first = belief.update()[0]
    assert belief.update()[0] == first  # the second maker to ask in a step changes nothing
    view.time = 2.0
    belief.own_flow[0] = 10.0  # the whole tape was the makers' own pick-offs
    assert belief.update()[0] == first


def test_a_long_run_of_flow_teaches_the_makers_as_its_square_root():
    runs = RunLearning([1e6], halflife=600.0, permanent=2.0 / 3.0)
    # a short run moves the belief as the linear rule does; a long one as its square root
    assert runs.curve(0, 1e4) == pytest.approx(1e4, rel=0.01)
    assert runs.curve(0, 4e10) / runs.curve(0, 1e10) == pytest.approx(2.0, rel=0.01)
    assert runs.curve(0, -4e6) == -runs.curve(0, 4e6)
    # within a run the path does not matter: 32 pieces of 1M move it as one of 32M
    pieces = sum(runs.learn(0, 1e6, elapsed=0.0) for _ in range(32))
    assert pieces == pytest.approx(runs.curve(0, 32e6), rel=1e-12)
    assert pieces < 32e6 / 2  # less than half the linear rule's move
    # flow against the run moves it back along the same curve
    assert runs.learn(0, -32e6, elapsed=0.0) == pytest.approx(-pieces, rel=1e-12)


def test_a_forgotten_run_leaves_its_permanent_share_of_the_move():
    for permanent in (2.0 / 3.0, 1.0, 0.0):
        runs = RunLearning([1e6], halflife=600.0, permanent=permanent)
        moved = runs.learn(0, 16e6, elapsed=0.0)
        back = sum(runs.learn(0, 0.0, elapsed=600.0) for _ in range(40))  # 40 half-lives
        assert moved + back == pytest.approx(permanent * moved, rel=1e-6, abs=1e-3)
    # a second run after the first is forgotten is learnt from at the full rate again
    runs = RunLearning([1e6], halflife=600.0, permanent=2.0 / 3.0)
    first = runs.learn(0, 1e6, elapsed=0.0)
    runs.learn(0, 0.0, elapsed=600.0 * 40)
    assert runs.learn(0, 1e6, elapsed=0.0) == pytest.approx(first, rel=1e-6)


def test_the_belief_with_run_learning_moves_less_for_a_long_one_way_flow():
    one_million = FLOW_UNIT / 60_000.0

    def belief(runs: RunLearning | None) -> float:
        view, maker = Tape(), Maker()
        flow = FlowBelief(view, [maker], [60_000.0], [10e-4 / FLOW_UNIT], runs)  # type: ignore[arg-type]
        for t in range(1, 33):
            view.time, view.tape = float(t), np.array([-one_million])  # 32M sold
            price = flow.update()[0]
        return price

    linear = math.log(60_000.0 / belief(None))
    learnt = math.log(60_000.0 / belief(RunLearning([1e6], 600.0, 2.0 / 3.0)))
    # 32M sold: 32 × 10 bps by the linear rule, 2(√33 − 1) × 10 bps with run learning
    assert linear == pytest.approx(32 * 10e-4, rel=0.02)
    assert learnt == pytest.approx(2 * (math.sqrt(33) - 1) * 10e-4, rel=0.02)


def test_a_maker_steps_away_from_a_fast_market_on_the_side_that_adds_inventory():
    rules = WithdrawalRules(20.0, 0.2, 1e7, step_away=4.0)
    assert not rules.steps_away(3.9) and rules.steps_away(4.1)
    assert not WithdrawalRules(20.0, 0.2, 1e7).steps_away(1e6)  # 0: never
    model = CascadeModel(load_scenario("calm", {**FLOW, "duration": 10.0}), rng=1)
    maker = model.population.makers[0]
    price = float(model.mark[0])
    long = 2_000_000.0  # USDT of inventory: bids add to it

    def sizes(away: bool, inventory: float) -> dict[int, int]:
        maker.resilience = Resilience(1, refill_halflife=20.0, dt=1.0)
        maker.held_before[0] = maker.picked[0] = 0
        return maker._withdraw(0, 0, price, 1e5, inventory, 1.0, away)

    assert sizes(False, long)[1] > 0 and sizes(False, long)[-1] > 0
    stepped = sizes(True, long)
    assert stepped[1] == 0 and stepped[-1] > 0  # it only sells what it holds
    assert sizes(True, -long)[-1] == 0 and sizes(True, -long)[1] > 0
    flat = sizes(True, 0.0)
    assert flat[1] > 0 and flat[-1] > 0  # nothing to cut: both sides stay
    spot = model.population.spot_makers[0]
    spot_sizes = spot._withdraw(price, 1e7, 1e3, long, 1.0, away=True)
    assert spot_sizes[1] == 0 and spot_sizes[-1] > 0
    assert spot._withdraw(price, 1e7, 1e3, long, 1.0, away=False)[1] > 0


def test_depth_taken_comes_back_at_the_refill_rate():
    resilience = Resilience(1, refill_halflife=20.0, dt=1.0)
    resilience.update(0, bought_value=600_000.0, full_value=1_000_000.0)  # bids were hit
    assert resilience.share[0][1] == pytest.approx(0.4)
    assert resilience.share[0][-1] == 1.0
    for _ in range(20):
        resilience.update(0, 0.0, 1_000_000.0)
    assert resilience.share[0][1] == pytest.approx(1.0 - 0.6 * 0.5, rel=1e-9)  # one half-life
    resilience.update(0, -5_000_000.0, 1_000_000.0)  # more sold than the whole ladder
    assert resilience.share[0][-1] == 0.0
    instant = Resilience(1, refill_halflife=0.0, dt=1.0)
    instant.update(0, 900_000.0, 1_000_000.0)
    instant.update(0, 0.0, 1_000_000.0)
    assert instant.share[0][1] == 1.0


def test_only_depth_others_took_counts_not_the_makers_own_pick_offs():
    model = CascadeModel(load_scenario("calm", {**FLOW, "duration": 10.0}), rng=1)
    maker = model.population.makers[0]
    price = float(model.mark[0])

    def withdraw_after(bought: int, picked: int) -> dict[int, float]:
        maker.resilience = Resilience(1, refill_halflife=20.0, dt=1.0)
        maker.held_before[0], maker.picked[0] = 0, picked
        maker._withdraw(0, bought, price, 1e6, 0.0, 1.0)
        return dict(maker.resilience.share[0])

    lots = int(maker.view.to_lots(0, 2_000_000.0 / price))
    assert withdraw_after(lots, lots) == {1: 1.0, -1: 1.0}  # it bought by taking asks itself
    taken = withdraw_after(lots, 0)  # its bids were hit
    assert taken[1] < 1.0 and taken[-1] == 1.0
    assert maker.picked[0] == 0  # counted once


def test_a_maker_cuts_its_size_in_proportion_to_its_loss_from_the_peak():
    guard = LossGuard(capital=1_000_000.0, loss_limit=0.2)
    assert guard.size_share(1_000_000.0) == 1.0
    assert guard.size_share(1_100_000.0) == 1.0  # a new peak
    assert guard.size_share(1_000_000.0) == pytest.approx(0.5)  # lost 100k of the 200k limit
    assert guard.size_share(800_000.0) == 0.0


def test_the_volatility_gauge_reads_calm_then_fast_markets():
    gauge = VolatilityGauge(calm_bps=1.0, dt=1.0)
    price = 60_000.0
    for _ in range(100):
        price *= 1.0001 if _ % 2 else 1 / 1.0001  # ±1 bp a second: the calm level
        ratio = gauge.observe(price)
    assert ratio == pytest.approx(1.0, rel=0.05)
    for _ in range(60):
        price *= 0.999  # 10 bp a second
        ratio = gauge.observe(price)
    assert ratio > 8.0


def test_the_latent_book_sits_behind_the_touch_and_deepens_with_distance():
    scenario = load_scenario("calm", {**FLOW, "duration": 30.0})
    model = CascadeModel(scenario, rng=1)
    for _ in range(30):
        model.step()
    patient = [a for a in model.agents if isinstance(a, LatentLiquidity)]
    assert len(patient) == scenario.prices.latent_traders
    book = model.exchange.books[0]
    step = scenario.prices.latent_step_bps / 1e4
    for trader in patient:
        bids = sorted(trader.quotes[0][1].items(), reverse=True)  # nearest first
        asks = sorted(trader.quotes[0][-1].items())
        # as many levels as its buying power pays for: sum of k x size over the levels
        assert len(bids) == len(asks) == trader.levels[0]
        size = scenario.prices.latent_size * scenario.contracts[0].depth_scale
        budget = trader.capital * 3.0
        n = trader.levels[0]
        assert size * n * (n + 1) / 2 <= budget < size * (n + 1) * (n + 2) / 2
        assert bids[0][0] < book.best_bid() and asks[0][0] > book.best_ask()
        value = [book.get(order).qty * tick for tick, order in bids]  # USDT (to the lot)
        # level k holds k times the first level's value, k × step from the reference
        assert value[9] == pytest.approx(10 * value[0], rel=0.01)
        gaps = np.diff([tick for tick, _ in bids]) * book.tick_size
        assert gaps == pytest.approx(-step * bids[0][0] * book.tick_size, rel=0.05)


def test_a_set_number_of_latent_levels_caps_the_ladder():
    scenario = load_scenario("calm", {**FLOW, "duration": 10.0, "prices.latent_levels": 7})
    model = CascadeModel(scenario, rng=1)
    for _ in range(6):  # a latent trader looks every 5 s
        model.step()
    for trader in (a for a in model.agents if isinstance(a, LatentLiquidity)):
        assert trader.levels == [7]
        assert len(trader.quotes[0][1]) == len(trader.quotes[0][-1]) == 7


def test_a_crash_keeps_bids_in_the_book():
    """The latent ladders reach as far as their traders' capital: in flash-crash no second
    after the trigger ends with an empty bid side (with ladders cut at 20 levels, 5%, seeds
    1, 2, 4 and 5 of these had 17-86 such seconds)."""
    from experiments.run.runner import run_scenario

    for seed in range(1, 6):
        summary = run_scenario(load_scenario("flash-crash"), seed).summary
        assert summary["bid_empty_seconds"] == 0.0, seed


def test_flow_mode_needs_spot_venues_for_its_informed_traders():
    with pytest.raises((ScenarioError, ValueError), match="makers_know_value"):
        load_scenario("calm", {**FLOW, "index.mode": "exogenous"})


def test_prices_are_made_by_trading_unless_a_price_path_is_scripted(tmp_path):
    assert all(load_scenario(name).flow_prices for name in ("calm", "flash-crash", "oct-10-2025"))
    assert not load_scenario("calm", {"index.mode": "exogenous"}).flow_prices
    path = tmp_path / "path.csv"
    path.write_text("time,price\n0,60000\n1800,58000\n")
    assert not load_scenario("calm", {"index.replay": str(path)}).flow_prices
    assert load_scenario("calm", {"index.replay": str(path), **FLOW}).flow_prices
    assert not load_scenario("calm", {"prices.makers_know_value": True}).flow_prices
    # the told makers' model: no belief, no latent book, no withdrawal rules
    told = CascadeModel(load_scenario("calm", {"index.mode": "exogenous", "duration": 5.0}), rng=1)
    assert told.population.fair.belief is None and not told.population.latent
    flow = CascadeModel(load_scenario("calm", {"duration": 5.0}), rng=1)
    assert flow.population.fair.belief is not None and flow.population.latent


def fall_after_news(informed: int, seed: int) -> tuple[float, float]:
    """A 5% drop of the value signal at 60 s; the mark's move and the value's by 360 s."""
    shock = {"start": 60.0, "duration": 10.0, "change_pct": -5.0}
    settings = {**FLOW, "index.shocks": [shock], "duration": 360.0, "spot.value_traders": informed}
    ts = run_scenario(load_scenario("calm", settings), seed).timeseries
    before, after = ts.iloc[55], ts.iloc[-1]
    return after.mark / before.mark - 1.0, after.fundamental / before.fundamental - 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_value_reaches_prices_only_through_informed_trades(seed):
    moved, value = fall_after_news(informed=10, seed=seed)
    assert value == pytest.approx(-0.05, abs=0.005)
    assert moved < 0.6 * value  # the informed traders carried most of the news into the price
    unseen, _ = fall_after_news(informed=0, seed=seed)
    assert abs(unseen) < 0.1 * abs(value)  # without them the makers never learn of it


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_sell_program_moves_prices_further_at_higher_leverage(seed):
    """The mission's sentence on one seed (the full experiment is
    `experiments.batch.price_targets`): a sell program of 10% of the 25x crowd's open interest,
    against the same program into a 2x crowd."""
    base = pt.base_scenario(pt.HIGH, 600.0)
    trigger = 0.10 * pt.starting_open_interest(seed, base)
    falls, liquidated = {}, {}
    for leverage in (pt.LOW, pt.HIGH):
        scenario = pt.arm_scenario(pt.Arm(leverage, 0.10), trigger, 600.0)
        summary = run_scenario(scenario, np.random.SeedSequence(seed)).summary
        falls[leverage] = summary["trigger_drawdown_pct"]
        liquidated[leverage] = summary["liquidated_per_trigger"]
    assert falls[pt.HIGH] > 2.0 * falls[pt.LOW]
    assert liquidated[pt.HIGH] > 1.0  # the cascade was larger than its trigger
