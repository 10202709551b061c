"""Adaptive steps (`model.stepping`): long steps only while nothing happens."""

from __future__ import annotations

import numpy as np
import pytest

from agents.liquidity import VolatilityGauge
from agents.population import poisson_pick
from model.events import EventLog
from model.risk import assess, liquidation_distance
from model.scenario import ScenarioError, load_scenario
from model.simulation import CascadeModel
from model.stepping import StepPolicy

ADAPTIVE = {
    "stepping.policy": "adaptive",
    "stepping.max_step": 10.0,
    "stepping.calm_after": 60.0,
    "stepping.event_window": 60.0,
}


FAR = 0.5  # an account half the price away from liquidation
NEAR = 1e-5  # one tenth of a basis point away


def lengths(
    scenario, until: float, events_at: float = -1.0, near_from: float = 1e9, near: float = NEAR
):
    """Step lengths from 0 to ``until`` with the mark still, one event logged at ``events_at``
    and an account ``near`` (a relative move of the mark) from liquidation from ``near_from``."""
    now = {"t": 0.0}
    policy = StepPolicy(scenario, lambda material: near if now["t"] >= near_from else FAR)
    t, out, mark, log = 0.0, [], np.array([60_000.0]), EventLog()
    while t < until - 1e-9:
        now["t"] = t
        if t > events_at >= 0 and not len(log):
            log.add("deficit", t, 0, 0)
        dt = policy.next(t, log, mark, mark)
        out.append((t, dt))
        t += dt
    return out


def test_a_fixed_policy_takes_every_step_of_the_scenario():
    scenario = load_scenario("calm", {"duration": 120.0})
    assert {dt for _, dt in lengths(scenario, 120.0)} == {1.0}
    model = CascadeModel(scenario, rng=1)
    model.run()
    assert model.steps == scenario.n_steps and model.clock == 120.0


def test_adaptive_steps_are_long_while_calm_and_short_around_a_trigger():
    program = {"start": 300.0, "duration": 60.0, "notional": -1e6}
    scenario = load_scenario("calm", {**ADAPTIVE, "duration": 900.0, "flow_shocks": [program]})
    steps = lengths(scenario, 900.0)
    times = [t for t, _ in steps]
    assert 300.0 in times  # a long step never runs into the trigger's start
    for t, dt in steps:
        if 300.0 <= t < 420.0:  # the program and calm_after (60 s) after it
            assert dt == 1.0
        elif t < 290.0 or t >= 420.0:
            assert dt == 10.0 or t + dt == 900.0
    assert sum(dt for _, dt in steps) == 900.0


def test_adaptive_steps_stay_short_after_an_event_and_near_liquidation():
    scenario = load_scenario("calm", {**ADAPTIVE, "duration": 600.0})
    after_event = lengths(scenario, 600.0, events_at=100.0)
    short = [t for t, dt in after_event if dt == 1.0]
    assert short and min(short) >= 100.0 and max(short) < 100.0 + 10.0 + 60.0
    at_risk = lengths(scenario, 600.0, near_from=200.0)
    assert all(dt == 1.0 for t, dt in at_risk if t >= 200.0)
    assert all(dt == 10.0 for t, dt in at_risk if t < 190.0)


def test_the_window_after_an_event_and_the_window_after_a_trigger_are_set_apart():
    program = {"start": 300.0, "duration": 60.0, "notional": -1e6}
    windows = {**ADAPTIVE, "stepping.calm_after": 40.0, "stepping.event_window": 5.0}
    scenario = load_scenario("calm", {**windows, "duration": 900.0, "flow_shocks": [program]})
    after_event = lengths(scenario, 900.0, events_at=100.0)
    short = sorted(t for t, dt in after_event if dt == 1.0 and t < 300.0)
    # the step that logs the event ends at 110 (10 s steps); five one-second steps follow it
    assert short == [110.0, 111.0, 112.0, 113.0, 114.0]
    ones = {t for t, dt in after_event if dt == 1.0}
    assert {300.0 + k for k in range(100)} <= ones  # the program and 40 s after it
    assert 400.0 not in ones


def test_a_step_is_as_long_as_the_nearest_account_stays_near_sigmas_from_liquidation():
    scenario = load_scenario("calm", {**ADAPTIVE, "duration": 300.0})
    sigma = scenario.contracts[0].volatility / np.sqrt(365.0 * 86_400.0)  # per √s, calm floor
    z = scenario.stepping.near_sigmas
    for seconds in (1, 4, 7, 10):
        near = z * sigma * np.sqrt(seconds + 0.5)  # safe for seconds + 0.5 s, not one more
        steps = {dt for _, dt in lengths(scenario, 300.0, near_from=0.0, near=near)}
        assert steps <= {float(seconds), 300.0 % seconds or float(seconds)}
        assert float(seconds) in steps


def test_an_adaptive_run_covers_the_same_time_in_fewer_steps_and_repeats_itself():
    scenario = load_scenario("calm", {**ADAPTIVE, "duration": 600.0})
    runs = []
    for _ in range(2):
        model = CascadeModel(scenario, rng=3, audit=True)
        model.run()
        runs.append(model)
    first, second = runs
    assert first.clock == 600.0 and first.steps < 600
    assert first.stepping.fine_steps < first.steps
    assert np.array_equal(first.mark, second.mark)
    assert first.ledger.lots.tolist() == second.ledger.lots.tolist()


def test_the_view_reads_each_steps_length():
    model = CascadeModel(load_scenario("calm", {**ADAPTIVE, "duration": 100.0}), rng=1)
    seen = []
    while model.running:
        model.step()
        seen.append(model.view.dt)
    assert set(seen) <= {1.0, 10.0} and sum(seen) == 100.0


def test_a_long_step_gives_poisson_counts_so_no_rate_is_capped():
    rng = np.random.default_rng(1)
    traders = list(range(2000))
    acted = poisson_pick(rng, traders, 2.0)  # a rate of 0.2/s over a 10 s step
    assert len(acted) / len(traders) == pytest.approx(2.0, rel=0.05)
    assert max(acted.count(i) for i in range(50)) > 1


def test_the_volatility_gauge_reads_the_same_market_in_steps_of_any_length():
    rng = np.random.default_rng(7)
    fine, coarse = VolatilityGauge(1.0, dt=1.0), VolatilityGauge(1.0, dt=1.0)
    fine_price = coarse_price = 60_000.0
    for _ in range(300):  # a random walk of 3 bps per √s, sampled every 1 s and every 10 s
        for _ in range(10):
            fine_price *= np.exp(3e-4 * rng.standard_normal())
            fine_ratio = fine.observe(fine_price)
        coarse_price *= np.exp(3e-4 * np.sqrt(10.0) * rng.standard_normal())
        coarse_ratio = coarse.observe(coarse_price, dt=10.0)
    assert fine_ratio == pytest.approx(3.0, rel=0.25)
    assert coarse_ratio == pytest.approx(3.0, rel=0.35)
    assert coarse.weight == pytest.approx(1.0 - 0.5 ** (10.0 / 20.0))


def test_a_longest_step_shorter_than_a_step_is_refused():
    with pytest.raises(ScenarioError, match=r"stepping\.max_step"):
        load_scenario("calm", {"stepping.policy": "adaptive", "stepping.max_step": 0.5})


def test_a_turbulent_minute_shortens_steps_near_liquidation_and_is_forgotten_a_minute_later():
    """The volatility behind the cushion is the mark's moves over the last minute: while they
    are large an account 0.5% away keeps steps short; a minute after they stop, steps are long
    again (jumps are switched off here, so only the cushion can shorten a step)."""
    scenario = load_scenario("calm", {**ADAPTIVE, "duration": 400.0, "stepping.jump_bps": 1e4})
    policy = StepPolicy(scenario, lambda material: 0.005)
    t, mark, out = 0.0, 60_000.0, []
    while t < 400.0 - 1e-9:
        if 100.0 <= t < 160.0:  # a minute of 1% moves each step, up and down
            mark *= 1.0 + (0.01 if len(out) % 2 else -0.01)
        prices = np.array([mark])
        dt = policy.next(t, EventLog(), prices, prices)
        out.append((t, dt))
        t += dt
    assert all(dt == 10.0 for s, dt in out if s < 100.0)
    # one 1% move in a minute: σ² = 1e-4 / 60 per second, (0.5% / 2σ)² ≈ 3.8 s
    assert [dt for s, dt in out if s == 100.0] == [3.0]
    assert {dt for s, dt in out if 103.0 <= s < 160.0} == {1.0}
    assert all(dt == 1.0 for s, dt in out if 160.0 <= s < 218.0)  # still remembered
    assert all(dt == 10.0 or s + dt == 400.0 for s, dt in out if s >= 220.0)  # forgotten


def test_small_fills_do_not_open_the_event_window_but_large_ones_and_deficits_do():
    """A liquidation, ADL or offload fill below ``material_notional`` (times the contract's
    depth_scale) leaves steps long; one at or above it, or any deficit, keeps them short."""
    scenario = load_scenario(
        "calm", {**ADAPTIVE, "duration": 200.0, "stepping.material_notional": 1e6}
    )
    small = scenario.stepping.material_notional * scenario.contracts[0].depth_scale * 0.99
    for kind, notional, short in (
        ("liquidation", small, False),
        ("adl", small, False),
        ("offload", small, False),
        ("liquidation", small / 0.99, True),
        ("adl", 5e6, True),
        ("deficit", 0.0, True),
        ("takeover", 10.0, True),
    ):
        policy = StepPolicy(scenario, lambda material: FAR)
        log, mark = EventLog(), np.array([60_000.0])
        assert policy.next(0.0, log, mark, mark) == 10.0
        log.add(kind, 10.0, 0, 0, notional=notional)
        assert (policy.next(10.0, log, mark, mark) == 1.0) is short, (kind, notional)


def test_with_no_material_notional_every_fill_opens_the_window():
    scenario = load_scenario(
        "calm", {**ADAPTIVE, "duration": 200.0, "stepping.material_notional": 0.0}
    )
    policy = StepPolicy(scenario, lambda material: FAR)
    assert policy.material is None
    log, mark = EventLog(), np.array([60_000.0])
    policy.next(0.0, log, mark, mark)
    log.add("liquidation", 10.0, 0, 0, notional=1.0)
    assert policy.next(10.0, log, mark, mark) == 1.0


def test_only_accounts_large_enough_to_matter_shorten_steps_near_liquidation():
    """The liquidation distance with a material notional looks only at isolated positions of
    at least that notional and at cross accounts at least that large in sum."""
    model = CascadeModel(load_scenario("calm", {"duration": 10.0}), rng=1)
    ledger, mark = model.market.ledger, model.market.mark
    snapshot = assess(ledger, mark)
    everyone = liquidation_distance(ledger, snapshot, mark)
    notional = np.abs(ledger.lots * ledger.lot) * mark
    live = ~ledger.system
    largest = float(notional[live].max())
    above_all = np.array([largest * 2.0])
    assert liquidation_distance(ledger, snapshot, mark, above_all) == np.inf
    assert liquidation_distance(ledger, snapshot, mark, np.array([1e-9])) == everyone
    middle = np.array([float(np.median(notional[live][notional[live] > 0]))])
    assert liquidation_distance(ledger, snapshot, mark, middle) >= everyone
