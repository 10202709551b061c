"""Market makers: ladders around a reference price, inventory skew, and pulling back in stress."""

import numpy as np
import pytest

from agents.market_maker import (
    HALF_SPREAD_BPS,
    INVENTORY_LIMIT_VALUE,
    LEVEL_SIZE_BTC_VALUE,
    LEVEL_STEP_BPS,
    LEVELS,
    SKEW_BPS,
    STRESS_VOL_MULTIPLE,
)
from model.orderbook import TimeInForce

FAIR = 61_000.0  # deliberately away from the 60,000 mark: makers quote around what they are given


def one_maker(build, desk_for, preset="calm"):
    """A model whose only trader with orders is one market maker (the book starts empty)."""
    model = build(preset, {"population.market_makers": 1}, bare=True)
    return model, model.population.makers[0], desk_for(model)


def quoted(maker, desk, fair, contract=0):
    """Requote around ``fair`` and return the maker's ladder on ``contract``."""
    maker.quote(np.asarray(fair, dtype=float))
    return desk.ladder(maker.account, contract)


def spread_bps(ladder, in_bps):
    return in_bps(ladder[-1][0][0], ladder[1][0][0])


def test_calm_maker_quotes_a_full_even_ladder_around_the_reference_price(build, desk_for, in_bps):
    model, maker, desk = one_maker(build, desk_for)
    ladder = quoted(maker, desk, [FAIR])
    bids, asks = ladder[1], ladder[-1]
    assert len(bids) == len(asks) == LEVELS
    best_bid, best_ask = bids[0][0], asks[0][0]
    assert best_bid < FAIR < best_ask
    # centred on the reference, not on the mark (60,000), at the calm half-spread (±20% jitter)
    assert abs(in_bps((best_bid + best_ask) / 2, FAIR)) < 0.1
    assert 0.8 * HALF_SPREAD_BPS - 0.1 < in_bps(best_ask, FAIR) < 1.2 * HALF_SPREAD_BPS + 0.1
    for side, levels in ((1, bids), (-1, asks)):
        gaps = np.diff([p for p, _ in levels]) * -side / FAIR * 1e4
        assert np.all(gaps > 0)  # each level further from the reference
        # the deep levels sit on the maker's grid, a level step apart; the first of them lies
        # half a step to one and a half steps behind the touch
        assert np.allclose(gaps[1:], LEVEL_STEP_BPS, atol=0.05)
        assert 0.5 * LEVEL_STEP_BPS - 0.05 <= gaps[0] <= 1.5 * LEVEL_STEP_BPS + 0.05
    sizes = {lots for _, lots in bids + asks}
    assert sizes == {model.exchange.to_lots(0, LEVEL_SIZE_BTC_VALUE / FAIR)}


def test_volatility_widens_the_spread_and_thins_the_levels(build, desk_for, in_bps):
    _, maker, desk = one_maker(build, desk_for)
    calm = quoted(maker, desk, [FAIR])
    maker.var = (2.0 * maker.calm_vol) ** 2  # twice calm volatility: wider, not yet stress
    wild = quoted(maker, desk, [FAIR])
    assert not maker.stressed[0]
    assert len(wild[1]) == len(wild[-1]) == LEVELS
    assert spread_bps(wild, in_bps) > 1.3 * spread_bps(calm, in_bps)
    assert wild[1][0][1] < 0.85 * calm[1][0][1]


def test_stress_volatility_pulls_the_ladder_to_a_few_wide_levels(build, desk_for, in_bps):
    _, maker, desk = one_maker(build, desk_for)
    calm = quoted(maker, desk, [FAIR])
    maker.var = (1.2 * STRESS_VOL_MULTIPLE * maker.calm_vol) ** 2
    stressed = quoted(maker, desk, [FAIR])
    assert maker.stressed[0]
    # a few levels only: the calm ladder was cancelled, not left behind the new quotes
    assert 1 <= len(stressed[1]) <= 3 and 1 <= len(stressed[-1]) <= 3
    assert spread_bps(stressed, in_bps) > 5 * spread_bps(calm, in_bps)
    assert stressed[1][0][1] < 0.5 * calm[1][0][1]
    # once volatility is calm again the full ladder comes back
    maker.var = maker.calm_vol**2
    assert len(quoted(maker, desk, [FAIR])[1]) == LEVELS


def test_observed_mark_moves_drive_realised_volatility_into_stress(build, desk_for):
    _, maker, desk = one_maker(build, desk_for)
    calm = float(maker.calm_vol[0])
    for _ in range(120):  # a flat mark: realised volatility decays below the calm level
        maker.observe(np.array([60_000.0]), 1.0)
    assert np.sqrt(maker.var[0]) < 0.5 * calm
    rng = np.random.default_rng(3)
    price = 60_000.0
    for _ in range(30):  # ±0.3% a second is far above a calm 0.7 bp/√s
        price *= 1.0 + rng.choice([-1.0, 1.0]) * 0.003
        maker.observe(np.array([price]), 1.0)
    assert np.sqrt(maker.var[0]) > STRESS_VOL_MULTIPLE * calm
    assert len(quoted(maker, desk, [price])[1]) <= 3


@pytest.mark.parametrize("side", [1, -1])
def test_inventory_skews_both_quotes_against_the_position(build, desk_for, in_bps, side):
    _, maker, desk = one_maker(build, desk_for)
    flat = quoted(maker, desk, [FAIR])
    qty = 25.0  # 1.5M USDT: half the inventory limit, far from any margin pressure
    desk.give(maker.account, side * qty, FAIR)
    desk.set_mark(FAIR)
    skewed = quoted(maker, desk, [FAIR])
    for s in (1, -1):  # a long maker sells more eagerly and buys less: every level moves down
        assert side * (skewed[s][0][0] - flat[s][0][0]) < 0
    half = spread_bps(flat, in_bps) / 2
    mid = (skewed[1][0][0] + skewed[-1][0][0]) / 2
    # the lean is SKEW_BPS at the inventory limit: absorbing flow moves a maker's prices
    expected = -side * qty * FAIR / INVENTORY_LIMIT_VALUE * max(half, SKEW_BPS)
    assert in_bps(mid, FAIR) == pytest.approx(expected, abs=0.2)


def test_margin_usage_widens_and_thins_quotes_then_pulls_them(build, desk_for, in_bps):
    # inventory on ETH uses margin without skewing the BTC quotes, so the BTC ladder shows the
    # margin lever alone
    model, maker, desk = one_maker(build, desk_for, "cross-margin-contagion")
    fair = [FAIR, 3_000.0]
    calm = quoted(maker, desk, fair)
    equity = float(model.risk.cross_equity[maker.account])
    eth = 0.3 * maker.leverage * equity / 3_000.0  # 30% of the maker's buying power
    desk.give(maker.account, eth, 3_000.0, contract=1)
    desk.set_mark(3_000.0, contract=1)
    assert maker.margin_usage() == pytest.approx(0.3, rel=0.01)
    busy = quoted(maker, desk, fair)
    assert len(busy[1]) == len(busy[-1]) == LEVELS
    assert spread_bps(busy, in_bps) == pytest.approx(1.6 * spread_bps(calm, in_bps), rel=0.1)
    assert busy[1][0][1] == pytest.approx(0.7 * calm[1][0][1], rel=0.01)
    assert abs(in_bps((busy[1][0][0] + busy[-1][0][0]) / 2, FAIR)) < 0.1  # no skew on BTC

    desk.give(maker.account, eth * 4 / 3, 3_000.0, contract=1)  # 70%: stress
    desk.set_mark(3_000.0, contract=1)
    pulled = quoted(maker, desk, fair)
    assert maker.stressed[0]
    assert 1 <= len(pulled[1]) <= 3 and 1 <= len(pulled[-1]) <= 3
    assert pulled[1][0][1] < 0.4 * calm[1][0][1]


@pytest.mark.parametrize("side", [1, -1])
def test_at_the_margin_limit_a_maker_quotes_only_the_side_that_reduces_inventory(
    build, desk_for, side
):
    model, maker, desk = one_maker(build, desk_for)
    calm = quoted(maker, desk, [FAIR])
    equity = float(model.risk.cross_equity[maker.account])
    qty = 0.95 * maker.leverage * equity / FAIR
    desk.give(maker.account, side * qty, FAIR)
    desk.set_mark(FAIR)
    assert maker.margin_usage() > 0.9
    ladder = quoted(maker, desk, [FAIR])
    assert ladder[side] == []  # nothing that would add to the position
    assert 1 <= len(ladder[-side]) <= 3
    assert ladder[-side][0][1] <= 0.1 * calm[1][0][1] + 1  # thinned to the floor


def test_a_maker_with_a_losing_inventory_is_liquidated(build, desk_for):
    model, maker, desk = one_maker(build, desk_for)
    desk.quote(59_900.0, 60_100.0, qty=1_000.0)  # liquidity for the liquidation orders
    wallet = float(model.ledger.wallet[maker.account])
    # 200 BTC bought so high that only 50,000 USDT of equity is left: below maintenance
    desk.give(maker.account, 200.0, 60_000.0 + (wallet - 50_000.0) / 200.0)
    desk.set_mark(60_000.0)
    assert model.risk.margin_ratio[maker.account] > 1.0
    model.step()
    hits = [e for e in model.events.of_kind("liquidation") if e.account == maker.account]
    assert hits
    assert abs(maker.position(0)) < model.exchange.to_lots(0, 200.0)


def test_requoting_sends_only_the_messages_that_change_the_ladder(build, desk_for):
    model, maker, desk = one_maker(build, desk_for)
    book = model.exchange.books[0]
    first = quoted(maker, desk, [FAIR])
    ids = set(book.orders_of(maker.account))
    sent = book.messages
    assert quoted(maker, desk, [FAIR]) == first  # nothing changed: no message at all
    assert book.messages == sent
    # fair moves by 0.3 bp: the two touches move (a cancel and a post each); the deep levels,
    # fixed on the grid, stay where they are with their ids (and so their queue priority),
    # except that one may roll from the near end of a side to its far end
    moved = quoted(maker, desk, [FAIR * (1 + 0.3e-4)])
    for side in (1, -1):
        before = {p for p, _ in first[side][1:]}
        assert len(before & {p for p, _ in moved[side][1:]}) >= LEVELS - 2
    kept = ids & set(book.orders_of(maker.account))
    assert len(kept) >= 2 * (LEVELS - 2)
    assert book.messages - sent <= 8


def test_a_partly_filled_level_is_topped_up_and_an_oversized_one_shrunk_in_place(build, desk_for):
    model, maker, desk = one_maker(build, desk_for)
    book = model.exchange.books[0]
    ex = model.exchange
    full = quoted(maker, desk, [FAIR])[1][0][1]
    taker = model.ledger.open_account(1e7, leverage=1)
    ex.submit(taker, 0, -1, full // 2, None, TimeInForce.IOC)  # half the best bid is taken
    assert quoted(maker, desk, [FAIR])[1][0][1] >= 0.9 * full  # replenished
    middle = quoted(maker, desk, [FAIR])[1][LEVELS // 2][0]
    deep = next(o for o in map(book.get, book.orders_of(maker.account)) if o.price * 0.1 == middle)
    maker.var = (1.5 * maker.calm_vol) ** 2  # more volatile: smaller levels
    quoted(maker, desk, [FAIR])
    smaller = book.get(deep.order_id)
    assert smaller is not None and smaller.qty < full  # the same order, shrunk
