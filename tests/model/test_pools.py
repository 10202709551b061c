"""Margin pools: one implementation of margin balances, used by every layer."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import pools
from model.risk import assess

position = st.tuples(
    st.sampled_from([1, -1]),
    st.integers(1, 3_000),  # lots
    st.floats(50_000.0, 70_000.0),  # entry
    st.booleans(),  # isolated
    st.integers(0, 1),  # contract
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    positions=st.lists(position, min_size=1, max_size=10),
    marks=st.tuples(st.floats(45_000.0, 75_000.0), st.floats(45_000.0, 75_000.0)),
)
def test_every_layer_reads_the_same_pools(market, positions, marks):
    m = market("binance", n_contracts=2)
    accounts = []
    for side, lots, entry, isolated, contract in positions:
        a = m.ledger.open_account(20_000.0, isolated=isolated, leverage=5)
        m.ledger.transfer_position(m.maker, a, contract, side * lots, entry)
        accounts.append((a, contract))
    mark = np.array(marks)
    p = pools.pools(m.ledger, mark)
    risk = assess(m.ledger, mark)
    np.testing.assert_allclose(risk.cross_equity, p.cross_equity)
    np.testing.assert_allclose(risk.iso_equity, p.iso_equity)
    for a, c in accounts:
        equity, mm = m.engine.pool_state(a, c, mark)
        if m.ledger.isolated[a, c]:
            assert equity == pytest.approx(m.ledger.iso_margin[a, c] + risk.upnl[a, c])
            assert mm == pytest.approx(risk.maintenance[a, c])
        else:
            assert equity == pytest.approx(risk.cross_equity[a])
            assert mm == pytest.approx(risk.cross_maintenance[a])
        # the bankruptcy price is where the pool's balance is exactly zero
        bp = m.ledger.bankruptcy_price(a, c, mark)
        at_bp = mark.copy()
        at_bp[c] = bp
        if bp > 0:
            zero = pools.pool_state(m.ledger, a, c, at_bp)[0]
            assert zero == pytest.approx(0.0, abs=1e-6 * 20_000.0)


def test_fund_equity_is_balance_plus_holdings_upnl(market):
    m = market("bybit", fund=5_000.0)
    fund = m.funds.account_of(0)
    m.ledger.transfer_position(m.maker, fund, 0, 1_000, 60_000.0)
    mark = np.array([57_000.0])
    assert m.funds.equity(0, mark) == pytest.approx(5_000.0 - 3_000.0)
    assert m.funds.equity(0, mark) == pytest.approx(pools.account_equity(m.ledger, fund, mark))


def test_available_balance_counts_cross_upnl_and_initial_margin(market):
    m = market("binance", n_contracts=2)
    a = m.ledger.open_account(10_000.0, leverage=10)
    m.ledger.transfer_position(m.maker, a, 0, 1_000, 60_000.0)  # 1 BTC long
    mark = np.array([61_000.0, np.nan])  # contract 1 has no mark yet
    assert m.ledger.available_balance(a, mark) == pytest.approx(10_000.0 + 1_000.0 - 6_100.0)
