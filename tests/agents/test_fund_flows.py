"""Investors' money follows value funds' performance (TFG's fund flows): in after gains, out
after losses, only what a fund can pay, across the exchange's boundary so money is conserved."""

import math

import numpy as np
import pytest

from agents.crowd import VALUE
from agents.fund_flows import FundFlows

TWO_FUNDS = {
    "index.mode": "exogenous",
    "population.leveraged": 2,
    "population.strategies.value_share": 1.0,
    "population.strategies.rate": 10.0,
    "population.strategies.value_dispersion": 0.0,
    "population.leverage.median": 5.0,
    "population.leverage.sigma": 0.0,
    "population.isolated_share": 0.0,
}


def _funds(build):
    model = build("calm", TWO_FUNDS, bare=True)
    pop = model.population
    slots = pop.value_slots
    assert slots.size == 2 and (pop.crowd.strategy[slots] == VALUE).all()
    return model, pop, slots


def test_first_look_records_equity_then_gains_bring_money_and_losses_take_it(build):
    model, pop, slots = _funds(build)
    ledger, crowd = model.ledger, pop.crowd
    a, b = (int(acc) for acc in crowd.accounts[slots])
    flows = FundFlows(sensitivity=2.0, smoothing=0.5, benchmark=0.0, interval=60.0)
    start = ledger.wallet[[a, b]].copy()
    deposits = ledger.deposits
    flows.step(0.0, crowd, slots, model.population.leveraged, model.view)
    assert ledger.wallet[[a, b]].tolist() == start.tolist()  # the first look only records
    assert crowd.flow_base[slots].tolist() == start.tolist()
    # fund a gains 10%, fund b loses 10% (paid from outside / taken out, for the test)
    ledger.deposit(a, 0.1 * start[0])
    ledger.withdraw(b, 0.1 * start[1])
    flows.step(30.0, crowd, slots, model.population.leveraged, model.view)  # not yet time to look
    assert ledger.wallet[a] == pytest.approx(1.1 * start[0])
    flows.step(60.0, crowd, slots, model.population.leveraged, model.view)
    # moving average 0.5 × ±10% = ±5%; flow = 2 × ±5% × equity
    assert crowd.flow_perf[slots] == pytest.approx([0.05, -0.05])
    assert ledger.wallet[a] == pytest.approx(1.1 * start[0] * 1.1)
    assert ledger.wallet[b] == pytest.approx(0.9 * start[1] * 0.9)
    assert flows.paid_in == pytest.approx(0.11 * start[0])
    assert flows.taken_out == pytest.approx(0.09 * start[1])
    assert crowd.flow_base[slots] == pytest.approx(ledger.wallet[[a, b]])
    # net money in crossed the boundary: conserved
    assert ledger.deposits == pytest.approx(
        deposits + 0.1 * start[0] - 0.1 * start[1] + flows.paid_in - flows.taken_out
    )
    assert abs(ledger.conservation_error(model.mark)) < 1e-12


def test_a_benchmark_takes_money_from_a_fund_that_only_holds_its_own(build):
    model, pop, slots = _funds(build)
    flows = FundFlows(sensitivity=1.0, smoothing=1.0, benchmark=0.01, interval=60.0)
    flows.step(0.0, pop.crowd, slots, model.population.leveraged, model.view)
    before = model.ledger.wallet[pop.crowd.accounts[slots]].copy()
    flows.step(60.0, pop.crowd, slots, model.population.leveraged, model.view)
    after = model.ledger.wallet[pop.crowd.accounts[slots]]
    assert after == pytest.approx(before * 0.99)  # 1 × (0 − 1%) of equity taken out


def test_off_by_default_and_with_no_funds(build):
    model, pop, slots = _funds(build)
    assert not pop.fund_flows.on  # flow_sensitivity 0 by default
    before = model.ledger.wallet.copy()
    pop.fund_flows.step(0.0, pop.crowd, slots, model.population.leveraged, model.view)
    assert np.isnan(pop.crowd.flow_base[slots]).all()
    FundFlows(1.0, 0.1, 0.0, 60.0).step(
        0.0, pop.crowd, np.array([], dtype=np.int64), model.population.leveraged, model.view
    )
    assert (model.ledger.wallet == before).all()


def test_a_withdrawal_takes_only_what_a_fund_holding_a_position_can_pay(build, desk_for):
    """Investors leaving a fund in a loss take its free cash, never its margin; the smaller
    equity shrinks its capped target, so it sells at its next rebalance."""
    model, pop, slots = _funds(build)
    desk = desk_for(model)
    ledger, crowd = model.ledger, pop.crowd
    fund = pop.leveraged[int(slots[0])]
    model.fundamental[:] = 60_600.0  # 1% cheap: 200 × 1% asks for 2x, under the 5x cap
    desk.quote(59_995.0, 60_005.0)
    desk.set_mark(60_000.0)
    pop.rebalance(np.array([60_000.0]))
    held = fund.position(0)
    assert held > 0
    flows = FundFlows(sensitivity=50.0, smoothing=1.0, benchmark=0.0, interval=60.0)
    flows.step(0.0, crowd, slots, model.population.leveraged, model.view)
    desk.set_mark(59_400.0)  # −1%: at 2x, −2% of equity; 50 × 2% asks for all of it
    free = ledger.available_balance(fund.account, model.mark)
    wallet = float(ledger.wallet[fund.account])
    assert 0 < free < wallet  # part of the wallet backs the position
    flows.step(60.0, crowd, slots, model.population.leveraged, model.view)
    assert float(ledger.wallet[fund.account]) == pytest.approx(wallet - free)
    assert ledger.available_balance(fund.account, model.mark) == pytest.approx(0.0, abs=1e-6)
    assert fund.position(0) == held  # the withdrawal itself closes nothing
    assert abs(ledger.conservation_error(model.mark)) < 1e-12
    desk.clear()
    desk.quote(59_395.0, 59_405.0)
    # 2% cheap now asks for 4x, but of an equity the investors mostly took
    pop.rebalance(np.array([59_400.0]))
    assert 0 <= fund.position(0) < held  # the fund sells what its equity no longer carries


def test_a_new_entrant_starts_afresh(build):
    model, pop, slots = _funds(build)
    flows = FundFlows(1.0, 0.5, 0.0, 60.0)
    flows.step(0.0, pop.crowd, slots, model.population.leveraged, model.view)
    pop.crowd.flow_perf[slots[0]] = 0.3
    flows.forget(pop.crowd, int(slots[0]))
    assert pop.crowd.flow_perf[slots[0]] == 0.0 and math.isnan(pop.crowd.flow_base[slots[0]])
    assert math.isfinite(pop.crowd.flow_base[slots[1]])


def test_ledger_withdraw_refuses_bad_amounts(build):
    model = build("calm", {}, bare=True)
    account = model.ledger.open_account(100.0)
    with pytest.raises(ValueError, match="exceeds"):
        model.ledger.withdraw(account, 100.5)
    with pytest.raises(ValueError, match="finite amount"):
        model.ledger.withdraw(account, -1.0)
    with pytest.raises(ValueError, match="finite amount"):
        model.ledger.withdraw(account, math.nan)
    model.ledger.withdraw(account, 100.0)
    assert model.ledger.wallet[account] == 0.0


def test_funds_grow_and_shrink_by_performance_in_a_run_that_conserves_money(build):
    """A whole run with flows on, under audit: investors moved money both ways, money is
    conserved, the funds' equity is recorded every step, and it differs from the same seed's
    run without flows."""
    settings = {
        "population.leveraged": 30,
        "population.strategies.value_share": 1.0,
        "population.strategies.value_aggression": 5000.0,
        "population.strategies.flow_sensitivity": 5.0,
        "population.strategies.flow_interval": 10.0,
        "population.noise_demand.std": 3e7,
        "duration": 240.0,
        "seed": 5,
    }
    model = build("calm", settings)
    model.audit = True
    pop, ledger = model.population, model.ledger
    slots = pop.value_slots
    model.run()
    flows = pop.fund_flows
    assert flows.paid_in > 0 and flows.taken_out > 0
    assert model.conservation_error_max < 1e-9
    ts = model.datacollector.get_model_vars_dataframe()
    equity = ts["funds_equity"].to_numpy()
    assert equity.size == 240 and np.isfinite(equity).all()
    now = float(pop.fund_measures()[1])
    assert equity[-1] == pytest.approx(now)
    assert now == pytest.approx(
        float(np.sum(ledger.wallet[pop.crowd.accounts[slots]]))
        + float(np.sum(ledger.upnl(model.mark, pop.crowd.accounts[slots])))
        + float(np.sum(ledger.iso_margin[pop.crowd.accounts[slots]]))
    )
    still = build("calm", {**settings, "population.strategies.flow_sensitivity": 0.0})
    still.run()
    without = still.datacollector.get_model_vars_dataframe()["funds_equity"].to_numpy()
    assert without[0] == pytest.approx(equity[0])  # the same funds before the first flow
    assert not np.allclose(without, equity)
    assert still.population.fund_flows.paid_in == still.population.fund_flows.taken_out == 0.0
