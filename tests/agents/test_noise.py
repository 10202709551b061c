"""Noise traders: zero-intelligence orders and cancels, activated sparsely at Poisson times."""

from collections import Counter

import numpy as np
import pytest

from agents.noise import (
    CANCEL_SHARE,
    MARKET_SHARE,
    MAX_OFFSET_BPS,
    ORDER_VALUE,
    NoiseTrader,
    draw_actions,
)
from agents.population import NOISE_RATE, SMALL_CROWD, poisson_pick


@pytest.mark.parametrize(
    ("n", "p", "draws"),
    [(200, 0.05, 4_000), (SMALL_CROWD * 3, 0.004, 1_500)],  # one uniform each; binomial + which
)
def test_poisson_pick_is_a_binomial_subset_of_distinct_traders(n, p, draws):
    rng = np.random.default_rng(7)
    traders = [object() for _ in range(n)]
    sizes = []
    seen: Counter = Counter()
    for _ in range(draws):
        picked = poisson_pick(rng, traders, p)
        assert len({id(t) for t in picked}) == len(picked)  # nobody acts twice in a step
        sizes.append(len(picked))
        seen.update(id(t) for t in picked)
    assert np.mean(sizes) == pytest.approx(n * p, rel=0.03)
    # binomial spread: a fixed-size pick (variance 0) or one coin for all (variance n²p(1−p))
    # would fail this
    assert np.var(sizes) == pytest.approx(n * p * (1 - p), rel=0.15)
    # every trader is equally likely to be picked: none left out, none favoured
    counts = np.array([seen[id(t)] for t in traders])
    expected = draws * p
    assert counts.min() > expected - 4.5 * np.sqrt(expected)
    assert counts.max() < expected + 4.5 * np.sqrt(expected)


def test_poisson_pick_edges():
    rng = np.random.default_rng(1)
    traders = list(range(30))
    assert poisson_pick(rng, [], 0.5) == []
    assert poisson_pick(rng, traders, 0.0) == []
    # a rate times dt above 1 (a long step) is not capped: each acts a Poisson number of times
    acted = poisson_pick(rng, traders * 100, 3.0)
    assert len(acted) / 3000 == pytest.approx(3.0, rel=0.05)
    assert set(acted) == set(traders)


@pytest.mark.parametrize("step", [1.0, 2.0])
def test_noise_actions_per_step_are_rate_times_dt_times_n(build, monkeypatch, step):
    n, steps = 200, 150
    model = build(
        "calm",
        {"population.noise": n, "step": step, "duration": steps * step},
    )
    acted: list[list[int]] = []
    monkeypatch.setattr(
        NoiseTrader, "act", lambda self, view, gateway: acted[-1].append(self.account)
    )
    for _ in range(steps):
        acted.append([])
        model.step()
    per_step = np.array([len(a) for a in acted])
    expected = NOISE_RATE * step * n  # 10 or 20 of 200: most traders do nothing in a step
    assert per_step.mean() == pytest.approx(expected, rel=0.1)
    assert per_step.max() < n / 4
    assert all(len(set(a)) == len(a) for a in acted)
    # over the run most noise traders act at some point: the thinning is random, not fixed
    assert len({acc for a in acted for acc in a}) > 0.9 * n


def noise_act(model, trader, mid):
    """One action of the trader on fresh draws, against a contract whose mid is ``mid``."""
    trader.action = draw_actions(model.rng, 1, [mid])[0]
    trader.act(model.view, trader.gateway)


def a_noise_trader(build, desk_for):
    """A noise trader facing a deep book quoted 1 bp either side of 60,000."""
    model = build("calm", {"population.noise": 1}, bare=True)
    desk = desk_for(model)
    desk.quote(59_994.0, 60_006.0)
    return model, model.population.noise[0]


def spy(monkeypatch, trader):
    """Record the trader's order calls instead of sending them."""
    calls: list[tuple] = []
    monkeypatch.setattr(
        trader, "market", lambda c, side, lots, **kw: calls.append(("m", side, lots))
    )
    monkeypatch.setattr(
        trader, "limit", lambda c, side, lots, price, **kw: calls.append(("l", side, lots, price))
    )
    monkeypatch.setattr(trader, "cancel_all", lambda: calls.append(("c",)))
    return calls


def test_noise_trader_mixes_market_and_limit_orders_and_cancels(build, desk_for, monkeypatch):
    model, trader = a_noise_trader(build, desk_for)
    calls = spy(monkeypatch, trader)
    mid, n = 60_000.0, 3_000
    for _ in range(n):
        noise_act(model, trader, mid)
    assert len(calls) == n  # one action each time
    kinds = Counter(c[0] for c in calls)
    assert kinds["c"] / n == pytest.approx(CANCEL_SHARE, abs=0.03)
    assert kinds["m"] / n == pytest.approx(MARKET_SHARE, abs=0.03)
    assert kinds["l"] / n == pytest.approx(1 - CANCEL_SHARE - MARKET_SHARE, abs=0.03)
    orders = [c for c in calls if c[0] != "c"]
    sides = [c[1] for c in orders]
    assert np.mean(np.array(sides) > 0) == pytest.approx(0.5, abs=0.04)
    values = [c[2] * 0.001 * mid for c in orders]
    assert np.mean(values) == pytest.approx(ORDER_VALUE, rel=0.1)
    # limit orders join or sit behind the best quote on their side (59,994 / 60,006), within
    # the offset band: never inside the spread
    best = {1: 59_994.0, -1: 60_006.0}
    offsets = []
    for _, side, _, price in (c for c in calls if c[0] == "l"):
        offset = (best[side] - price) / best[side] * 1e4 * side
        assert 0.0 <= offset <= MAX_OFFSET_BPS
        offsets.append(offset)
    assert max(offsets) > 0.9 * MAX_OFFSET_BPS and min(offsets) < 0.1 * MAX_OFFSET_BPS


def test_noise_trader_orders_reach_the_book(build, desk_for):
    model, trader = a_noise_trader(build, desk_for)
    book = model.exchange.books[0]
    for _ in range(200):
        noise_act(model, trader, 60_000.0)
    assert model.ledger.lots[trader.account, 0] != 0  # market orders filled against the desk
    assert book.last_price is not None


@pytest.mark.parametrize("side", [1, -1])
def test_a_noise_trader_with_a_large_position_only_trades_it_down(
    build, desk_for, monkeypatch, side
):
    model, trader = a_noise_trader(build, desk_for)
    desk_for(model).give(trader.account, side * 20 * ORDER_VALUE / 60_000.0, 60_000.0)
    calls = spy(monkeypatch, trader)
    for _ in range(500):
        noise_act(model, trader, 60_000.0)
    assert {c[1] for c in calls if c[0] != "c"} == {-side}


def test_noise_trader_skips_a_contract_with_no_price(build, desk_for, monkeypatch):
    model, trader = a_noise_trader(build, desk_for)
    calls = spy(monkeypatch, trader)
    for _ in range(50):
        noise_act(model, trader, float("nan"))
    assert calls == []
