"""The leveraged traders' defences: stop-loss on the last price, margin top-up, size cut."""

import numpy as np
import pytest

from agents.leveraged import REDUCE_COOLDOWN, TOPUP_SHARE
from model.scenario import load_scenario


def one_trader(build, desk_for, side=1, isolated=True, **defences):
    """A bare model with one 10x leveraged trader (no whales, makers or noise) and a desk."""
    overrides = {
        "population.leveraged": 1,
        "population.long_bias": 1.0 if side > 0 else 0.0,
        "population.isolated_share": 1.0 if isolated else 0.0,
        "population.leverage.median": 10.0,
        "population.leverage.sigma": 0.0,
    }
    overrides |= {f"population.defences.{key}": value for key, value in defences.items()}
    model = build("calm", overrides, bare=True)
    trader = model.population.leveraged[0]
    assert trader.side == side
    return model, trader, desk_for(model)


@pytest.mark.parametrize("side", [1, -1])
def test_stop_loss_triggers_on_last_price_not_mark(build, desk_for, side):
    model, trader, desk = one_trader(build, desk_for, side, stop_loss_share=1.0)
    pop = model.population
    entry = float(model.ledger.entry[trader.account, 0])
    stop = trader.stop_price
    assert stop == pytest.approx(entry * (1 - side * 0.05))
    held = trader.position(0)

    # the mark is well through the stop, but the last trade is not: the stop holds
    desk.set_mark(stop * (1 - side * 0.03))
    desk.print_trade(entry)
    desk.quote(entry - 50.0, entry + 50.0)  # a stop that fired would find a fill
    pop.trade_perp(0.0)
    assert trader.position(0) == held and not trader.stopped

    # a trade through the stop with the mark back at entry: it fires and closes at market
    desk.set_mark(entry)
    through = stop * (1 - side * 0.002)
    desk.clear()
    desk.quote(through - 50.0, through + 50.0)  # someone to take the position
    desk.print_trade(through)
    pop.trade_perp(1.0)
    assert trader.stopped
    assert trader.position(0) == 0
    assert np.isnan(pop.crowd.stop[0])


@pytest.mark.parametrize("side", [1, -1])
def test_stop_loss_fills_at_market_worse_than_the_stop_in_a_thin_book(build, desk_for, side):
    model, trader, desk = one_trader(build, desk_for, side, stop_loss_share=1.0)
    stop = trader.stop_price
    entry = float(model.ledger.entry[trader.account, 0])
    qty = abs(trader.position(0)) * model.ledger.lot[0]
    # a thin book: a sliver at the stop, the rest 3% beyond it
    desk.rest(side, stop, 0.1 * qty)
    desk.rest(side, stop * (1 - side * 0.03), 10 * qty)
    model.population.defend(0.0, np.array([stop]))
    assert trader.position(0) == 0
    realised = float(model.ledger.realised[trader.account, 0])
    fill = entry + realised / (side * qty)  # average exit price
    assert side * (fill - stop) < -0.02 * stop  # slipped well past the stop
    # it fires once: the next check on the same price sends nothing
    before = model.exchange.books[0].volume_resting(side)
    model.population.defend(1.0, np.array([stop]))
    assert model.exchange.books[0].volume_resting(side) == before


@pytest.mark.parametrize("isolated", [True, False])
def test_top_up_moves_half_the_reserve_into_margin_past_the_threshold(build, desk_for, isolated):
    model, trader, desk = one_trader(
        build, desk_for, isolated=isolated, topup_share=1.0, topup_threshold=0.8
    )
    ledger, acc, pop = model.ledger, trader.account, model.population
    reserve = trader.reserve
    assert reserve > 0

    desk.set_mark(desk.price_for_ratio(acc, 0.7))  # below the threshold: nothing happens
    pop.defend(0.0, model.mark.copy())
    assert trader.reserve == reserve

    price = desk.price_for_ratio(acc, 0.9)
    desk.set_mark(price)
    wallet, margin, deposits = ledger.wallet[acc], ledger.iso_margin[acc, 0], ledger.deposits
    pop.defend(1.0, model.mark.copy())
    paid = reserve * TOPUP_SHARE
    assert trader.reserve == pytest.approx(reserve - paid)
    assert ledger.deposits == pytest.approx(deposits + paid)  # new money, from off the exchange
    if isolated:  # into the position's own margin; the wallet only passes it through
        assert ledger.iso_margin[acc, 0] == pytest.approx(margin + paid)
        assert ledger.wallet[acc] == pytest.approx(wallet)
    else:  # into the wallet that backs every cross position
        assert ledger.wallet[acc] == pytest.approx(wallet + paid)
        assert ledger.iso_margin[acc, 0] == 0.0
    assert desk.ratio_at(acc, price) < 0.8  # the position is safer for it


@pytest.mark.parametrize("isolated", [True, False])
def test_size_cut_halves_the_position_past_the_threshold_with_a_cooldown(build, desk_for, isolated):
    model, trader, desk = one_trader(
        build, desk_for, isolated=isolated, reduce_share=1.0, reduce_threshold=0.7
    )
    pop, acc = model.population, trader.account
    lots = trader.position(0)

    price = desk.price_for_ratio(acc, 0.6)
    desk.rest(1, price, 1_000.0)  # bids a cut could fill against
    desk.set_mark(price)
    pop.defend(0.0, model.mark.copy())
    assert trader.position(0) == lots  # below the threshold

    price = desk.price_for_ratio(acc, 0.8)
    desk.rest(1, price, 1_000.0)
    desk.set_mark(price)
    pop.defend(100.0, model.mark.copy())
    assert trader.position(0) == lots - lots // 2

    # past the threshold again (a cross cut halves the ratio, so the price moves on), but
    # inside the cooldown: no second cut yet
    price = desk.price_for_ratio(acc, 0.8)
    desk.rest(1, price, 1_000.0)
    desk.set_mark(price)
    pop.defend(100.0 + REDUCE_COOLDOWN / 2, model.mark.copy())
    assert trader.position(0) == lots - lots // 2
    pop.defend(100.0 + REDUCE_COOLDOWN, model.mark.copy())
    half = lots - lots // 2
    assert trader.position(0) == half - half // 2


def test_defences_fire_in_a_crash_run(build):
    # every leveraged trader has every defence; a 7% drop must set each of them off somewhere
    model = build(
        "flash-crash",
        {
            "population.leveraged": 80,
            "duration": 700.0,
            "index.shocks": [s.model_dump() for s in load_scenario("flash-crash").index.shocks],
            "population.defences.stop_loss_share": 1.0,
            "population.defences.topup_share": 1.0,
            "population.defences.reduce_share": 1.0,
            "prices.makers_know_value": True,  # the scripted 7% fall, whatever 80 traders do
        },
    )
    traders = model.population.leveraged
    reserves = [t.reserve for t in traders]
    model.run()
    assert any(t.stopped for t in traders)
    assert any(t.reserve < r for t, r in zip(traders, reserves, strict=True))
    assert np.isfinite(model.population.crowd.last_reduce).any()


def test_a_trader_flipped_by_herding_is_watched_on_its_new_side_and_stop(
    build, desk_for, monkeypatch
):
    monkeypatch.setattr("agents.herding.FLIP_SHARE", 1.0)  # every panicking neighbour flips
    model = build(
        "calm",
        {
            "population.leveraged": 8,
            "population.long_bias": 1.0,
            "population.isolated_share": 1.0,
            "population.defences.stop_loss_share": 1.0,
            "population.herding.strength": 1.0,
        },
        bare=True,
    )
    pop, desk = model.population, desk_for(model)
    desk.quote(59_990.0, 60_010.0)
    source = pop.leveraged[0]
    pop.react([source.account])  # the source's account was liquidated this step
    flipped = [i for i, t in enumerate(pop.leveraged) if t.side < 0]
    assert flipped  # the source's neighbours panicked and are short now
    for i in flipped:
        trader = pop.leveraged[i]
        assert trader.position(0) < 0 and trader.stop_price > 60_000.0
        assert pop.crowd.side[i] == -1 and pop.crowd.stop[i] == trader.stop_price

    # a 10% fall goes through every long stop but is a gain for the shorts: they stay in
    desk.clear()
    desk.quote(53_990.0, 54_010.0)
    pop.defend(1.0, np.array([54_000.0]))
    assert all(pop.leveraged[i].position(0) < 0 for i in flipped)
    # a rise through their own (short) stops takes them out
    high = max(pop.leveraged[i].stop_price for i in flipped) * 1.001
    desk.quote(high - 10.0, high + 10.0)
    pop.defend(2.0, np.array([high]))
    assert all(pop.leveraged[i].position(0) == 0 for i in flipped)


def test_a_stop_the_book_cannot_fill_stays_armed_for_the_rest(build, desk_for):
    model, trader, desk = one_trader(build, desk_for, 1, stop_loss_share=1.0)
    stop = trader.stop_price
    held = trader.position(0)
    qty = held * model.ledger.lot[0]
    desk.rest(1, stop, 0.4 * qty)  # the only bid takes 40% of the position
    pop = model.population
    pop.defend(0.0, np.array([stop]))
    assert 0 < trader.position(0) < held  # partly closed...
    assert np.isfinite(pop.crowd.stop[0]) and pop.crowd.stop[0] == stop  # ...and still watched
    desk.rest(1, stop * 0.99, 2 * qty)  # liquidity returns: the stop fires again
    pop.defend(1.0, np.array([stop]))
    assert trader.position(0) == 0
    assert np.isnan(pop.crowd.stop[0])
