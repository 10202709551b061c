"""Venue presets: every published style is available and loads."""

import pytest

from model.venue import Venue, available_venues


def test_presets_cover_every_liquidation_style():
    styles = {Venue.preset(name).liquidation.style for name in available_venues()}
    assert styles == {"binance", "bybit", "okx", "hyperliquid"}


@pytest.mark.parametrize(
    ("name", "adl_price"),
    [
        ("binance", "bankruptcy"),
        ("bybit", "bankruptcy"),
        ("bitmex", "bankruptcy"),
        ("okx", "mark"),
        ("hyperliquid", "index"),
    ],
)
def test_adl_price_follows_the_spec(name, adl_price):
    assert Venue.preset(name).adl.price == adl_price


def test_drawdown_trigger_on_okx_and_bybit_only():
    on = {n for n in available_venues() if Venue.preset(n).insurance.drawdown_trigger}
    assert on == {"okx", "bybit"}


def test_hyperliquid_has_no_clearance_fee_and_hourly_funding():
    v = Venue.preset("hyperliquid")
    assert v.liquidation.clearance_fee == 0.0
    assert v.funding.interval_seconds == 3600.0
    assert v.funding.payout_divisor == 8.0


def test_unknown_venue_is_a_clear_error():
    with pytest.raises(ValueError, match="binance"):
        Venue.preset("mtgox")
