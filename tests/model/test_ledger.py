"""The ledger: fills on open, add, reduce, close and flip; margin modes; fees; funding; audit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.ledger import Ledger
from model.margin import TierTable

TABLE = TierTable.preset("binance-btcusdt")
LOT = 0.001  # BTC per lot


def make(n_contracts=1, **kw):
    return Ledger([LOT] * n_contracts, [TABLE] * n_contracts, **kw)


def test_open_add_reduce_close_and_flip_cross():
    ledger = make()
    a = ledger.open_account(10_000.0)
    ledger.apply_fill(a, 0, 1_000, 60_000.0, 0.0)  # long 1 BTC at 60k
    ledger.apply_fill(a, 0, 1_000, 62_000.0, 0.0)  # add 1 BTC at 62k
    assert ledger.lots[a, 0] == 2_000
    assert ledger.entry[a, 0] == pytest.approx(61_000.0)
    realised = ledger.apply_fill(a, 0, -500, 63_000.0, 0.0)  # sell 0.5 at 63k
    assert realised == pytest.approx(0.5 * 2_000)
    assert ledger.entry[a, 0] == pytest.approx(61_000.0)  # reduce keeps the entry
    assert ledger.wallet[a] == pytest.approx(11_000.0)
    realised = ledger.apply_fill(a, 0, -2_500, 60_000.0, 0.0)  # close 1.5, flip to short 1
    assert realised == pytest.approx(1.5 * -1_000)
    assert ledger.lots[a, 0] == -1_000
    assert ledger.entry[a, 0] == 60_000.0
    ledger.apply_fill(a, 0, 1_000, 59_000.0, 0.0)  # close the short with +1,000
    assert ledger.lots[a, 0] == 0
    assert ledger.entry[a, 0] == 0.0
    assert ledger.wallet[a] == pytest.approx(10_000 + 1_000 - 1_500 + 1_000)
    assert ledger.realised[a, 0] == pytest.approx(500.0)


def test_fees_go_to_the_exchange_and_money_is_conserved():
    ledger = make()
    a, b = ledger.open_account(5_000.0), ledger.open_account(5_000.0)
    ledger.apply_fill(a, 0, 100, 60_000.0, 0.0005)  # taker buys 0.1 BTC
    ledger.apply_fill(b, 0, -100, 60_000.0, 0.0002)  # maker sells
    assert ledger.wallet[a] == pytest.approx(5_000 - 6_000 * 0.0005)
    assert ledger.wallet[b] == pytest.approx(5_000 - 6_000 * 0.0002)
    assert ledger.fees_collected == pytest.approx(6_000 * 0.0007)
    assert ledger.audit(np.array([61_000.0])) == []


def test_isolated_margin_moves_in_on_open_and_back_on_close():
    ledger = make()
    a = ledger.open_account(10_000.0, isolated=True, leverage=10)
    b = ledger.open_account(100_000.0)
    ledger.apply_fill(a, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(b, 0, -1_000, 60_000.0, 0.0)
    assert ledger.iso_margin[a, 0] == pytest.approx(6_000.0)
    assert ledger.wallet[a] == pytest.approx(4_000.0)
    ledger.apply_fill(a, 0, -500, 61_000.0, 0.0)  # close half with +500
    ledger.apply_fill(b, 0, 500, 61_000.0, 0.0)
    assert ledger.iso_margin[a, 0] == pytest.approx(3_000.0)  # half the margin stays
    assert ledger.wallet[a] == pytest.approx(4_000 + 3_000 + 500)
    ledger.apply_fill(a, 0, -500, 61_000.0, 0.0)
    ledger.apply_fill(b, 0, 500, 61_000.0, 0.0)
    assert ledger.iso_margin[a, 0] == 0.0
    assert ledger.wallet[a] == pytest.approx(11_000.0)
    assert ledger.audit(np.array([61_000.0])) == []


def test_isolated_loss_never_reaches_the_wallet():
    ledger = make()
    a = ledger.open_account(10_000.0, isolated=True, leverage=10)
    b = ledger.open_account(100_000.0)
    ledger.apply_fill(a, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(b, 0, -1_000, 60_000.0, 0.0)
    ledger.apply_fill(a, 0, -1_000, 50_000.0, 0.0)  # −10,000 against a 6,000 margin
    ledger.apply_fill(b, 0, 1_000, 50_000.0, 0.0)
    assert ledger.wallet[a] == pytest.approx(4_000.0)
    assert ledger.iso_margin[a, 0] == pytest.approx(-4_000.0)  # the deficit, for the fund
    assert any("isolated positions below zero" in p for p in ledger.audit(np.array([5e4])))


def test_liquidation_fills_keep_isolated_margin_behind_the_position():
    ledger = make()
    a = ledger.open_account(10_000.0, isolated=True, leverage=10)
    b = ledger.open_account(100_000.0)
    ledger.apply_fill(a, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(b, 0, -1_000, 60_000.0, 0.0)
    ledger.apply_fill(a, 0, -500, 57_000.0, 0.0, release_margin=False)
    assert ledger.iso_margin[a, 0] == pytest.approx(6_000 - 1_500)
    assert ledger.wallet[a] == pytest.approx(4_000.0)


def test_cross_positions_share_the_wallet():
    ledger = make(2)
    a = ledger.open_account(10_000.0, leverage=10)
    ledger.apply_fill(a, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(a, 1, -1_000, 3_000.0, 0.0)
    mark = np.array([59_000.0, 3_100.0])
    # wallet + UPNL(−1,000 − 100) − IM(5,900 + 310)
    assert ledger.available_balance(a, mark) == pytest.approx(10_000 - 1_100 - 6_210)


def test_initial_margin_check_uses_the_tier_of_the_resulting_notional():
    ledger = make()
    a = ledger.open_account(1_000_000.0, leverage=100)
    mark = np.array([60_000.0])
    assert ledger.check_initial_margin(a, 0, 5_000, 60_000.0, mark) == ""  # 300k: tier 2, 100x
    reason = ledger.check_initial_margin(a, 0, 20_000, 60_000.0, mark)  # 1.2M: tier 3, 75x
    assert "exceeds the 75x allowed" in reason
    poor = ledger.open_account(100.0, leverage=10)
    assert "insufficient margin" in ledger.check_initial_margin(poor, 0, 100, 60_000.0, mark)
    ledger.apply_fill(poor, 0, 10, 60_000.0, 0.0)  # reducing is always allowed
    assert ledger.check_initial_margin(poor, 0, -10, 60_000.0, mark) == ""


def test_funding_is_peer_to_peer_and_sums_to_zero():
    ledger = make()
    long_ = ledger.open_account(10_000.0)
    short = ledger.open_account(10_000.0, isolated=True, leverage=5)
    ledger.apply_fill(long_, 0, 2_000, 60_000.0, 0.0)
    ledger.apply_fill(short, 0, -2_000, 60_000.0, 0.0)
    iso_before = ledger.iso_margin[short, 0]
    paid = ledger.settle_funding(0, 0.0001, 61_000.0)
    assert paid == pytest.approx(2 * 61_000 * 0.0001)
    assert ledger.wallet[long_] == pytest.approx(10_000 - 12.2)
    assert ledger.iso_margin[short, 0] == pytest.approx(iso_before + 12.2)
    assert ledger.funding_paid[0] == pytest.approx(0.0)
    assert ledger.audit(np.array([61_000.0])) == []


def test_arrays_grow_and_keep_their_contents():
    ledger = make(capacity=2)
    rows = [ledger.open_account(float(i)) for i in range(10)]
    assert rows == list(range(10))
    assert ledger.wallet.tolist() == [float(i) for i in range(10)]
    assert ledger.lots.shape == (10, 1)


def test_bad_input_is_rejected():
    ledger = make()
    with pytest.raises(ValueError, match="deposit"):
        ledger.open_account(-5.0)
    with pytest.raises(ValueError, match="leverage"):
        ledger.open_account(5.0, leverage=0.5)
    with pytest.raises(ValueError, match="account must be"):
        ledger.deposit(3, 1.0)


def test_audit_catches_open_interest_imbalance_and_nan():
    ledger = make()
    a = ledger.open_account(100.0)
    ledger.lots[a, 0] = 5
    ledger.wallet[a] = np.nan
    problems = ledger.audit(np.array([60_000.0]))
    assert any("open interest differ" in p for p in problems)
    assert any("NaN" in p for p in problems)


def test_margin_mode_change_only_while_flat():
    ledger = make()
    a = ledger.open_account(10_000.0)
    ledger.set_margin_mode(a, 0, True)
    ledger.apply_fill(a, 0, 10, 60_000.0, 0.0)
    with pytest.raises(ValueError, match="flat"):
        ledger.set_margin_mode(a, 0, False)
    assert ledger.add_isolated_margin(a, 0, 50.0) == pytest.approx(50.0)


trade = st.tuples(
    st.integers(0, 3),  # taker
    st.integers(0, 3),  # maker
    st.integers(-3_000, 3_000).filter(bool),  # signed lots for the taker
    st.floats(30_000, 90_000),  # price
)


@settings(max_examples=60, deadline=None)
@given(st.lists(trade, min_size=1, max_size=40), st.lists(st.booleans(), min_size=4, max_size=4))
def test_random_trades_conserve_money_and_open_interest(trades, modes):
    ledger = make()
    for isolated in modes:
        ledger.open_account(50_000.0, isolated=isolated, leverage=10)
    for taker, maker, lots, price in trades:
        if taker == maker:
            continue
        ledger.apply_fill(taker, 0, lots, price, 0.0005)
        ledger.apply_fill(maker, 0, -lots, price, -0.0001)
        mark = np.array([price * 1.01])
        assert abs(ledger.conservation_error(mark)) < 1e-9
        assert ledger.lots.sum() == 0


@pytest.mark.parametrize("side", [1, -1])
def test_a_pnl_haircut_moves_the_entry_and_conserves_money(side):
    ledger = make()
    a = ledger.open_account(10_000.0)
    b = ledger.open_account(10_000.0)
    fund = ledger.open_account(0.0, system=True)
    ledger.apply_fill(a, 0, side * 2_000, 60_000.0, 0.0)
    ledger.apply_fill(b, 0, -side * 2_000, 60_000.0, 0.0)
    mark = np.array([60_000.0 + side * 1_000.0])  # a is 2,000 in profit
    ledger.haircut_pnl(a, 0, 500.0, fund)
    assert ledger.upnl(mark)[a, 0] == pytest.approx(1_500.0)
    assert ledger.entry[a, 0] == pytest.approx(60_000.0 + side * 250.0)
    assert ledger.wallet[fund] == pytest.approx(500.0)
    assert ledger.lots[a, 0] == side * 2_000  # nothing closed
    assert ledger.audit(mark) == []


def test_closing_fee_of_an_isolated_position_comes_out_of_its_pool():
    """A full close pays its fee from the pool before the rest is released: no closed pool is
    left below zero for the insurance fund to cover (the fee was once charged after release)."""
    ledger = make()
    a = ledger.open_account(6_000.0, isolated=True, leverage=10)
    b = ledger.open_account(100_000.0)
    ledger.apply_fill(a, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(b, 0, -1_000, 60_000.0, 0.0)
    assert ledger.wallet[a] == pytest.approx(0.0)
    ledger.apply_fill(a, 0, -1_000, 59_000.0, 0.0005)  # −1,000 PnL, 29.5 fee
    ledger.apply_fill(b, 0, 1_000, 59_000.0, 0.0)
    assert ledger.iso_margin[a, 0] == 0.0
    assert ledger.wallet[a] == pytest.approx(6_000.0 - 1_000.0 - 29.5)
    assert ledger.fees_collected == pytest.approx(29.5)
    assert ledger.audit(np.array([59_000.0])) == []


def test_an_account_opens_with_one_leverage_per_contract_or_one_for_all():
    ledger = Ledger([0.001, 0.01], [TierTable.preset("binance-btcusdt")] * 2)
    both = ledger.open_account(1_000.0, leverage=[25.0, 10.0])
    every = ledger.open_account(1_000.0, leverage=5)
    assert ledger.leverage[both].tolist() == [25.0, 10.0]
    assert ledger.leverage[every].tolist() == [5.0, 5.0]
    with pytest.raises(ValueError, match="one per contract"):
        ledger.open_account(1_000.0, leverage=[25.0])
