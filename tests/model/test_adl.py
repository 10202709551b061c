"""ADL: fires only when the fund cannot cover, serves the queue in rank order, at the preset price."""

import numpy as np
import pytest

from model.adl import rank_binance, rank_bitmex


def test_rank_bitmex_hand_example():
    # long 1 @ 50,000, mark 55,000, bankruptcy 45,000:
    # PnL% = 5,000/50,000 = 0.1; EffLev = 55,000/(55,000 − 45,000) = 5.5 → 0.55
    assert rank_bitmex(1, 1.0, 50_000.0, 55_000.0, 45_000.0) == pytest.approx(0.55)
    # short 2 @ 50,000, mark 45,000, bankruptcy 60,000: MarkValue −90,000, EntryValue −100,000,
    # BankruptValue −120,000 → PnL% 0.1, EffLev 90,000/30,000 = 3 → 0.3
    assert rank_bitmex(-1, 2.0, 50_000.0, 45_000.0, 60_000.0) == pytest.approx(0.3)
    # losing: PnL% / EffLev
    assert rank_bitmex(1, 1.0, 50_000.0, 45_000.0, 40_000.0) == pytest.approx(-0.1 / 9.0)


def test_rank_binance_hand_example():
    # PnlPercent = 500/1,000 = 0.5; MarginRatio = 30/1,500 = 0.02 → 0.01
    assert rank_binance(1_000.0, 500.0, 30.0) == pytest.approx(0.01)
    assert rank_binance(1_000.0, -200.0, 30.0) == 0.0
    assert rank_binance(100.0, -200.0, 30.0) == 0.0  # balance ≤ 0: margin ratio 0


def shorts(m, specs, leverage=10):
    """Profitable isolated shorts as (deposit, lots, entry)."""
    out = []
    for deposit, lots, entry in specs:
        a = m.ledger.open_account(deposit, isolated=True, leverage=leverage)
        m.ledger.transfer_position(m.maker, a, 0, -lots, entry)
        out.append(a)
    return out


def bankrupt_long(m, fund_is_empty=True):
    trader = m.trader(6_000.0, 1_000)  # bankruptcy 54,000
    if fund_is_empty:
        fund = m.funds.account_of(0)
        m.ledger.deposits -= m.ledger.wallet[fund]
        m.ledger.wallet[fund] = 0.0
    return trader


def test_no_adl_while_the_fund_can_cover(market):
    m = market("binance")
    bankrupt_long(m, fund_is_empty=False)
    shorts(m, [(50_000.0, 1_000, 59_000.0)])
    m.liquidate(53_000.0)
    assert not m.kinds("adl")
    assert m.kinds("takeover")


@pytest.mark.parametrize(
    ("ranking", "expected_first"),
    [
        ("pnl", 1),  # the biggest profit: entry 70,000
        ("bitmex", 2),  # thin margin → high effective leverage
        ("binance", 2),
    ],
)
def test_queue_order_per_policy(market, ranking, expected_first):
    m = market("binance", adl__ranking=ranking)
    trader = bankrupt_long(m)
    accounts = shorts(
        m,
        [
            (100_000.0, 1_000, 56_000.0),  # small profit, 10x
            (100_000.0, 1_000, 70_000.0),  # big profit, 10x
        ],
    )
    accounts += shorts(m, [(10_000.0, 1_000, 60_000.0)], leverage=50)  # mid profit, 50x
    m.liquidate(53_000.0)
    adl = m.kinds("adl")
    assert adl, "the empty fund must hand the loss to ADL"
    assert adl[0].counterparty == accounts[expected_first]
    assert m.ledger.lots[trader, 0] == 0
    assert adl[0].fill_price == pytest.approx(54_000.0)  # Binance: the bankruptcy price
    assert m.problems() == []


def test_pro_rata_spreads_in_proportion_to_profit(market):
    m = market("binance", adl__ranking="pro_rata")
    bankrupt_long(m)
    accounts = shorts(m, [(100_000.0, 2_000, 57_000.0), (100_000.0, 2_000, 59_000.0)])
    m.liquidate(53_000.0)
    cut = {e.counterparty: e.qty for e in m.kinds("adl")}
    # profits at 53,000: 2·4,000 = 8,000 and 2·6,000 = 12,000 → 40% / 60% of 1 BTC
    assert cut[accounts[0]] == pytest.approx(0.4)
    assert cut[accounts[1]] == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("price_rule", "expected"), [("bankruptcy", 54_000.0), ("mark", 53_000.0), ("index", 60_000.0)]
)
def test_adl_price_follows_the_preset(market, price_rule, expected):
    m = market("binance", adl__price=price_rule)
    bankrupt_long(m)
    shorts(m, [(100_000.0, 1_000, 59_000.0)])
    m.liquidate(53_000.0)  # the test market's previous index is 60,000
    (adl,) = m.kinds("adl")
    assert adl.fill_price == pytest.approx(expected)
    assert m.problems() == []


def test_bad_debt_is_recorded_when_nobody_can_take_it(market):
    m = market("binance", insurance__offload_fraction=1.0)
    m.ledger.system[m.maker] = True  # the only short is an exchange account: no ADL candidate
    trader = bankrupt_long(m)
    m.liquidate(50_000.0)  # 4,000 below bankruptcy, with an empty fund and no bids at all
    assert m.ledger.lots[trader, 0] == 0
    assert not m.kinds("adl")
    fund = m.funds.account_of(0)
    assert [e.style_step for e in m.kinds("takeover")] == ["binance:takeover:forced"]
    # nothing is written off while nothing has been sold: the fund holds it, never below zero
    assert m.ledger.lots[fund, 0] == 1_000
    assert not m.kinds("bad_debt")
    assert m.problems() == []
    m.quote(1, 50_000.0, 2.0, owner=m.ledger.open_account(1e6, leverage=1))
    m.engine.settle(1.0, m.mark)  # insolvent, nobody to deleverage: dumped at 50,000
    assert m.ledger.lots[fund, 0] == 0
    assert m.ledger.wallet[fund] == pytest.approx(0.0)
    assert m.ledger.written_off == pytest.approx(4_000.0)
    (debt,) = m.kinds("bad_debt")
    assert debt.style_step == "insurance:overdrawn"
    assert debt.notional == pytest.approx(m.ledger.written_off)  # bad debt is USDT written off
    assert m.problems() == []


def test_lights_are_quintiles(market):
    m = market("binance")
    accounts = shorts(m, [(1e5, 1_000, 60_000.0 + 1_000 * i) for i in range(10)])
    m.mark[:] = 55_000.0
    ids, lights = m.engine.adl.lights(0, -1, m.mark)
    by_account = dict(zip(ids.tolist(), lights.tolist(), strict=True))
    assert by_account[accounts[-1]] == 5 and by_account[accounts[0]] == 1
    assert sorted(set(lights.tolist())) == [1, 2, 3, 4, 5]


def insolvent_fund(m):
    """The fund holds 1 BTC long from 60,000 with a 1,000 balance: at 58,000 its equity is
    −1,000; a short from 59,000 is the one winner."""
    fund = m.funds.account_of(0)
    m.ledger.transfer_position(m.maker, fund, 0, 1_000, 60_000.0)
    (winner,) = shorts(m, [(100_000.0, 2_000, 59_000.0)])
    m.mark[:] = 58_000.0
    return fund, winner


@pytest.mark.parametrize(
    ("venue", "expected"),
    [("hyperliquid", 58_500.0), ("okx", 58_000.0), ("binance", 59_000.0), ("bybit", 59_000.0)],
)
def test_an_insolvent_fund_is_deleveraged_at_the_venues_adl_price(market, venue, expected):
    """Spec §5: the previous oracle price on Hyperliquid, the mark on OKX, the bankruptcy price
    of the liquidated order (here the fund's own) on Binance and Bybit; both sides realise their
    PnL at that price (the fund used to be deleveraged at its bankruptcy price everywhere)."""
    m = market(venue, fund=1_000.0)
    fund, winner = insolvent_fund(m)
    winner_wallet = float(m.ledger.wallet[winner])
    m.engine.settle(0.0, m.mark, np.array([58_500.0]))  # previous index 58,500
    (adl,) = m.kinds("adl")
    assert adl.account == fund and adl.counterparty == winner
    assert adl.fill_price == pytest.approx(expected)
    assert adl.insurance_change == pytest.approx(1.0 * (expected - 60_000.0))  # fund's PnL
    assert m.ledger.lots[fund, 0] == 0
    # the winner closed 1 of its 2 BTC at the ADL price: realised 59,000 − price
    assert m.ledger.realised[winner, 0] == pytest.approx(59_000.0 - expected)
    assert m.ledger.wallet[winner] >= winner_wallet - 1e-6
    (short,) = m.kinds("shortfall")
    assert short.notional == pytest.approx(1_000.0)  # −equity: what keeps the venue solvent
    # what the ADL price leaves the fund short of is written off as bad debt, not hidden
    left = max(0.0, -(1_000.0 + expected - 60_000.0))
    assert m.ledger.written_off == pytest.approx(left, abs=1e-6)
    assert sum(e.notional for e in m.kinds("bad_debt")) == pytest.approx(left, abs=1e-6)
    assert m.funds.balance(0) >= 0.0
    assert m.problems() == []


def test_haircut_closes_no_position_and_takes_profit_pro_rata(market):
    m = market("bybit", adl__ranking="haircut")
    trader = bankrupt_long(m)  # empty fund, bankruptcy 54,000
    accounts = shorts(m, [(100_000.0, 2_000, 57_000.0), (100_000.0, 2_000, 59_000.0)])
    m.liquidate(53_000.0)  # 1,000 short of bankruptcy on 1 BTC
    assert not m.kinds("adl")
    assert [m.ledger.lots[a, 0] for a in accounts] == [-2_000, -2_000]  # nobody closed
    fund = m.funds.account_of(0)
    assert m.ledger.lots[trader, 0] == 0 and m.ledger.lots[fund, 0] == 1_000
    cut = {e.counterparty: e.notional for e in m.kinds("haircut")}
    # profits at 53,000: 8,000 and 12,000 → 40% / 60% of the 1,000 shortfall
    assert cut[accounts[0]] == pytest.approx(400.0)
    assert cut[accounts[1]] == pytest.approx(600.0)
    assert m.funds.equity(0, m.mark) == pytest.approx(0.0, abs=1e-6)  # solvent again
    (short,) = m.kinds("shortfall")
    assert short.notional == pytest.approx(1_000.0)
    assert m.problems() == []


def test_a_haircut_never_takes_more_than_a_winners_profit(market):
    m = market("bybit", adl__ranking="haircut", insurance__offload_fraction=1.0)
    bankrupt_long(m)
    (winner,) = shorts(m, [(100_000.0, 1_000, 53_300.0)])  # 300 of profit at 53,000
    m.quote(1, 52_000.0, 2.0, owner=m.ledger.open_account(1e7, leverage=1))
    m.liquidate(53_000.0)
    (cut,) = m.kinds("haircut")
    assert cut.counterparty == winner and cut.notional == pytest.approx(300.0)
    # the 700 nobody could pay: the fund dumps the holding and the loss is written off
    assert m.ledger.lots[m.funds.account_of(0), 0] == 0
    assert sum(e.notional for e in m.kinds("bad_debt")) > 0
    assert m.problems() == []


def test_minimal_socialises_only_what_keeps_the_venue_solvent(market):
    """Binance's fund may not hold a net position above its balance: a queue or the haircut
    policy share the part over the cap though the fund could pay it; the minimal policy lets the
    fund pay and shares nothing."""
    outcomes = {}
    for ranking in ("bitmex", "haircut", "minimal"):
        m = market("binance", fund=30_000.0, adl__ranking=ranking)
        m.trader(6_000.0, 1_000)  # 1 BTC long, bankruptcy 54,000
        shorts(m, [(100_000.0, 2_000, 59_000.0)])
        m.liquidate(53_000.0)
        outcomes[ranking] = (
            sum(e.socialised for e in m.rows_of("adl", "haircut")),
            sum(e.notional for e in m.kinds("shortfall")),
        )
        assert m.problems() == []
    assert outcomes["minimal"] == (0.0, 0.0)
    assert outcomes["haircut"][0] > 0 and outcomes["bitmex"][0] > 0
    assert outcomes["haircut"][1] == outcomes["bitmex"][1] == 0.0  # the fund could have paid


def test_minimal_haircuts_the_insolvent_funds_deficit_and_closes_nothing(market):
    m = market("hyperliquid", fund=1_000.0, adl__ranking="minimal")
    fund, winner = insolvent_fund(m)
    m.engine.settle(0.0, m.mark, np.array([58_500.0]))
    assert not m.kinds("adl")
    (cut,) = m.kinds("haircut")
    assert cut.counterparty == winner and cut.notional == pytest.approx(1_000.0)
    assert m.ledger.lots[fund, 0] == 1_000 and m.ledger.lots[winner, 0] == -2_000
    assert m.funds.equity(0, m.mark) == pytest.approx(0.0, abs=1e-6)
    assert m.problems() == []


def test_an_adl_fill_records_the_winners_profit_and_effective_leverage(market):
    """The reconstruction compares the share of ADL'd positions in profit and their median
    leverage with the event (spec §7): each fill carries the winner's UPNL on the lots closed
    and its position notional over its margin balance, at the mark, before the fill."""
    m = market("hyperliquid", fund=1_000.0)
    _, winner = insolvent_fund(m)  # the winner: 2 BTC isolated short from 59,000 at 10x
    margin = float(m.ledger.iso_margin[winner, 0])
    assert margin == pytest.approx(2.0 * 59_000.0 / 10)
    m.engine.settle(0.0, m.mark, np.array([58_500.0]))
    (adl,) = m.kinds("adl")
    assert adl.counterparty_upnl == pytest.approx(1.0 * (59_000.0 - 58_000.0))  # 1 BTC closed
    balance = margin + 2.0 * (59_000.0 - 58_000.0)  # its isolated pool at the mark
    assert adl.counterparty_leverage == pytest.approx(2.0 * 58_000.0 / balance)
    assert adl.counterparty_contracts == 1  # one position, on this contract, before the fill
