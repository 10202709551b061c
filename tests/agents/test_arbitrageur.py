"""Basis arbitrageurs: trade the perpetual towards the index within their capital, then stop."""

import pytest

from agents.arbitrageur import CLIP_VALUE, THRESHOLD_BPS
from model.orderbook import OrderStatus

INDEX = 60_000.0  # the calm preset's initial index


def one_arbitrageur(build, desk_for):
    model = build("calm", {"population.arbitrageurs": 1}, bare=True)
    return model, model.population.arbitrageurs[0], desk_for(model)


@pytest.mark.parametrize("side", [1, -1])
def test_arbitrageur_trades_a_wide_basis_back_towards_the_index(build, desk_for, in_bps, side):
    # side +1: the perpetual is cheap (bid 60 bp, ask 20 bp under the index) and it buys;
    # side −1: the perpetual is rich and it sells
    model, arb, desk = one_arbitrageur(build, desk_for)
    near = INDEX * (1 - side * 20e-4)  # the side of the book it takes from
    far = INDEX * (1 - side * 60e-4)
    desk.rest(-side, near, 1.0)
    desk.rest(side, far, 1.0)
    assert model.index_price[0] == INDEX
    model.population.act(0.0)  # the population hands it the book's mid and the index
    assert arb.position(0) == side * model.exchange.to_lots(0, 1.0)
    # the rest of its clip waits half the threshold from the index for the next trader
    clip = model.exchange.to_lots(0, CLIP_VALUE / INDEX)
    resting = desk.ladder(arb.account)[side]
    assert len(resting) == 1
    price, lots = resting[0]
    assert lots == clip - model.exchange.to_lots(0, 1.0)
    assert in_bps(price, INDEX) == pytest.approx(-side * THRESHOLD_BPS / 2, abs=0.02)
    # next step the basis (now the last trade's) is still wide: the order is replaced, not
    # piled up
    model.population.act(1.0)
    assert len(desk.ladder(arb.account)[side]) == 1


@pytest.mark.parametrize("basis_bps", [0.5 * THRESHOLD_BPS, -0.5 * THRESHOLD_BPS])
def test_arbitrageur_leaves_a_basis_inside_the_band_alone(build, desk_for, basis_bps):
    _, arb, desk = one_arbitrageur(build, desk_for)
    desk.quote(INDEX * 0.999, INDEX * 1.001)
    arb.act([INDEX * (1 + basis_bps / 1e4)], [INDEX])
    assert arb.position(0) == 0
    assert desk.ladder(arb.account) == {1: [], -1: []}


def test_arbitrageur_unwinds_only_once_the_basis_has_closed(build, desk_for):
    _, arb, desk = one_arbitrageur(build, desk_for)
    desk.give(arb.account, -3.0, INDEX * 1.001)  # short from an earlier rich spell
    desk.quote(INDEX * 0.9999, INDEX * 1.0001)
    held = arb.position(0)
    arb.act([INDEX * (1 + 0.5 * THRESHOLD_BPS / 1e4)], [INDEX])  # narrowing: keep it
    assert arb.position(0) == held
    arb.act([INDEX * (1 + 0.1 * THRESHOLD_BPS / 1e4)], [INDEX])  # closed: buy back, no more
    assert arb.position(0) == 0
    assert desk.ladder(arb.account) == {1: [], -1: []}


def test_arbitrageur_stops_when_its_capital_is_used_up(build, desk_for, monkeypatch):
    model, arb, desk = one_arbitrageur(build, desk_for)
    results = []
    send = arb.limit

    def recorded(*args, **kwargs):
        results.append(send(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(arb, "limit", recorded)
    rich = INDEX * (1 + 3 * THRESHOLD_BPS / 1e4)
    positions = []
    for _ in range(100):  # a seller-less market: every step someone bids a clip 24 bp rich
        desk.rest(1, rich, CLIP_VALUE / INDEX)
        arb.act([rich], [INDEX])
        positions.append(arb.position(0))
    notional = abs(positions[-1]) * model.ledger.lot[0] * INDEX
    buying_power = arb.capital * arb.leverage
    assert buying_power - 2 * CLIP_VALUE < notional <= buying_power
    assert positions[-1] == positions[-10]  # it stopped, at its capital
    assert results[-1].status is OrderStatus.REJECTED
    assert "insufficient margin" in results[-1].reason
    # nobody else sells into the rich bids: the perpetual stays above the index
    book = model.exchange.books[0]
    assert model.exchange.price_of(0, book.best_bid()) == pytest.approx(rich)
    assert book.volume_resting(1) > 0
