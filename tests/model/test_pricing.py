"""Premium, funding and mark-price formulas (spec §6), and the stateful mark/funding pieces."""

import doctest
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model import pricing
from model.pricing import (
    BinanceMark,
    FundingAccumulator,
    HyperliquidMark,
    funding_rate,
    impact_notional,
    make_mark_price,
    mark_price_binance,
    mark_price_hyperliquid,
    premium_index,
)


def test_docstring_examples_hold():
    assert doctest.testmod(pricing).failed == 0


def test_premium_index_hand_examples():
    # perp above the index: impact bid 60,060 over a 60,000 index → +0.1%
    assert premium_index(60_060.0, 60_080.0, 60_000.0) == pytest.approx(0.001)
    # perp below: impact ask 59,940 → −0.1%
    assert premium_index(59_920.0, 59_940.0, 60_000.0) == pytest.approx(-0.001)
    # index inside the impact spread → 0
    assert premium_index(59_990.0, 60_010.0, 60_000.0) == 0.0
    with pytest.raises(ValueError, match="index"):
        premium_index(1.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("premium", "expected"),
    [
        (0.0, 0.0001),  # calm market: the interest rate
        (0.0003, 0.0001),  # I − P = −0.02% inside the clamp → I
        (0.001, 0.001 - 0.0005),  # clamp bites: P − 0.05%
        (-0.001, -0.001 + 0.0005),
        (0.00055, 0.00055 - 0.00045),
    ],
)
def test_funding_rate_formula(premium, expected):
    assert funding_rate(premium) == pytest.approx(expected)


def test_funding_rate_cap():
    assert funding_rate(0.02, cap=0.004) == pytest.approx(0.004)
    assert funding_rate(-0.02, cap=0.004) == pytest.approx(-0.004)


@given(st.floats(-0.05, 0.05))
def test_funding_rate_stays_within_clamp_of_premium(premium):
    rate = funding_rate(premium)
    assert abs(rate - premium) <= 0.0005 + 1e-15


def test_impact_notional_binance_tier1():
    assert impact_notional(1 / 125) == pytest.approx(25_000.0)


def test_mark_price_binance_is_median_of_three():
    # Price1 = 60000·(1 + 0.0001·0.5) = 60003; Price2 = 60000 + 10 = 60010; last = 59000
    mark = mark_price_binance(60_000.0, 0.0001, 14_400.0, 28_800.0, 10.0, 59_000.0)
    assert mark == pytest.approx(60_003.0)
    # a last price far from the index cannot drag the mark with it
    assert mark_price_binance(60_000.0, 0.0, 1.0, 8.0, 0.0, 1.0) == pytest.approx(60_000.0)


def test_mark_price_hyperliquid():
    assert mark_price_hyperliquid(100.0, 1.0, 100.0, 102.0, 104.0) == pytest.approx(101.5)
    assert mark_price_hyperliquid(100.0, 1.0, 100.0, 102.0, 104.0, 90.0) == pytest.approx(101.0)


def test_binance_mark_moving_average_window():
    mark = BinanceMark(window_seconds=3.0)
    # basis of +10 for three seconds, then 0: the average forgets the old samples
    for t in range(3):
        mark.update(float(t), 100.0, 105.0, 115.0, 200.0, 0.0, 10.0, 10.0)
    assert mark.update(2.5, 100.0, None, None, 200.0, 0.0, 10.0, 10.0) == pytest.approx(110.0)
    for t in range(3, 6):
        out = mark.update(float(t), 100.0, 95.0, 105.0, 200.0, 0.0, 10.0, 10.0)
    assert out == pytest.approx(100.0)


def test_hyperliquid_mark_ema_converges_to_basis():
    mark = HyperliquidMark(window_seconds=10.0)
    for t in range(200):
        out = mark.update(float(t), 100.0, 104.0, 106.0, 105.0, 0.0, 0.0, 1.0)
    assert mark.ema == pytest.approx(5.0)
    assert out == pytest.approx(105.0)


def test_last_and_index_marks_and_unknown_method():
    assert make_mark_price("last").update(0, 100.0, None, None, 90.0, 0, 0, 1) == 90.0
    assert make_mark_price("last").update(0, 100.0, None, None, None, 0, 0, 1) == 100.0
    assert make_mark_price("index").update(0, 100.0, 1.0, 2.0, 90.0, 0, 0, 1) == 100.0
    with pytest.raises(ValueError, match="mark method"):
        make_mark_price("vwap")


def test_funding_accumulator_time_weighted_average_and_schedule():
    acc = FundingAccumulator(interval_seconds=10.0)
    acc.sample(0.0, 5.0, 0.001)
    acc.sample(5.0, 5.0, 0.003)
    assert acc.average_premium == pytest.approx(0.002)
    assert not acc.due(9.0)
    assert acc.due(10.0)
    assert acc.time_to_funding(4.0) == pytest.approx(6.0)
    rate = acc.settle(10.0)
    assert rate == pytest.approx(funding_rate(0.002))
    assert acc.last_rate == rate
    assert acc.next_time == pytest.approx(20.0)
    assert acc.average_premium == 0.0


def test_funding_accumulator_hyperliquid_divisor_and_cap():
    acc = FundingAccumulator(3_600.0, payout_divisor=8.0, cap=0.04)
    acc.sample(0.0, 3_600.0, 0.0)
    assert acc.settle(3_600.0) == pytest.approx(0.0001 / 8)
    acc.sample(3_600.0, 3_600.0, 1.0)  # an absurd premium hits the 4%/h cap
    assert acc.settle(7_200.0) == pytest.approx(0.04)


def test_hyperliquid_mark_is_the_median_of_three_components():
    """Spec §6: median(oracle + EMA basis, median(bid, ask, last), other venues' perp mids),
    the last taken at the index. The EMA lags a book that jumps away from the index, so the
    median is the oracle + EMA component, not the mean of the two on-venue ones."""
    mark = HyperliquidMark(window_seconds=150.0)
    mark.update(0.0, 100.0, 99.9, 100.1, 100.0, 0.0, 0.0, 1.0)  # basis 0
    out = mark.update(1.0, 100.0, 119.0, 121.0, 120.0, 0.0, 0.0, 1.0)
    ema = 20.0 * (1.0 - math.exp(-1.0 / 150.0))
    assert mark.ema == pytest.approx(ema)
    assert out == pytest.approx(100.0 + ema)  # median(100.13, 120, 100)


def test_hyperliquid_mark_with_two_components_is_their_mean():
    mark = HyperliquidMark(window_seconds=150.0, external_index=False)
    mark.update(0.0, 100.0, 99.9, 100.1, 100.0, 0.0, 0.0, 1.0)
    out = mark.update(1.0, 100.0, 119.0, 121.0, 120.0, 0.0, 0.0, 1.0)
    assert out == pytest.approx((100.0 + mark.ema + 120.0) / 2.0)
    empty = HyperliquidMark(window_seconds=150.0)  # no book at all: oracle + EMA and the index
    assert empty.update(0.0, 100.0, None, None, None, 0.0, 0.0, 1.0) == pytest.approx(100.0)


def test_hyperliquid_venue_takes_other_venues_at_the_index():
    from model.venue import Venue

    assert Venue.preset("hyperliquid").mark.external == "index"
