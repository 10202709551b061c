"""Leveraged traders who trade: TFG value funds sell into a falling price at their leverage cap,
trend followers follow, and new entrants take the places of those who left."""

import math

import numpy as np
import pytest

from agents.crowd import HOLD, TREND, VALUE
from agents.history import PriceHistory
from agents.strategies import share_at_cap, target_leverage, trend_returns

ONE_FUND = {
    "index.mode": "exogenous",
    "population.leveraged": 1,
    "population.strategies.value_share": 1.0,
    "population.strategies.rate": 10.0,  # decides every step
    "population.strategies.value_dispersion": 0.0,
    "population.leverage.median": 5.0,
    "population.leverage.sigma": 0.0,
    "population.isolated_share": 0.0,
}


ONE_TREND_FOLLOWER = {
    **ONE_FUND,
    "population.strategies.value_share": 0.0,
    "population.strategies.trend_share": 1.0,
}


def test_target_leverage_by_strategy():
    strategy = np.array([HOLD, VALUE, VALUE, TREND, TREND], dtype=np.int8)
    price = np.full(5, 100.0)
    value = np.array([120.0, 101.0, 150.0, 0.0, 0.0])
    trend = np.array([0.5, 0.0, 0.0, 0.003, -0.5])
    cap = np.full(5, 5.0)
    lev = target_leverage(strategy, price, value, trend, cap, aggression=200.0, scale=0.003)
    assert lev[0] == 0.0  # holders do not rebalance
    assert lev[1] == pytest.approx(2.0)  # 1% cheap × 200
    assert lev[2] == 5.0  # far cheaper: capped at its maximum leverage
    assert lev[3] == pytest.approx(5.0 * math.tanh(1.0))
    assert lev[4] == pytest.approx(-5.0)


def test_long_only_value_funds_never_short_what_is_dear():
    """TFG's funds buy what is cheap and stay out of what is dear; trend followers still short."""
    strategy = np.array([VALUE, VALUE, TREND], dtype=np.int8)
    price = np.full(3, 100.0)
    value = np.array([99.0, 101.0, 0.0])
    trend = np.array([0.0, 0.0, -0.5])
    cap = np.full(3, 5.0)
    both = target_leverage(strategy, price, value, trend, cap, 200.0, 0.003)
    long_only = target_leverage(strategy, price, value, trend, cap, 200.0, 0.003, long_only=True)
    assert both[0] == pytest.approx(-2.0) and long_only[0] == 0.0
    assert long_only[1] == both[1] == pytest.approx(2.0)
    assert long_only[2] == both[2] == pytest.approx(-5.0)


def test_value_fund_at_its_cap_sells_into_a_falling_price(build, desk_for):
    """Thurner–Farmer–Geanakoplos: a fund at its leverage cap must sell when the price falls,
    because its equity falls faster than the price."""
    model, desk = build("calm", ONE_FUND, bare=True), None
    desk = desk_for(model)
    pop = model.population
    fund = pop.leveraged[0]
    assert pop.crowd.strategy[fund.slot] == VALUE and fund.position(0) == 0
    assert pop.funds_at_cap() == 0.0  # flat
    model.fundamental[:] = 63_000.0  # worth 5% more than the price: it wants its cap
    desk.quote(59_995.0, 60_005.0)
    desk.set_mark(60_000.0)
    pop.rebalance(np.array([60_000.0]))
    bought = fund.position(0)
    assert pop.funds_at_cap() == 1.0  # the recorder's `funds_at_cap`
    equity = float(model.ledger.wallet[fund.account])
    assert bought * 0.001 * 60_000.0 == pytest.approx(5.0 * equity, rel=0.02)
    # the price falls 3% (still cheap against its value): at 5x its equity falls 15%, so the
    # capped target shrinks: it sells, it does not buy the dip
    desk.clear()
    desk.quote(58_195.0, 58_205.0)
    desk.set_mark(58_200.0)
    pop.rebalance(np.array([58_200.0]))
    assert 0 < fund.position(0) < bought
    assert pop.crowd.strategy[fund.slot] == VALUE


def test_trend_follower_trades_with_the_recent_move(build, desk_for):
    model = build("calm", ONE_TREND_FOLLOWER, bare=True)
    desk = desk_for(model)
    pop = model.population
    trader = pop.leveraged[0]
    pop.trend_history.append(-1.0, np.array([60_000.0]))
    desk.quote(60_595.0, 60_605.0)
    desk.set_mark(60_600.0)
    pop.rebalance(np.array([60_600.0]))  # up 1% over the lookback
    assert trader.position(0) > 0


def test_trend_returns_look_back_each_traders_own_lookback():
    # mids of two contracts over five one-second steps, the newest last
    history = PriceHistory(horizon=50.0)
    for k in range(5):
        history.append(float(k), np.array([100.0, 10.0]) * (1.0 + 0.01 * k))
    mids = history.mids[-1]
    home = np.array([0, 0, 1, 1])
    lookback = np.array([1.0, 4.0, 2.0, 50.0])  # the last reaches past the start: the oldest
    trend = trend_returns(history, mids, home, lookback)
    assert trend == pytest.approx([1.04 / 1.03 - 1.0, 0.04, 1.04 / 1.02 - 1.0, 0.04])
    assert trend_returns(PriceHistory(50.0), mids, home, lookback).tolist() == [0.0] * 4
    # the same moves in steps of two seconds: lookbacks are in seconds, not in steps
    coarse = PriceHistory(horizon=50.0)
    for k in range(5):
        coarse.append(2.0 * k, np.array([100.0, 10.0]) * (1.0 + 0.01 * k))
    trend = trend_returns(coarse, mids, home, np.array([2.0, 8.0, 4.0, 3.0]))
    assert trend == pytest.approx([1.04 / 1.03 - 1.0, 0.04, 1.04 / 1.02 - 1.0, 1.04 / 1.03 - 1.0])


def test_the_price_history_keeps_what_the_longest_lookback_needs():
    history = PriceHistory(horizon=30.0)
    for t in range(100):
        history.append(float(t), np.array([float(t)]))
    assert len(history) == 31 and history.oldest()[0] == 69.0  # 30 s back, as 31 steps of 1 s
    for t in range(100, 200, 10):  # ten-second steps: the horizon is in seconds
        history.append(float(t), np.array([float(t)]))
    assert history.oldest()[0] == 160.0 and len(history) == 4
    history.append(1000.0, np.array([1000.0]))  # a step longer than the horizon keeps two
    assert len(history) == 2 and history.oldest()[0] == 190.0


@pytest.mark.parametrize("dispersion", [0.0, 0.8])
def test_trend_followers_draw_their_own_lookbacks(build, dispersion):
    model = build(
        "calm",
        {
            "population.leveraged": 400,
            "population.strategies.trend_share": 1.0,
            "population.strategies.trend_lookback": 120.0,
            "population.strategies.trend_lookback_dispersion": dispersion,
        },
    )
    pop = model.population
    lookback = pop.crowd.lookback[pop.crowd.strategy == TREND]
    assert lookback.size > 300
    if dispersion == 0:
        assert (lookback == 120).all()  # one lookback, in one-second steps
    else:
        # lognormal around 120 s: median near it, log-std near the dispersion
        assert np.median(lookback) == pytest.approx(120.0, rel=0.15)
        assert np.log(lookback).std() == pytest.approx(dispersion, rel=0.15)
    # the history reaches back as far as the longest lookback
    assert pop.trend_history.horizon == lookback.max()


def test_a_trend_follower_reads_the_trend_over_its_own_lookback(build, desk_for):
    model = build(
        "calm",
        {**ONE_TREND_FOLLOWER, "population.strategies.trend_lookback_dispersion": 1.0},
        bare=True,
    )
    desk = desk_for(model)
    pop = model.population
    trader = pop.leveraged[0]
    pop.crowd.lookback[trader.slot] = 2
    # up 1% over the long run, but down over this trader's last two steps: it goes short
    for t, price in enumerate((59_000.0, 60_800.0, 60_700.0, 60_600.0)):
        pop.trend_history.append(float(t), np.array([price]))
    desk.quote(60_595.0, 60_605.0)
    desk.set_mark(60_600.0)
    pop.rebalance(np.array([60_600.0]))
    assert trader.position(0) < 0


def test_strategy_traders_open_nothing_before_the_run_and_use_no_defences(build):
    model = build(
        "calm",
        {"population.strategies.value_share": 0.5, "population.defences.stop_loss_share": 1.0},
    )
    crowd = model.population.crowd
    for trader in model.population.leveraged:
        if crowd.strategy[trader.slot] != HOLD:
            assert trader.position(0) == 0 and math.isnan(trader.stop_price)
        else:
            assert trader.position(0) != 0 and math.isfinite(trader.stop_price)
    assert (crowd.strategy != HOLD).any() and (crowd.strategy == HOLD).any()


def test_state_has_one_home_in_the_crowd(build):
    model = build("calm")
    pop = model.population
    trader = pop.leveraged[3]
    trader.side = -trader.side
    assert pop.crowd.side[trader.slot] == trader.side
    pop.crowd.stop[trader.slot] = 1234.5
    assert trader.stop_price == 1234.5
    assert not hasattr(pop, "stop") and not hasattr(pop, "side")


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_new_entrants_take_the_places_of_liquidated_traders(build, desk_for, rate):
    model = build("calm", {"population.entry_rate": rate, "population.leveraged": 5}, bare=True)
    desk = desk_for(model)
    desk.quote(59_995.0, 60_005.0)
    pop = model.population
    gone = pop.leveraged[0]
    # liquidated: its position taken over and its margin gone
    held = gone.position(0)
    model.ledger.transfer_position(gone.account, desk.account, 0, held, 60_000.0)
    model.ledger.wallet[gone.account] = 0.0
    model.ledger.iso_margin[gone.account] = 0.0
    pop.replace(1.0)
    if rate == 0.0:
        assert pop.entrants == 0 and gone.position(0) == 0
        return
    assert pop.entrants == 1
    assert gone.position(0) != 0  # a holder's entrant opens a position at market
    assert pop.crowd.capital[gone.slot] > 0
    others = [t for t in pop.leveraged[1:] if t.position(0) != 0]
    assert len(others) == 4  # nobody else was replaced


def test_value_funds_trade_under_a_tier_table_without_a_notional_cap(build, desk_for):
    """Hyperliquid's table allows low leverage at any notional (max_notional is inf): the
    target is then capped by leverage alone, not refused as an infinite size."""
    model = build("calm", {**ONE_FUND, "venue": "hyperliquid"}, bare=True)
    assert model.ledger.tiers[0].max_notional(5.0) == float("inf")
    desk = desk_for(model)
    model.fundamental[:] = 63_000.0
    desk.quote(59_995.0, 60_005.0)
    desk.set_mark(60_000.0)
    model.population.rebalance(np.array([60_000.0]))
    assert model.population.leveraged[0].position(0) > 0


def test_share_at_cap_counts_positions_at_90_percent_of_their_cap_or_beyond():
    notional = np.array([0.0, 900.0, 1_000.0, 500.0, 100.0, 0.0])
    equity = np.array([100.0, 100.0, 100.0, 100.0, -5.0, -5.0])
    cap = np.full(6, 10.0)
    # flat: no; exactly 90% of 10x: yes; 10x: yes; 5x: no; a position on negative equity: yes;
    # flat on negative equity: no
    assert share_at_cap(notional, equity, cap) == pytest.approx(3 / 6)
    assert share_at_cap(notional, equity, cap, near=1.0) == pytest.approx(2 / 6)
    assert math.isnan(share_at_cap(np.array([]), np.array([]), np.array([])))


def test_funds_at_cap_is_recorded_every_step(build):
    low = build("calm", {**ONE_FUND, "population.leveraged": 20, "duration": 120.0})
    low.run()
    share = low.datacollector.get_model_vars_dataframe()["funds_at_cap"].to_numpy()
    assert share.size == 120 and np.all((share >= 0) & (share <= 1))
    assert share[-1] == low.population.funds_at_cap()
    none = build("calm", {"duration": 30.0, "population.leveraged": 20})
    none.run()
    assert np.isnan(none.datacollector.get_model_vars_dataframe()["funds_at_cap"]).all()
