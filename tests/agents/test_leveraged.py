"""Leveraged directional traders and whales: leverage, margin mode, side and defence mix as set."""

import numpy as np
import pytest

from agents.builders import WHALE_LEVERAGE
from agents.leveraged import ENTRY_SIZE

N = 400  # binomial share ± 0.025 (1 sd): a setting ignored (0.5) misses the tolerance by far


def crowd(build, **settings):
    """A model with N leveraged traders and no whales, under ``population.<key>`` settings."""
    overrides = {"population.leveraged": N, "population.whales": 0}
    overrides |= {f"population.{key}": value for key, value in settings.items()}
    model = build("calm", overrides)
    return model, model.population.leveraged


def held(model, trader):
    """Signed lots of the trader's starting position on its home contract."""
    return int(model.ledger.lots[trader.account, trader.contract])


def test_leverage_follows_the_configured_lognormal(build):
    model, traders = crowd(build, **{"leverage.median": 8.0, "leverage.sigma": 0.5})
    leverage = np.array([t.leverage for t in traders])
    assert np.median(leverage) == pytest.approx(8.0, rel=0.1)
    assert np.std(np.log(leverage)) == pytest.approx(0.5, abs=0.06)
    # the leverage is used: each starting position is ENTRY_SIZE × leverage × deposit
    # (lot rounding costs small accounts up to a couple of percent)
    notional = np.array(
        [
            abs(held(model, t)) * model.ledger.lot[0] * model.ledger.entry[t.account, t.contract]
            for t in traders
        ]
    )
    deposit = np.array([t.capital - t.reserve for t in traders])  # what it brought, less reserve
    used = notional / (deposit * leverage)
    assert np.all((used > ENTRY_SIZE - 0.03) & (used <= ENTRY_SIZE + 1e-9))
    assert np.array_equal(model.ledger.leverage[[t.account for t in traders], 0], leverage)


def test_leverage_is_capped_not_redrawn_and_the_high_share_is_drawn_at_high_leverage(build):
    _, traders = crowd(
        build,
        max_leverage=15.0,
        **{
            "leverage.median": 20.0,
            "leverage.sigma": 0.8,
            "leverage.high_share": 0.3,
            "leverage.high_leverage": 12.0,
        },
    )
    leverage = np.array([t.leverage for t in traders])
    assert leverage.max() == 15.0
    at_high = np.mean(leverage == 12.0)
    assert at_high == pytest.approx(0.3, abs=0.06)
    # of the rest, P(lognormal(20, 0.8) > 15) ≈ 64% sit at the cap: clipped, not redrawn below it
    rest = leverage[leverage != 12.0]
    assert np.mean(rest == 15.0) == pytest.approx(0.64, abs=0.08)


@pytest.mark.parametrize("share", [0.2, 0.8])
def test_isolated_share_sets_the_margin_mode_mix(build, share):
    model, traders = crowd(build, isolated_share=share)
    ledger = model.ledger
    isolated = np.array([ledger.isolated[t.account, t.contract] for t in traders])
    assert isolated.mean() == pytest.approx(share, abs=0.07)
    # isolated positions carry their own margin; cross ones draw on the wallet
    margin = np.array([ledger.iso_margin[t.account, t.contract] for t in traders])
    assert np.all(margin[isolated] > 0)
    assert np.all(margin[~isolated] == 0)


def test_cross_traders_hold_every_contract_isolated_ones_only_their_home(build):
    model = build(
        "cross-margin-contagion",
        {"population.leveraged": 200, "population.whales": 0, "population.isolated_share": 0.5},
    )
    lots = model.ledger.lots
    for t in model.population.leveraged:
        open_ = np.flatnonzero(lots[t.account])
        if model.ledger.isolated[t.account, t.contract]:
            assert list(open_) == [t.contract]
        else:
            assert list(open_) == [0, 1]
            assert len(set(np.sign(lots[t.account]))) == 1  # one direction on both


@pytest.mark.parametrize("bias", [0.25, 0.8])
def test_long_bias_sets_the_long_share(build, bias):
    model, traders = crowd(build, long_bias=bias)
    sides = np.array([np.sign(held(model, t)) for t in traders])
    assert np.all(sides == [t.side for t in traders])
    assert np.mean(sides > 0) == pytest.approx(bias, abs=0.07)


def test_each_defence_is_a_per_trader_setting_with_the_configured_mix(build):
    model, traders = crowd(
        build,
        **{
            "defences.stop_loss_share": 0.3,
            "defences.stop_loss_pct": 0.04,
            "defences.topup_share": 0.6,
            "defences.reserve_pct": 0.25,
            "defences.reduce_share": 0.15,
        },
    )
    stops = np.array([t.stop_loss_pct is not None for t in traders])
    topups = np.array([t.topup for t in traders])
    reduces = np.array([t.reduce for t in traders])
    assert stops.mean() == pytest.approx(0.3, abs=0.07)
    assert topups.mean() == pytest.approx(0.6, abs=0.07)
    assert reduces.mean() == pytest.approx(0.15, abs=0.06)
    # drawn independently: the defences are not all given to the same traders
    assert 0.0 < np.mean(stops & topups) < stops.mean()
    for t in traders:
        entry = model.ledger.entry[t.account, t.contract]
        if t.stop_loss_pct is None:
            assert np.isnan(t.stop_price)
        else:  # a stop 4% from entry on the losing side
            assert t.stop_price == pytest.approx(entry * (1 - t.side * 0.04))
        # only top-up traders keep a reserve: 25% of what they brought, the rest deposited
        if t.topup:
            assert t.reserve == pytest.approx(0.25 * t.capital)
        else:
            assert t.reserve == 0.0
        assert t.capital == model.population.crowd.capital[t.slot]  # one store
    assert np.array_equal(model.population.crowd.topup, topups)
    assert np.array_equal(model.population.crowd.reduce, reduces)


def test_whales_hold_large_isolated_positions_above_the_first_tier(build):
    model = build("calm", {"population.whales": 3})
    ledger = model.ledger
    tiers = ledger.tiers[0]
    whales = [t for t in model.population.leveraged if t.kind == "whale"]
    others = [t for t in model.population.leveraged if t.kind != "whale"]
    assert len(whales) == 3
    notional = {
        t: abs(ledger.lots[t.account, 0]) * ledger.lot[0] * ledger.entry[t.account, 0]
        for t in model.population.leveraged
    }
    for whale in whales:
        assert whale.leverage == WHALE_LEVERAGE
        assert ledger.isolated[whale.account, 0]
        assert notional[whale] > tiers.tiers[0].cap
        assert tiers.index_of(notional[whale]) >= 1
        # the tier it sits in allows its leverage (it was not refused at entry)
        assert tiers.max_leverage(notional[whale]) >= whale.leverage
    assert min(notional[w] for w in whales) > 10 * np.median([notional[t] for t in others])
