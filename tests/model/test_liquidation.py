"""Each venue's liquidation style on small hand-built markets (spec §2–3)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.margin import TierTable, liquidation_price

BINANCE = TierTable.preset("binance-btcusdt")


def lp_long(margin, qty=1.0, entry=60_000.0, table=BINANCE):
    return liquidation_price(1, qty, entry, margin, table)


def bids(m, *prices, btc=2.0):
    for p in prices:
        m.quote(1, p, btc)


@pytest.mark.parametrize("venue", ["binance", "bybit", "okx", "hyperliquid"])
def test_fires_exactly_at_maintenance_on_the_mark(market, venue):
    m = market(venue)
    trader = m.trader(6_000.0, 1_000)
    table = m.ledger.tiers[0]
    lp = lp_long(float(m.ledger.iso_margin[trader, 0]), table=table)
    bids(m, lp - 20, lp - 100)
    risk = m.liquidate(lp + 0.5)
    assert not risk.any_breach and not m.events.rows
    risk = m.liquidate(lp - 0.5)
    assert [tuple(x) for x in risk.isolated_breaches] == [(trader, 0)]
    assert m.kinds("liquidation")
    assert m.problems() == []


def test_last_price_crash_alone_does_not_liquidate(market):
    m = market("binance")
    trader = m.trader(6_000.0, 1_000)
    other = m.ledger.open_account(1e6, leverage=1)
    m.quote(1, 40_000.0, 0.01)  # a stray bid far below
    m.exchange.market(other, 0, -1, 10, check_margin=False)
    assert m.exchange.books[0].last_price * 0.1 == pytest.approx(40_000.0)
    m.liquidate(60_000.0)  # the mark (index-anchored) has not moved
    assert m.ledger.lots[trader, 0] == 1_000
    assert not m.kinds("liquidation")


def test_binance_partial_ioc_when_it_suffices(market):
    m = market("binance")
    trader = m.trader(6_000.0, 1_000)
    lp = lp_long(6_000.0)
    bids(m, lp - 5, lp - 50)
    m.liquidate(lp - 1)
    (event,) = m.kinds("liquidation")
    assert event.partial and event.style_step == "binance:ioc"
    assert 0 < m.ledger.lots[trader, 0] < 1_000
    assert not m.engine.breached(trader, 0, m.mark)
    assert event.fee == pytest.approx(0.003 * event.notional)
    assert not m.kinds("takeover")
    assert m.problems() == []


def test_binance_full_takeover_when_partial_cannot_help(market):
    m = market("binance")
    trader = m.trader(6_000.0, 1_000)
    bids(m, 53_000.0)
    m.liquidate(53_500.0)  # equity 6,000 − 6,500 < 0: only a full close will do
    assert m.ledger.lots[trader, 0] == 0
    (liq,) = m.kinds("liquidation")
    assert not liq.partial and liq.style_step == "binance:takeover"
    (take,) = m.kinds("takeover")
    assert take.fill_price == pytest.approx(54_000.0)  # bankruptcy: 60,000 − 6,000/1
    assert m.ledger.iso_margin[trader, 0] == pytest.approx(0.0, abs=1e-6)
    assert m.problems() == []


def test_binance_partial_that_falls_short_ends_in_takeover(market):
    m = market("binance")
    trader = m.trader(6_000.0, 1_000)
    lp = lp_long(6_000.0)
    m.quote(1, lp - 15, 0.002)  # far too little liquidity above bankruptcy
    m.liquidate(lp - 10)
    steps = [e.style_step for e in m.kinds("liquidation")]
    assert steps == ["binance:ioc", "binance:takeover"]
    assert [e.partial for e in m.kinds("liquidation")] == [True, False]
    assert m.ledger.lots[trader, 0] == 0


def test_a_remainder_whose_margin_covers_it_is_not_taken_over_at_zero(market):
    """Found by `cascade mc --runs 1000` (flash-crash, run 27): a full close-out filled all but a
    few lots far above its bankruptcy price; the rest had a bankruptcy price of 0, and a takeover
    there gave the fund a position with entry price 0, which then failed every margin formula."""
    m = market("binance")
    trader = m.trader(6_000.0, 1_000)
    m.quote(1, 59_000.0, 0.999)  # a stale bid far above the mark: all but one lot fills there
    m.liquidate(53_500.0)  # equity 6,000 − 6,500 < 0: a full close-out
    assert m.ledger.lots[trader, 0] == 1  # 1 lot left, covered by ~5,000 of margin
    assert not m.kinds("takeover")
    fund = m.funds.account_of(0)
    assert m.ledger.lots[fund, 0] == 0
    assert not m.engine.breached(trader, 0, m.mark)
    assert m.problems() == []
    m.liquidate(53_000.0)  # and it does not come back as a liquidation
    assert m.ledger.lots[trader, 0] == 1 and not m.kinds("takeover")


def test_a_short_whose_cross_account_lost_more_than_it_can_earn_is_taken_over_at_the_mark(market):
    """Found by `cascade mc --scenario oct-10-2025-assets --seed 4` (run 11): a cross account's
    long lost so much that its small short's bankruptcy price (entry + margin / qty) was below
    zero; the floor at 0 made the backstop take the short over at a price of 0, and the vault's
    position with entry price 0 then failed every margin formula. No price above zero brings
    that margin to zero: the short goes to the vault at the mark, and the account's deficit is
    settled as one."""
    m = market("hyperliquid", n_contracts=2)
    trader = m.ledger.open_account(6_000.0, isolated=False, leverage=10)
    m.ledger.transfer_position(m.maker, trader, 0, -10, 60_000.0)  # short 0.01 BTC on C0
    m.ledger.transfer_position(m.maker, trader, 1, 1_000, 60_000.0)  # long 1 BTC on C1
    m.ledger.transfer_position(trader, m.maker, 1, 1_000, 40_000.0)  # the long closed at a loss
    assert m.ledger.wallet[trader] == pytest.approx(-14_000.0)
    assert m.ledger.bankruptcy_price(trader, 0, m.mark) == 0.0  # 60,000 − 14,000 / 0.01 < 0
    m.liquidate(np.array([60_000.0, 60_000.0]))
    fund = m.funds.account_of(0)
    assert m.ledger.lots[trader].tolist() == [0, 0]
    assert m.ledger.lots[fund, 0] == -10
    assert m.ledger.entry[fund, 0] == pytest.approx(60_000.0)  # the mark, not 0
    assert m.kinds("deficit") or m.kinds("bad_debt")  # the account's loss is settled
    assert m.problems() == []
    m.liquidate(np.array([60_000.0, 60_000.0]), t=1.0)  # the vault's offload works on it
    assert m.problems() == []


def test_bybit_lowest_tier_closes_at_bankruptcy(market):
    m = market("bybit")
    trader = m.trader(6_000.0, 500, leverage=20)  # 30k notional: tier 1
    margin = float(m.ledger.iso_margin[trader, 0])
    bids(m, 55_000.0)
    m.liquidate(lp_long(margin, 0.5) - 1)
    (liq,) = m.kinds("liquidation")
    assert liq.style_step == "bybit:bankruptcy" and not liq.partial
    assert liq.fill_price == pytest.approx(60_000 - margin / 0.5)


def test_bybit_higher_tier_steps_down_with_fill_or_kill(market):
    m = market("bybit")
    trader = m.trader(80_000.0, 20_000, leverage=20)  # 20 BTC: 1.2M notional, tier 3
    margin = float(m.ledger.iso_margin[trader, 0])
    lp = lp_long(margin, 20.0)
    bids(m, lp - 5, btc=30.0)
    m.liquidate(lp - 1)
    first = m.kinds("liquidation")[0]
    assert first.style_step == "bybit:step-down" and first.partial
    held = m.ledger.lots[trader, 0] * 0.001 * (lp - 1)
    assert held <= 600_000  # inside tier 2
    assert not m.engine.breached(trader, 0, m.mark)


def test_bybit_step_down_that_cannot_fill_goes_to_bankruptcy(market):
    m = market("bybit")
    trader = m.trader(80_000.0, 20_000, leverage=20)
    lp = lp_long(float(m.ledger.iso_margin[trader, 0]), 20.0)
    m.quote(1, lp - 5, 1.0)  # not enough for the fill-or-kill order
    m.liquidate(lp - 1)
    # the close order at the bankruptcy price takes the 1 BTC bid; the fund takes the rest
    steps = [(e.style_step, e.closed_by) for e in m.kinds("liquidation")]
    assert steps == [("bybit:bankruptcy-order", "book"), ("bybit:bankruptcy", "fund")]
    book, fund = m.kinds("liquidation")
    assert book.qty == pytest.approx(1.0) and fund.qty == pytest.approx(19.0)
    assert m.ledger.lots[trader, 0] == 0


@pytest.mark.parametrize("venue", ["binance", "bybit", "okx"])
def test_bankruptcy_close_goes_to_the_book_before_the_fund(market, venue):
    """A full close sends the whole position into the book at the bankruptcy price; the fund
    takes over only what the book could not absorb within that limit."""
    m = market(venue)
    trader = m.trader(3_000.0, 500, leverage=10)  # 0.5 BTC, lowest tier: a full close
    lp = lp_long(float(m.ledger.iso_margin[trader, 0]), 0.5)
    bp = m.ledger.bankruptcy_price(trader, 0, m.mark)
    m.quote(1, bp + 1.0, 0.2)  # within the limit
    m.quote(1, bp - 50.0, 5.0)  # beyond it: never hit by the liquidation
    m.liquidate(lp - 1)
    liqs = m.kinds("liquidation")
    by = {e.closed_by: e.qty for e in liqs}
    assert by["book"] == pytest.approx(0.2)
    assert by["fund"] == pytest.approx(0.3)
    assert m.ledger.lots[trader, 0] == 0
    assert m.exchange.books[0].best_bid() == m.exchange.to_ticks(0, bp - 50.0)


def test_okx_reduces_two_tiers_at_tier_three_and_above(market):
    m = market("okx")
    trader = m.trader(400_000.0, 80_000, leverage=15)  # 80 BTC = 4.8M: tier 4 (index 3)
    lp = lp_long(float(m.ledger.iso_margin[trader, 0]), 80.0)
    bids(m, lp - 5, btc=100.0)
    m.liquidate(lp - 1)
    first = m.kinds("liquidation")[0]
    assert first.style_step == "okx:two-tiers" and first.partial
    notional = m.ledger.lots[trader, 0] * 0.001 * (lp - 1)
    assert notional <= 600_000  # at most tier 2's cap (two tiers down from tier 4)


def test_okx_low_tiers_close_in_full(market):
    m = market("okx")
    trader = m.trader(6_000.0, 1_000)
    bids(m, 54_500.0, 54_300.0)
    m.liquidate(lp_long(6_000.0) - 1)
    (liq,) = m.kinds("liquidation")
    assert liq.style_step == "okx:full" and not liq.partial
    assert m.ledger.lots[trader, 0] == 0


def hyperliquid_large_position(m):
    trader = m.trader(200_000.0, 5_000, leverage=20)  # 5 BTC = 300k > 100k threshold
    assert m.ledger.iso_margin[trader, 0] == pytest.approx(15_000.0)
    bids(m, 57_490.0, btc=10.0)
    # mark 57,500: equity 2,500 is under MM (~3,594) but above 2/3 of it (no backstop), and
    # one 20% slice is not enough to be compliant again
    m.liquidate(57_500.0, t=0.0)
    (first,) = m.kinds("liquidation")
    assert first.qty == pytest.approx(1.0) and first.partial
    assert first.style_step == "hyperliquid:partial" and first.fee == 0.0
    assert m.engine.breached(trader, 0, m.mark)
    return trader


def test_hyperliquid_sends_the_entire_position_during_the_cooldown(market):
    """Spec §3: after a block with a partial liquidation of the user, liquidation orders are for
    the entire position for 30 s (the model used to send nothing then)."""
    m = market("hyperliquid")
    trader = hyperliquid_large_position(m)
    m.liquidate(57_500.0, t=10.0)
    _first, second = m.kinds("liquidation")
    assert second.qty == pytest.approx(4.0) and not second.partial
    assert second.style_step == "hyperliquid:market"
    assert m.ledger.lots[trader, 0] == 0
    assert m.problems() == []


def test_hyperliquid_slices_again_after_the_cooldown(market):
    m = market("hyperliquid")
    trader = hyperliquid_large_position(m)
    m.liquidate(57_500.0, t=31.0)
    assert len(m.kinds("liquidation")) == 2
    assert m.ledger.lots[trader, 0] == 3_200  # 20% of what was left (4 BTC)


def test_hyperliquid_cooldown_is_per_user(market):
    m = market("hyperliquid")
    hyperliquid_large_position(m)
    other = m.trader(200_000.0, 5_000, leverage=20)
    m.liquidate(57_500.0, t=10.0)
    (mine,) = [e for e in m.kinds("liquidation") if e.account == other]
    assert mine.qty == pytest.approx(1.0) and mine.partial  # not in a cooldown: sliced


def test_hyperliquid_backstop_takes_position_and_margin(market):
    m = market("hyperliquid")
    trader = m.trader(6_000.0, 1_000, leverage=20)
    margin = float(m.ledger.iso_margin[trader, 0])
    fund_before = m.funds.balance(0)
    m.liquidate(60_000.0 - margin + 100)  # equity 100 < 2/3 of MM (~731)
    (liq,) = m.kinds("liquidation")
    assert liq.style_step == "hyperliquid:backstop"
    assert m.ledger.lots[trader, 0] == 0
    assert m.ledger.iso_margin[trader, 0] == pytest.approx(0.0, abs=1e-6)
    fund = m.funds.account_of(0)
    assert m.ledger.lots[fund, 0] == 1_000  # the vault holds it (no book to offload into)
    assert m.funds.equity(0, m.mark) == pytest.approx(fund_before + 100, abs=1e-6)


def test_isolated_loss_capped_while_cross_account_loses_both_positions(market):
    m = market("binance", n_contracts=2)
    iso = m.trader(6_000.0, 1_000, isolated=True)
    iso_wallet = float(m.ledger.wallet[iso])
    cross = m.ledger.open_account(9_000.0, leverage=20)
    m.ledger.transfer_position(m.maker, cross, 0, 1_000, 60_000.0)
    m.ledger.transfer_position(m.maker, cross, 1, 1_000, 60_000.0)
    m.mark[:] = [60_000.0, 50_000.0]
    m.liquidate([40_000.0, 50_000.0])  # crash on contract 0 only
    assert np.all(m.ledger.lots[cross] == 0)  # the cross account lost both
    assert np.all(m.ledger.lots[iso] == 0)
    assert m.ledger.wallet[iso] == pytest.approx(iso_wallet)  # isolated: only its margin lost
    assert m.ledger.wallet[cross] >= -1e-6
    assert {e.contract for e in m.kinds("liquidation") if e.account == cross} == {0, 1}
    assert m.problems() == []


trader_spec = st.tuples(
    st.sampled_from([1, -1]),
    st.integers(10, 5_000),  # lots
    st.floats(2, 100),  # leverage
    st.booleans(),  # isolated
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    venue=st.sampled_from(["binance", "bybit", "okx", "hyperliquid"]),
    traders=st.lists(trader_spec, min_size=2, max_size=12),
    moves=st.lists(st.floats(-0.04, 0.04), min_size=3, max_size=12),
    fund=st.sampled_from([0.0, 5_000.0, 1e6]),
)
def test_invariants_hold_through_random_liquidations(market, venue, traders, moves, fund):
    m = market(venue, fund=fund)
    for side, lots, leverage, isolated in traders:
        deposit = lots * 0.001 * 60_000.0 / leverage * 1.02
        m.trader(deposit, side * lots, leverage=leverage, isolated=isolated)
    price = 60_000.0
    for step, move in enumerate(moves):
        price *= 1 + move
        for k in range(1, 4):  # a thin book around the new price
            m.quote(1, price * (1 - 0.002 * k), 0.5)
            m.quote(-1, price * (1 + 0.002 * k), 0.5)
        m.liquidate(price, t=float(step))
        assert m.problems() == []
        assert m.funds.total_balance() >= -1e-6


@pytest.mark.parametrize("venue", ["binance", "bybit", "okx", "hyperliquid"])
def test_styles_take_time_and_mark_as_arguments(market, venue):
    """A style reads the mark it is given, not one stored on the engine by the last run."""
    from model.liquidation.base import Moment, Position

    m = market(venue)
    trader = m.trader(6_000.0, 1_000)
    bids(m, 53_000.0, 52_000.0)
    mark = np.array([53_500.0])  # equity 6,000 − 6,500 < 0 at this mark only
    m.engine.style.liquidate(
        m.engine.gateway, Position(m.ledger, trader, 0), Moment(5.0, mark, mark)
    )
    assert m.ledger.lots[trader, 0] == 0
    assert {e.time for e in m.kinds("liquidation")} == {5.0}
    assert {e.mark_price for e in m.kinds("liquidation")} == {53_500.0}


def test_hyperliquid_cooldown_lives_in_the_style(market):
    m = market("hyperliquid")
    trader = hyperliquid_large_position(m)
    assert m.engine.style.in_cooldown(trader, 29.0)
    assert not m.engine.style.in_cooldown(trader, 30.0)
    assert not hasattr(m.engine, "last_slice")
    fresh = market("hyperliquid")  # another model: its own cooldowns
    assert not fresh.engine.style.in_cooldown(trader, 1.0)


@pytest.mark.parametrize("venue", ["binance", "bybit", "okx", "hyperliquid"])
def test_off_book_ablation_closes_at_the_mark_without_touching_the_book(market, venue):
    """``impact = "off_book"``: the liquidated position closes at the mark against an outside
    party; no order reaches the book, and money and open interest stay balanced."""
    m = market(venue, liquidation__impact="off_book")
    trader = m.trader(3_000.0, 500, leverage=10)  # lowest tier: a full close on every venue
    table = TierTable.preset(m.venue.tier_table)
    lp = lp_long(float(m.ledger.iso_margin[trader, 0]), 0.5, table=table)
    bids(m, lp - 200, lp - 400)
    depth = m.exchange.books[0].depth(-1, 5)
    messages = m.exchange.messages
    m.liquidate(lp - 1)
    liqs = m.kinds("liquidation")
    assert liqs and all(e.closed_by == "outside" for e in liqs)
    assert all(e.fill_price == pytest.approx(lp - 1) for e in liqs)
    assert m.ledger.lots[trader, 0] == 0
    assert m.exchange.books[0].depth(-1, 5) == depth
    assert m.exchange.messages == messages  # only the cancel of the trader's own (none) orders
    outside = m.engine.outside
    assert outside is not None and m.ledger.system[outside]
    assert m.ledger.lots[outside, 0] == 500
    assert not m.ledger.audit(m.mark)


def test_off_book_close_beyond_bankruptcy_goes_to_the_fund(market):
    """The same limit as the book: a mark beyond the bankruptcy price closes nothing outside,
    and the fund takes the position over at the bankruptcy price."""
    m = market("binance", liquidation__impact="off_book")
    trader = m.trader(6_000.0, 1_000, leverage=10)
    bp = m.ledger.bankruptcy_price(trader, 0, m.mark)
    m.liquidate(bp - 100)
    (liq,) = m.kinds("liquidation")
    assert liq.closed_by == "fund"
    # the fund then offloads its first slice off the book too, at the mark
    (offload,) = m.kinds("offload")
    assert offload.fill_price == pytest.approx(bp - 100)
    fund, outside = m.funds.account_of(0), m.engine.outside
    assert m.ledger.lots[fund, 0] + m.ledger.lots[outside, 0] == 1_000
    assert m.ledger.lots[outside, 0] == 100
