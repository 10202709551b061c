"""The index from spot venues: weighted average, outliers beyond 5% of the median get weight 0."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.index_price import composite_index


def test_weighted_average_of_the_sources():
    index, used = composite_index([100.0, 101.0, 102.0], [1.0, 1.0, 2.0], previous=0.0)
    assert index == pytest.approx((100 + 101 + 2 * 102) / 4)
    assert used == pytest.approx([0.25, 0.25, 0.5])


def test_a_source_more_than_five_percent_from_the_median_gets_weight_zero():
    index, used = composite_index([100.0, 100.5, 94.0], [1.0, 1.0, 1.0], previous=0.0)
    assert used[2] == 0.0
    assert index == pytest.approx(100.25)
    # exactly 5% away still counts
    index, used = composite_index([100.0, 100.0, 105.0], [1.0, 1.0, 1.0], previous=0.0)
    assert used[2] > 0


def test_a_source_without_a_price_gets_weight_zero_and_none_keeps_the_last_index():
    index, used = composite_index([None, 100.0, 102.0], [1.0, 1.0, 1.0], previous=0.0)
    assert used[0] == 0.0 and index == pytest.approx(101.0)
    index, used = composite_index([None, None], [1.0, 1.0], previous=99.0)
    assert index == 99.0 and used == [0.0, 0.0]


@pytest.mark.parametrize(
    ("prices", "weights"),
    [([1.0, 2.0], [1.0]), ([1.0], [-1.0]), ([1.0], [0.0]), ([1.0], [math.nan])],
)
def test_bad_weights_are_refused(prices, weights):
    with pytest.raises(ValueError):
        composite_index(prices, weights, previous=1.0)


@given(
    st.lists(st.floats(50.0, 150.0), min_size=1, max_size=8),
    st.floats(0.001, 0.5),
)
def test_index_lies_within_the_counted_sources(prices, band):
    index, used = composite_index(prices, [1.0] * len(prices), previous=-1.0, band=band)
    counted = [p for p, w in zip(prices, used, strict=True) if w > 0]
    if len(prices) % 2:
        assert counted  # with an odd count the median is a source, and it always counts
    if not counted:  # an even count split far on both sides of its median: no source counts
        assert index == -1.0
        return
    assert min(counted) - 1e-9 <= index <= max(counted) + 1e-9
    assert sum(used) == pytest.approx(1.0)
