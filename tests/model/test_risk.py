"""The risk check fires exactly at margin balance ≤ MM on the mark price (spec §2)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from model import risk
from model.ledger import Ledger
from model.margin import TierTable, liquidation_price
from model.risk import assess, assess_compiled, assess_numpy

TABLE = TierTable.preset("binance-btcusdt")


def market(isolated: bool, n_contracts: int = 1):
    ledger = Ledger([0.001] * n_contracts, [TABLE] * n_contracts)
    trader = ledger.open_account(6_000.0, isolated=isolated, leverage=10)
    other = ledger.open_account(1e7, leverage=10)
    ledger.apply_fill(trader, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(other, 0, -1_000, 60_000.0, 0.0)
    return ledger, trader


@pytest.mark.parametrize("isolated", [True, False])
def test_breach_exactly_at_the_liquidation_price(isolated):
    ledger, trader = market(isolated)
    margin = ledger.iso_margin[trader, 0] if isolated else ledger.wallet[trader]
    lp = liquidation_price(+1, 1.0, 60_000.0, float(margin), TABLE)
    above = assess(ledger, np.array([lp + 0.01]))
    at = assess(ledger, np.array([lp]))
    assert not above.any_breach
    assert at.any_breach
    hits = at.isolated_breaches[:, 0] if isolated else at.cross_breaches
    assert trader in hits
    assert at.margin_ratio[trader] == pytest.approx(1.0, rel=1e-6)
    assert above.margin_ratio[trader] < 1.0


def test_ratio_warning_count_and_exempt_system_accounts():
    ledger, trader = market(False)
    fund = ledger.open_account(0.0, system=True)
    ledger.apply_fill(fund, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(trader, 0, -1_000, 60_000.0, 0.0)  # trader flat; fund holds a long
    snap = assess(ledger, np.array([1_000.0]))
    assert fund not in snap.cross_breaches
    assert snap.margin_ratio[fund] == 0.0


def test_cross_loss_on_one_contract_puts_both_positions_at_risk():
    ledger = Ledger([0.001, 0.001], [TABLE, TABLE])
    trader = ledger.open_account(7_000.0, leverage=20)
    other = ledger.open_account(1e7, leverage=20)
    for c, price, lots in ((0, 60_000.0, 1_000), (1, 3_000.0, 3_000)):
        ledger.apply_fill(trader, c, lots, price, 0.0)
        ledger.apply_fill(other, c, -lots, price, 0.0)
    calm = assess(ledger, np.array([60_000.0, 3_000.0]))
    # only the second contract falls (−6,900 on 3 ETH): the account, and so its BTC long, breaches
    crash = assess(ledger, np.array([60_000.0, 700.0]))
    assert trader not in calm.cross_breaches
    assert trader in crash.cross_breaches
    assert crash.accounts_at_risk >= 1


@pytest.mark.parametrize("isolated", [True, False])
@pytest.mark.parametrize("side", [1, -1])
def test_the_liquidation_distance_is_the_mark_move_that_liquidates(isolated, side):
    """A move of the mark a little short of the distance, against the position, leaves it
    standing; a little beyond, it breaches (to first order: maintenance moves with the mark)."""
    ledger = Ledger([0.001], [TABLE])
    trader = ledger.open_account(6_000.0, isolated=isolated, leverage=10)
    other = ledger.open_account(1e7, leverage=10)
    ledger.apply_fill(trader, 0, side * 1_000, 60_000.0, 0.0)
    ledger.apply_fill(other, 0, -side * 1_000, 60_000.0, 0.0)
    mark = np.array([60_000.0])
    distance = risk.liquidation_distance(ledger, assess(ledger, mark), mark)
    assert 0.0 < distance < 0.1
    near = assess(ledger, mark * (1.0 - side * 0.98 * distance))
    beyond = assess(ledger, mark * (1.0 - side * 1.02 * distance))
    assert not near.any_breach
    assert beyond.any_breach


def test_the_liquidation_distance_ignores_system_accounts_and_flat_books():
    ledger = Ledger([0.001], [TABLE])
    assert risk.liquidation_distance(ledger, assess(ledger, np.array([1.0])), np.array([1.0])) == (
        np.inf
    )
    fund = ledger.open_account(0.0, system=True)
    other = ledger.open_account(1e7, leverage=10)
    ledger.apply_fill(fund, 0, 1_000, 60_000.0, 0.0)  # a fund with no margin is exempt
    ledger.apply_fill(other, 0, -1_000, 60_000.0, 0.0)
    mark = np.array([60_000.0])
    assert risk.liquidation_distance(ledger, assess(ledger, mark), mark) > 0.5


# ---- the compiled kernel gives the NumPy version's arrays, bit for bit ---------------------
TABLES = [TierTable.preset(name) for name in TierTable.available()]
SNAPSHOT_FIELDS = (
    "upnl",
    "maintenance",
    "iso_equity",
    "cross_equity",
    "cross_maintenance",
    "margin_ratio",
    "isolated_breaches",
    "cross_breaches",
)
# every kind of float a broken or extreme ledger could hold: signed zeros, NaN, ±inf
odd_floats = st.one_of(
    st.floats(-1e7, 1e7),
    st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1e300]),
)


def assert_identical(expected, got):
    """Every array of two snapshots the same: dtype, shape, NaN in the same places and every
    other value bit for bit (the sign of zero included, which np.array_equal would not see).
    A NaN's sign and payload are not compared: LLVM, like C compilers, may swap the operands
    of an addition, and x86 then passes on the other operand's NaN."""
    for field in SNAPSHOT_FIELDS:
        a, b = getattr(expected, field), getattr(got, field)
        assert a.dtype == b.dtype, field
        assert a.shape == b.shape, field
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), field
        if a.dtype.kind == "f":
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        assert a.tobytes() == b.tobytes(), field


@st.composite
def ledgers(draw, max_accounts: int = 12, max_contracts: int = 4, odd: bool = False):
    """A ledger with random positions, margins and modes (some system accounts), every array
    written directly, and a finite positive mark; ``odd`` lets the float arrays hold NaN, ±inf
    and signed zeros."""
    n_contracts = draw(st.integers(1, max_contracts))
    tables = draw(st.lists(st.sampled_from(TABLES), min_size=n_contracts, max_size=n_contracts))
    lot_sizes = draw(
        st.lists(
            st.sampled_from([0.001, 0.01, 0.1, 1.0]), min_size=n_contracts, max_size=n_contracts
        )
    )
    ledger = Ledger(lot_sizes, tables)
    n = draw(st.integers(1, max_accounts))
    for _ in range(n):
        ledger.open_account(0.0, system=draw(st.booleans()) and draw(st.booleans()))
    shape = (n, n_contracts)
    values = odd_floats if odd else st.floats(-1e7, 1e7)
    # up to 1e6 lots: notionals from 0 to beyond every table's top tier
    ledger.lots[:] = draw(hnp.arrays(np.int64, shape, elements=st.integers(-1_000_000, 1_000_000)))
    ledger.lots[draw(hnp.arrays(bool, shape))] = 0  # flat positions, often
    ledger.entry[:] = draw(hnp.arrays(float, shape, elements=values if odd else st.floats(1, 1e5)))
    ledger.wallet[:] = draw(hnp.arrays(float, n, elements=values))
    ledger.iso_margin[:] = draw(hnp.arrays(float, shape, elements=values))
    ledger.isolated[:] = draw(hnp.arrays(bool, shape))
    mark = draw(hnp.arrays(float, n_contracts, elements=st.floats(1e-3, 1e6)))
    return ledger, mark


@settings(max_examples=300, deadline=None)
@given(case=ledgers())
def test_the_compiled_check_matches_numpy_bit_for_bit(case):
    ledger, mark = case
    assert_identical(assess_numpy(ledger, mark), assess_compiled(ledger, mark))


@settings(max_examples=300, deadline=None)
@given(case=ledgers(odd=True))
def test_the_compiled_check_matches_numpy_on_nan_inf_and_signed_zeros(case):
    ledger, mark = case
    with np.errstate(all="ignore"):  # NumPy warns of inf − inf; the kernel says nothing
        expected = assess_numpy(ledger, mark)
    assert_identical(expected, assess_compiled(ledger, mark))


@settings(max_examples=30, deadline=None)
@given(case=ledgers(max_accounts=3, max_contracts=300))
def test_the_compiled_sums_follow_numpys_pairwise_order_on_many_contracts(case):
    # NumPy sums a row sequentially below 8 values, with eight accumulators up to 128 and in
    # halves beyond: rows this long take every branch of the kernel's sum
    ledger, mark = case
    assert_identical(assess_numpy(ledger, mark), assess_compiled(ledger, mark))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000])
def test_the_kernels_pairwise_sum_is_numpys(n):
    from model.risk_kernel import _pairwise_sum

    rng = np.random.default_rng(n)
    for _ in range(50):
        x = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 12, n)
        assert (0.0 + _pairwise_sum(x, 0, n)) == np.add.reduce(x)
        assert np.add.reduce(np.stack([x, x]), axis=1)[1] == 0.0 + _pairwise_sum(x, 0, n)


def test_the_compiled_check_matches_numpy_on_a_two_contract_market():
    ledger, _ = market(isolated=True, n_contracts=2)
    cross = ledger.open_account(8_000.0, leverage=20)
    other = ledger.open_account(1e7, leverage=20)
    ledger.apply_fill(cross, 1, -2_000, 3_000.0, 0.0)
    ledger.apply_fill(other, 1, 2_000, 3_000.0, 0.0)
    for mark in ([60_000.0, 3_000.0], [54_000.0, 3_300.0], [66_000.0, 2_500.0]):
        mark = np.array(mark)
        assert_identical(assess_numpy(ledger, mark), assess_compiled(ledger, mark))


def test_use_compiled_switches_assess_and_a_non_finite_mark_takes_numpy(monkeypatch):
    ledger, _ = market(isolated=False)
    monkeypatch.setattr(risk, "_COMPILED", False)
    risk.use_compiled(True)
    assert risk._COMPILED
    mark = np.array([55_000.0])
    assert_identical(assess_numpy(ledger, mark), assess(ledger, mark))
    with pytest.raises(ValueError, match="finite"):  # the NumPy version's checked lookup
        assess(ledger, np.array([np.nan]))
    risk.use_compiled(False)
    assert not risk._COMPILED


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_the_compiled_tier_lookup_matches_numpy_at_and_around_every_cap(table):
    # tiers are (floor, cap]: a notional exactly at a cap is in the lower tier
    caps = [float(c) for c in table.caps[:-1]]
    marks = sorted({m for c in caps for m in (np.nextafter(c, 0), c, np.nextafter(c, np.inf))})
    ledger = Ledger([1.0], [table])
    for isolated in (False, True):
        for side in (1, -1):
            a = ledger.open_account(1e6, isolated=isolated)
            ledger.lots[a, 0] = side  # one coin: the notional is the mark
            ledger.entry[a, 0] = caps[0]
    for m in marks:
        mark = np.array([m])
        assert_identical(assess_numpy(ledger, mark), assess_compiled(ledger, mark))


def test_a_run_with_the_compiled_check_writes_the_same_outputs(monkeypatch):
    from experiments.run.runner import run_scenario
    from model.scenario import load_scenario

    # two contracts, cross and isolated accounts, and a fall that liquidates and deleverages
    scenario = load_scenario(
        "cross-margin-contagion",
        {
            "duration": 120.0,
            "index.shocks.0.start": 20.0,
            "index.shocks.0.change_pct": -20.0,
            "prices.makers_know_value": True,
        },
    )
    monkeypatch.setattr(risk, "_COMPILED", False)
    expected = run_scenario(scenario, 3)
    risk.use_compiled(True)
    got = run_scenario(scenario, 3)
    assert expected.summary["liquidations_count"] > 0 and expected.summary["adl_count"] > 0
    for name in ("timeseries", "events", "cascades", "accounts"):
        a, b = getattr(expected, name), getattr(got, name)
        assert a.to_csv(float_format=repr) == b.to_csv(float_format=repr), name
