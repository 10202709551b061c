"""Tier tables and the margin formula API, against hand-worked examples from the spec (§1–2)."""

import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model import margin
from model.margin import (
    Tier,
    TierTable,
    bankruptcy_price,
    bybit_bankruptcy_price,
    bybit_liquidation_price,
    deribit_initial_margin_rate,
    deribit_maintenance_margin_rate,
    hyperliquid_liquidation_price,
    liquidation_price,
    margin_balance,
)

BINANCE = TierTable.preset("binance-btcusdt")

# The published 2024 table (spec §1): maint amounts as Binance lists them.
PUBLISHED_CUM = [0, 50, 950, 11_450, 131_450, 481_450, 2_981_450, 14_481_450, 26_481_450,
                 41_481_450, 121_481_450, 421_481_450]  # fmt: skip


def test_docstring_examples_hold():
    assert doctest.testmod(margin).failed == 0


def test_presets_exist_and_are_data_files():
    assert {"binance-btcusdt", "binance-btcusdt-2021", "hyperliquid-btc"} <= set(
        TierTable.available()
    )
    with pytest.raises(ValueError, match="not found; available"):
        TierTable.preset("nope")


def test_recurrence_reproduces_binance_published_maint_amounts():
    derived = TierTable([Tier(t.floor, t.cap, t.max_leverage, t.mmr) for t in BINANCE.tiers])
    assert [t.maint_amount for t in derived.tiers] == pytest.approx(PUBLISHED_CUM)
    assert [t.maint_amount for t in BINANCE.tiers] == PUBLISHED_CUM


def test_given_maint_amount_is_used_as_is():
    table = TierTable([Tier(0, 100, 10, 0.01, 0.0), Tier(100, 200, 5, 0.02, 1.0)])
    assert table.tiers[1].maint_amount == 1.0
    assert table.maintenance_margin(150.0) == pytest.approx(150 * 0.02 - 1.0)


def test_a_maint_amount_that_makes_maintenance_margin_jump_at_a_boundary_is_refused():
    # MM just below 100 is 100 x 1% = 1; with amount 7 it would be 100 x 2% - 7 = -5 above it
    with pytest.raises(
        ValueError,
        match=r"tiers\[1\]\.maint_amount 7 makes maintenance margin "
        r"jump at the boundary 100 \(from 1 to -5\); allowed: 1",
    ):
        TierTable([Tier(0, 100, 10, 0.01, 0.0), Tier(100, 200, 5, 0.02, 7.0)])
    table = TierTable.preset("binance-btcusdt")
    for below, above in zip(table.tiers, table.tiers[1:], strict=False):
        edge = above.floor
        assert edge * below.mmr - below.maint_amount == pytest.approx(
            edge * above.mmr - above.maint_amount
        )


def test_2021_table_derives_amounts_by_recurrence():
    table = TierTable.preset("binance-btcusdt-2021")
    # 250k→1M tier: 50 + 250,000·(1% − 0.5%) = 1,300
    assert table.tier_for(500_000).maint_amount == pytest.approx(1_300)
    assert table.tier_for(500_000).max_leverage == 50


def test_hyperliquid_mmr_is_half_the_initial_margin_rate():
    table = TierTable.preset("hyperliquid-btc")
    for tier in table.tiers:
        assert tier.mmr == pytest.approx(0.5 / tier.max_leverage)
    assert table.max_leverage(1e8) == 40
    assert table.max_leverage(2e8) == 20


def test_tier_boundaries_are_floor_exclusive_cap_inclusive():
    assert BINANCE.tier_for(0).max_leverage == 125
    assert BINANCE.tier_for(50_000).max_leverage == 125
    assert BINANCE.tier_for(50_000.01).max_leverage == 100
    assert BINANCE.tier_for(5e9).max_leverage == 1  # beyond the last cap: the last tier


def test_maintenance_margin_hand_examples():
    assert BINANCE.maintenance_margin(10_000) == pytest.approx(40.0)  # 0.4%
    assert BINANCE.maintenance_margin(1_000_000) == pytest.approx(6_500 - 950)
    assert BINANCE.maintenance_margin(20_000_000) == pytest.approx(400_000 - 131_450)


@given(st.floats(0, 1.7e9))
def test_maintenance_margin_is_continuous_and_equals_slice_sum(notional):
    slices = sum(t.mmr * max(0.0, min(notional, t.cap) - t.floor) for t in BINANCE.tiers)
    assert BINANCE.maintenance_margin(notional) == pytest.approx(slices, rel=1e-9, abs=1e-6)


def test_maintenance_margin_vectorised_matches_scalar():
    notional = np.array([0.0, 1e4, 6e5, 2e7, 1.5e9])
    vec = BINANCE.maintenance_margin(notional)
    assert vec == pytest.approx([BINANCE.maintenance_margin(float(n)) for n in notional])


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "at least one"),
        ([Tier(10, 100, 10, 0.01)], "floor must be 0"),
        ([Tier(0, 100, 10, 0.01), Tier(120, 200, 5, 0.02)], "previous cap"),
        ([Tier(0, 100, 10, 0.2)], "mmr must be in"),
        ([Tier(0, 0, 10, 0.01)], "above the floor"),
        ([Tier(0, 100, 0.5, 0.01)], "max_leverage"),
        ([Tier(0, 100, 10, float("nan"))], "must be a number"),
    ],
)
def test_bad_tables_raise_clear_errors(tiers, message):
    with pytest.raises(ValueError, match=message):
        TierTable(tiers)


def test_liquidation_price_hand_example_long():
    # 1 BTC long at 60k, 6,000 USDT isolated. Tier 1 would give 54,216.87, whose notional is in
    # tier 2; tier 2 gives (6000 − 60000 + 50)/(0.005 − 1) = 54,221.11, consistent.
    lp = liquidation_price(+1, 1.0, 60_000.0, 6_000.0, BINANCE)
    assert lp == pytest.approx(53_950 / 0.995)
    tier1_answer = -54_000 / (0.004 - 1)
    assert lp != pytest.approx(tier1_answer)


def test_liquidation_price_hand_example_short():
    # 0.5 BTC short at 60k with 3,000 USDT: notional stays in tier 1.
    lp = liquidation_price(-1, 0.5, 60_000.0, 3_000.0, BINANCE)
    assert lp == pytest.approx((3_000 + 30_000) / (0.5 * 0.004 + 0.5))


@given(
    side=st.sampled_from([1, -1]),
    qty=st.floats(0.001, 20_000),
    entry=st.floats(100, 200_000),
    leverage=st.floats(1.1, 125),
    other_mm=st.floats(0, 1e5),
    other_upnl=st.floats(-1e5, 1e5),
)
def test_margin_balance_equals_maintenance_at_liquidation_price(
    side, qty, entry, leverage, other_mm, other_upnl
):
    wallet = qty * entry / leverage + other_mm
    lp = liquidation_price(side, qty, entry, wallet, BINANCE, other_mm, other_upnl)
    if lp == 0.0:
        # A long safe at every positive price, or a short liquidatable at every price: decide
        # from the margin balance at price 0 (where MM is 0).
        at_zero = wallet - other_mm + other_upnl - side * qty * entry
        assert side * at_zero >= -1e-6 * qty * entry
        return
    balance = margin_balance(side, qty, entry, wallet, lp) + other_upnl - other_mm
    mm = BINANCE.maintenance_margin(qty * lp)
    assert balance == pytest.approx(mm, rel=1e-7, abs=1e-6 * qty * entry)
    # and just beyond it the position is under water
    worse = lp * (1 - side * 1e-6)
    assert (
        margin_balance(side, qty, entry, wallet, worse) + other_upnl - other_mm
        <= BINANCE.maintenance_margin(qty * worse) + 1e-6 * qty * entry
    )


def test_liquidation_price_uses_tier_at_liquidation_not_entry():
    # A long of 8 BTC at 80k: entry notional 640k (tier 3), LP notional < 600k (tier 2).
    lp = liquidation_price(+1, 8.0, 80_000.0, 80_000.0, BINANCE)
    assert 8 * lp < 600_000
    tier = BINANCE.tier_for(8 * lp)
    assert lp == pytest.approx((80_000 - 8 * 80_000 + tier.maint_amount) / (8 * tier.mmr - 8))


def test_unliquidatable_long_returns_zero():
    assert liquidation_price(+1, 1.0, 60_000.0, 70_000.0, BINANCE) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"side": 0}, "side"),
        ({"qty": 0.0}, "qty"),
        ({"qty": float("nan")}, "qty"),
        ({"entry_price": -1.0}, "entry_price"),
        ({"wallet_balance": float("inf")}, "wallet_balance"),
    ],
)
def test_liquidation_price_rejects_bad_input(kwargs, message):
    args = {"side": 1, "qty": 1.0, "entry_price": 60_000.0, "wallet_balance": 6_000.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        liquidation_price(table=BINANCE, **args)


def test_bankruptcy_price_zeroes_the_margin_balance():
    bp = bankruptcy_price(+1, 2.0, 50_000.0, 10_000.0)
    assert bp == 45_000.0
    assert margin_balance(+1, 2.0, 50_000.0, 10_000.0, bp) == pytest.approx(0.0)
    assert bankruptcy_price(-1, 2.0, 50_000.0, 10_000.0) == 55_000.0
    assert bankruptcy_price(+1, 1.0, 50_000.0, 80_000.0) == 0.0


def test_bankruptcy_lies_beyond_liquidation():
    for side in (1, -1):
        lp = liquidation_price(side, 1.0, 60_000.0, 3_000.0, BINANCE)
        bp = bankruptcy_price(side, 1.0, 60_000.0, 3_000.0)
        assert side * (lp - bp) > 0


def test_bybit_formulas():
    assert bybit_bankruptcy_price(+1, 60_000.0, 10) == pytest.approx(54_000.0)
    assert bybit_bankruptcy_price(-1, 60_000.0, 10) == pytest.approx(66_000.0)
    # IM 6,000; MM at entry value 60k: 60000·0.5% − 50 = 250
    lp = bybit_liquidation_price(+1, 1.0, 60_000.0, 10, BINANCE)
    assert lp == pytest.approx(60_000 - 5_750)
    assert bybit_liquidation_price(+1, 1.0, 60_000.0, 10, BINANCE, extra_margin=1_000) == (
        pytest.approx(60_000 - 6_750)
    )


def test_hyperliquid_formula_matches_its_definition():
    # 1 BTC long at 60k, 40x max: l = 1/80; liq = P − avail/Q/(1 − l)
    liq = hyperliquid_liquidation_price(+1, 1.0, 60_000.0, 1_000.0, 40)
    assert liq == pytest.approx(60_000 - 1_000 / (1 - 1 / 80))
    short = hyperliquid_liquidation_price(-1, 1.0, 60_000.0, 1_000.0, 40)
    assert short == pytest.approx(60_000 + 1_000 / (1 + 1 / 80))


def test_hyperliquid_liquidation_is_where_equity_meets_mm():
    table = TierTable.preset("hyperliquid-btc")
    price, qty, margin_ = 60_000.0, 2.0, 5_000.0
    mm_rate = table.tiers[0].mmr
    available = margin_ - mm_rate * qty * price
    liq = hyperliquid_liquidation_price(+1, qty, price, available, 40)
    assert margin_ + qty * (liq - price) == pytest.approx(mm_rate * qty * liq)


def test_deribit_rates():
    assert deribit_initial_margin_rate(100) == pytest.approx(0.025)
    assert deribit_maintenance_margin_rate(100) == pytest.approx(0.015)
    assert math.isclose(deribit_maintenance_margin_rate(-100), 0.015)
