"""Insurance fund arithmetic: surplus, shortfall, fees, position limit, drawdown trigger, deficits."""

import pytest

from model.events import EventLog


def test_surplus_when_closed_better_than_bankruptcy(market):
    m = market(
        "binance", fund=100_000.0, insurance__offload_fraction=1.0, liquidation__clearance_fee=0.0
    )
    trader = m.trader(6_000.0, 1_000)  # bankruptcy 54,000
    m.liquidate(54_150.0)  # equity 150 < MM 220.75, and no bid to reduce into
    assert m.ledger.lots[trader, 0] == 0
    fund = m.funds.account_of(0)
    (take,) = m.kinds("takeover")
    assert take.fill_price == pytest.approx(54_000.0)
    assert take.insurance_change == pytest.approx(150.0)  # the equity left, at the mark
    assert m.ledger.lots[fund, 0] == 1_000  # nothing to offload into yet
    m.quote(1, 54_100.0, 5.0)
    m.engine.settle(1.0, m.mark)
    assert m.ledger.lots[fund, 0] == 0  # offloaded in one go at 54,100
    (off,) = m.kinds("offload")
    surplus = 54_100.0 - 54_000.0  # the fund's own orders pay no trading fee
    assert off.insurance_change == pytest.approx(surplus)
    assert m.funds.balance(0) == pytest.approx(100_000.0 + surplus)
    assert m.problems() == []


def test_shortfall_when_closed_worse_than_bankruptcy(market):
    m = market("binance", fund=100_000.0, insurance__offload_fraction=1.0)
    m.trader(6_000.0, 1_000)  # bankruptcy 54,000
    m.quote(1, 52_000.0, 5.0)
    m.liquidate(52_000.0)  # gapped through bankruptcy
    loss = 2_000.0  # bankruptcy 54,000, sold at 52,000; no fee on the fund's own orders
    assert m.funds.balance(0) == pytest.approx(100_000.0 - loss)
    assert not m.kinds("adl")
    assert m.problems() == []


def test_clearance_fee_is_capped_at_the_margin_left(market):
    m = market("binance")
    trader = m.trader(6_000.0, 1_000)
    m.liquidate(54_100.0)  # equity 100 left; 0.3% of 54.1k would be 162
    (liq,) = m.kinds("liquidation")
    assert liq.fee == pytest.approx(100.0)
    assert m.ledger.iso_margin[trader, 0] == pytest.approx(0.0, abs=1e-6)


def test_fund_respects_its_maximum_net_position(market):
    m = market("binance", fund=30_000.0)  # may hold at most 30k of notional
    m.trader(6_000.0, 1_000)
    winner = m.ledger.open_account(1e6, leverage=1)
    m.ledger.transfer_position(m.maker, winner, 0, -2_000, 50_000.0)  # a profitable short
    m.liquidate(54_100.0)
    fund = m.funds.account_of(0)
    taken = m.ledger.lots[fund, 0] * 0.001 * 54_100.0
    (liq,) = m.kinds("liquidation")
    assert taken <= 30_000.0 + liq.fee  # 100% of the balance (with the fee just received)
    adl = m.kinds("adl")
    assert adl and adl[0].counterparty == winner
    assert "maximum-net-position" in adl[0].style_step
    assert m.problems() == []


def test_drawdown_trigger_sends_losses_to_adl(market):
    m = market("okx", fund=100_000.0, insurance__drawdown_trigger=True, insurance__drawdown_pct=0.3)
    fund = m.funds.account_of(0)
    m.ledger.wallet[fund] -= 40_000.0  # a 40% fall from the 100k peak...
    m.ledger.deposits -= 40_000.0  # (taken out of the system, to keep the books straight)
    m.funds.record(1.0)
    assert m.funds.drawdown(0) == pytest.approx(0.4)
    trader = m.trader(6_000.0, 1_000)
    winner = m.ledger.open_account(1e6, leverage=1)
    m.ledger.transfer_position(m.maker, winner, 0, -1_000, 58_000.0)
    m.liquidate(53_000.0)
    assert m.ledger.lots[trader, 0] == 0
    adl = m.kinds("adl")
    assert adl and "from-its-peak" in adl[0].style_step
    assert m.ledger.lots[fund, 0] == 0


def test_deficits_are_paid_by_the_fund_and_bad_debt_recorded_when_empty(market):
    m = market("binance", fund=1_000.0)
    events = EventLog()
    ledger = m.ledger
    a = ledger.open_account(0.0)
    b = ledger.open_account(0.0)
    ledger.wallet[a] = -600.0
    ledger.wallet[b] = -900.0
    ledger.wallet[m.maker] += 1_500.0  # the money the two lost went to someone
    bad = m.funds.cover_deficits(0.0, events)
    assert ledger.wallet[a] == pytest.approx(0.0) and ledger.wallet[b] == pytest.approx(0.0)
    assert m.funds.balance(0) == pytest.approx(0.0)
    assert bad == pytest.approx(500.0)
    assert [e.kind for e in events.rows] == ["deficit", "deficit", "bad_debt"]
    assert ledger.written_off == pytest.approx(500.0)
    assert abs(ledger.conservation_error(m.mark)) < 1e-12


def test_shared_scope_uses_one_fund(market):
    m = market("hyperliquid", n_contracts=2)
    assert m.funds.account_of(0) == m.funds.account_of(1)
    per = market("binance", n_contracts=2)
    assert per.funds.account_of(0) != per.funds.account_of(1)
    assert per.funds.total_balance() == pytest.approx(2e6)


def test_without_a_position_cap_the_fund_takes_the_whole_position(market):
    # Bybit publishes no cap on the fund's net position (Binance's 100% rule is its own)
    m = market("bybit", fund=30_000.0)
    assert m.venue.insurance.max_position_pct is None
    trader = m.trader(6_000.0, 1_000)  # 54k of notional: more than the 30k balance
    winner = m.ledger.open_account(1e6, leverage=1)
    m.ledger.transfer_position(m.maker, winner, 0, -2_000, 50_000.0)
    m.liquidate(54_100.0)
    assert m.ledger.lots[trader, 0] == 0
    assert m.ledger.lots[m.funds.account_of(0), 0] == 1_000
    assert not m.kinds("adl")
    assert m.problems() == []


def test_capacity_is_equity_so_a_fund_sitting_on_losses_stops_absorbing(market):
    m = market("bybit", fund=5_000.0)
    fund = m.funds.account_of(0)
    m.ledger.transfer_position(m.maker, fund, 0, 1_000, 60_000.0)  # holds 1 BTC long at 60k
    m.trader(6_000.0, 1_000)  # bankruptcy 54,000
    winner = m.ledger.open_account(1e6, leverage=1)
    m.ledger.transfer_position(m.maker, winner, 0, -1_000, 58_000.0)
    # at 53,000 the fund's holding has lost 7,000: its equity (−2,000) cannot cover the 1,000
    # shortfall, although its 5,000 balance alone could
    m.liquidate(53_000.0)
    assert m.funds.balance(0) >= 0.0
    adl = [e for e in m.kinds("adl") if e.account != fund]
    assert adl and "cannot-cover" in adl[0].style_step
    assert adl[0].counterparty == winner


def test_offload_never_sells_the_fund_below_zero(market):
    m = market("bybit", fund=1_000.0, insurance__offload_fraction=1.0)
    fund = m.funds.account_of(0)
    m.ledger.transfer_position(m.maker, fund, 0, 1_000, 60_000.0)  # bankrupt below 59,000
    m.mark[:] = 59_500.0  # equity 500: solvent, so no ADL
    m.quote(1, 58_000.0, 1.0)  # the only bid is beyond the fund's bankruptcy price
    m.engine.settle(0.0, m.mark)
    assert m.ledger.lots[fund, 0] == 1_000  # nothing sold at 58,000
    assert m.funds.balance(0) == pytest.approx(1_000.0)
    m.quote(1, 59_200.0, 1.0)
    m.engine.settle(1.0, m.mark)
    assert m.ledger.lots[fund, 0] == 0
    assert m.funds.balance(0) == pytest.approx(1_000.0 - 800.0)
    assert m.problems() == []


def test_a_step_of_several_steps_offloads_what_they_would_have(market):
    """offload_fraction is per scenario step: a step as long as three sells 1 - 0.9**3 of the
    holding, not 10% (adaptive steps must not slow the fund's selling per second)."""
    sold = {}
    for steps in (1.0, 3.0):
        m = market("bybit", fund=1e9)
        fund = m.funds.account_of(0)
        m.ledger.transfer_position(m.maker, fund, 0, 1_000, 60_000.0)
        m.mark[:] = 60_000.0
        m.quote(1, 59_900.0, 5.0)
        m.engine.settle(0.0, m.mark, steps=steps)
        sold[steps] = 1_000 - int(m.ledger.lots[fund, 0])
        assert m.problems() == []
    assert sold[1.0] == 100
    assert sold[3.0] == 271  # 1,000 x (1 - 0.9**3), as three steps of 10% leave 729


def test_fund_covers_part_of_a_shortfall_and_adl_takes_only_the_rest(market):
    """The fund takes as many lots as its equity pays the shortfall of (it used to take none
    when it could not cover all)."""
    m = market("bybit", fund=400.0)
    trader = m.trader(6_000.0, 1_000)  # bankruptcy 54,000
    winner = m.ledger.open_account(1e6, leverage=1)
    m.ledger.transfer_position(m.maker, winner, 0, -2_000, 59_000.0)
    m.liquidate(53_000.0)  # 1,000 below bankruptcy on 1 BTC: 1 USDT per lot
    assert m.ledger.lots[trader, 0] == 0
    (take,) = m.kinds("takeover")
    assert take.qty == pytest.approx(0.4)  # 400 USDT of equity pays the shortfall of 400 lots
    (adl,) = m.kinds("adl")
    assert adl.qty == pytest.approx(0.6) and adl.counterparty == winner
    (short,) = m.kinds("shortfall")
    assert short.notional == pytest.approx(600.0)  # what the fund could not have paid
    assert m.funds.balance(0) >= 0.0
    assert m.problems() == []


def test_a_rounding_residue_is_never_reported_as_a_negative_balance(market):
    m = market("bybit", fund=0.0)
    fund = m.funds.account_of(0)
    m.ledger.wallet[fund] = -3.9e-10  # what oct-10-2025 seed 11 reported as insurance_fund_min
    m.ledger.deposits -= 3.9e-10
    flat = m.ledger.open_account(0.0)
    m.ledger.wallet[flat] = -2e-10
    m.ledger.deposits -= 2e-10
    bad = m.funds.cover_deficits(0.0, m.events)
    m.funds.record(0.0)
    assert m.ledger.wallet[fund] == 0.0 and m.ledger.wallet[flat] == 0.0
    assert m.funds.min_balance >= 0.0
    assert bad == 0.0 and not m.kinds("bad_debt")  # residue, not a loss
    assert m.problems() == []  # money is still conserved
