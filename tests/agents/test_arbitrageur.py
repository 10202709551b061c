"""Basis arbitrageurs: trade the perpetual against spot with immediate-or-cancel orders, within
their capacity and coins, at their reaction delay; new capital arrives while they are full."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents.arbitrageur import CLIP_VALUE, FULL, QUOTE_LEVELS
from model.orderbook import TimeInForce

INDEX = 60_000.0  # the calm preset's initial index
EDGE = 8.0  # bps, the default entry edge


def one_arbitrageur(build, desk_for, **overrides):
    """One arbitrageur; without spot venues (the spot leg off the exchange) unless asked."""
    settings = {"population.arbitrageurs": 1, "index.mode": "exogenous", **overrides}
    model = build("calm", settings, bare=True)
    return model, model.population.arbitrageurs[0], desk_for(model)


def spot_model(build, desk_for, **overrides):
    """One arbitrageur and empty spot venues (no spot makers or traders)."""
    return one_arbitrageur(
        build,
        desk_for,
        **{
            "index.mode": "spot",
            "spot.noise": 0,
            "spot.value_traders": 0,
            "spot.makers_per_venue": 1,
            # makers told the value quote a known full size around the index
            "prices.makers_know_value": True,
            **overrides,
        },
    )


def standing(desk, arb, index=INDEX):
    """The arbitrageur's resting orders: a ladder of QUOTE_LEVELS standing quotes a side, one
    at each multiple of the edge from the index; returns the innermost bid and ask."""
    ladder = desk.ladder(arb.account)
    assert [len(ladder[1]), len(ladder[-1])] == [QUOTE_LEVELS, QUOTE_LEVELS]
    for side in (1, -1):
        offsets = [(price / index - 1.0) * 1e4 for price, _ in ladder[side]]
        wanted = [-side * k * EDGE for k in range(1, QUOTE_LEVELS + 1)]
        assert offsets == pytest.approx(wanted, abs=0.02)
    return ladder[1][0], ladder[-1][0]


@pytest.mark.parametrize("side", [1, -1])
def test_arbitrageur_takes_a_wide_basis_and_quotes_only_at_its_edge(
    act, build, desk_for, in_bps, side
):
    # side +1: the perpetual is offered 20 bp under the index and it buys; −1: bid 20 bp over
    model, arb, desk = one_arbitrageur(build, desk_for)
    near = INDEX * (1 - side * 20e-4)
    desk.rest(-side, near, 1.0)
    desk.rest(-side, INDEX * (1 - side * 2e-4), 50.0)  # inside the edge: never taken
    act(model, arb, 10.0)
    assert arb.position(0) == side * model.exchange.to_lots(0, 1.0)
    # what it took was immediate-or-cancel: what rests is its standing quotes at index ± edge,
    # behind the makers' touch, never a one-step order crossing them
    (bid, _), (ask, _) = standing(desk, arb)
    assert in_bps(bid, INDEX) == pytest.approx(-EDGE, abs=0.02)
    assert in_bps(ask, INDEX) == pytest.approx(EDGE, abs=0.02)
    # next look, unchanged index: the same quotes stay (they keep their place in the queue)
    before = set(model.exchange.books[0].orders_of(arb.account))
    act(model, arb, 11.0)
    assert set(model.exchange.books[0].orders_of(arb.account)) == before


@pytest.mark.parametrize("basis_bps", [0.5 * EDGE, -0.5 * EDGE])
def test_arbitrageur_leaves_a_basis_inside_the_edge_alone(act, build, desk_for, basis_bps):
    model, arb, desk = one_arbitrageur(build, desk_for)
    mid = INDEX * (1 + basis_bps / 1e4)
    desk.quote(mid * 0.99995, mid * 1.00005)
    act(model, arb, 10.0)
    assert arb.position(0) == 0
    standing(desk, arb)  # only its standing quotes rest


def test_a_liquidation_between_looks_fills_the_standing_bid_and_is_hedged_on_spot(
    act, build, desk_for
):
    model, arb, desk = spot_model(build, desk_for)
    spot = model.spot
    for maker in model.population.spot_makers:
        maker.quote(INDEX)
    act(model, arb, 10.0)
    (_, lots), _ = standing(desk, arb)
    coins = float(spot.coins[arb.spot_account, 0])
    # someone sells into the book between two looks: the standing bid takes it
    model.exchange.market(desk.account, 0, -1, lots, check_margin=False)
    assert arb.position(0) == lots and arb.hedged[0] == 0
    lot = model.ledger.lot[0]
    for t in range(11, 40):  # next looks: the spot leg follows, as deep as spot bids allow
        act(model, arb, float(t))
        sold = coins - float(spot.coins[arb.spot_account, 0])
        assert sold > 0 and arb.hedged[0] * lot == pytest.approx(sold)
        for maker in model.population.spot_makers:
            maker.quote(INDEX)
        if arb.hedged[0] >= arb.position(0):
            break
    assert arb.hedged[0] == arb.position(0)  # fully hedged within a few looks


def test_the_spot_leg_follows_a_fast_market_below_the_last_index(act, build, desk_for):
    # in a crash the index of the last look is already above every spot bid: the hedge sells at
    # the spot price there is, so the selling reaches spot (a leg limited off the stale index
    # never filled, and the unhedged position then shrank the standing bids to nothing)
    model, arb, desk = spot_model(build, desk_for)
    spot = model.spot
    now = INDEX * 0.997  # spot has fallen 30 bp since the index was published
    for maker in model.population.spot_makers:
        maker.quote(now)
    act(model, arb, 10.0)
    (_, lots), _ = standing(desk, arb)
    model.exchange.market(desk.account, 0, -1, lots, check_margin=False)
    assert arb.position(0) == lots and arb.hedged[0] == 0
    coins = float(spot.coins[arb.spot_account, 0])
    act(model, arb, 11.0)
    assert arb.hedged[0] > 0
    assert float(spot.coins[arb.spot_account, 0]) < coins


def test_arbitrageur_unwinds_only_once_the_basis_has_closed(act, build, desk_for):
    model, arb, desk = one_arbitrageur(build, desk_for)
    desk.give(arb.account, -3.0, INDEX * 1.001)  # short from an earlier rich spell
    held = arb.position(0)
    desk.quote(INDEX * (1 + 4e-4), INDEX * (1 + 5e-4))  # narrowing, still 4.5 bp: keep it
    act(model, arb, 10.0)
    assert arb.position(0) == held
    desk.clear()
    desk.quote(INDEX * 0.99999, INDEX * 1.00001)  # closed: buy back
    act(model, arb, 11.0)
    assert arb.position(0) == 0


def test_arbitrageur_acts_at_its_reaction_delay(act, build, desk_for):
    model, arb, desk = one_arbitrageur(build, desk_for, **{"population.arbitrage.delay": 5.0})
    desk.rest(-1, INDEX * 0.99, 100.0)  # a cheap perpetual, plenty of it
    acted = []
    for t in range(20):
        before = arb.position(0)
        act(model, arb, 10.0 + t)
        acted.append(arb.position(0) != before)
    assert sum(acted) == 4  # once every 5 seconds
    gaps = [
        b - a
        for a, b in zip(
            [t for t, x in enumerate(acted) if x],
            [t for t, x in enumerate(acted) if x][1:],
            strict=False,
        )
    ]
    assert gaps == [5, 5, 5]


def test_arbitrageur_stops_at_its_capacity_and_new_capital_arrives(act, build, desk_for):
    model, arb, desk = one_arbitrageur(
        build, desk_for, **{"population.arbitrage.replenish_rate": 0.0}
    )
    cheap = INDEX * (1 - 3 * EDGE / 1e4)
    for t in range(100):  # a buyer-less market: every step someone offers a clip 24 bp cheap
        desk.rest(-1, cheap, CLIP_VALUE / INDEX)
        act(model, arb, 10.0 + t)
    notional = abs(arb.position(0)) * model.ledger.lot[0] * INDEX
    assert arb.capacity - CLIP_VALUE < notional <= arb.capacity
    stuck = arb.position(0)
    for t in range(100, 110):
        desk.rest(-1, cheap, CLIP_VALUE / INDEX)
        act(model, arb, 10.0 + t)
    assert arb.position(0) == stuck  # full, and no capital arrives at rate 0
    # the same market with new capital arriving: capacity and position keep growing
    model, arb, desk = one_arbitrageur(
        build, desk_for, **{"population.arbitrage.replenish_rate": 50_000.0}
    )
    start = arb.capacity
    deposits = model.ledger.deposits
    for t in range(200):
        desk.rest(-1, cheap, CLIP_VALUE / INDEX)
        act(model, arb, 10.0 + t)
    assert arb.capacity > start
    assert abs(arb.position(0)) * model.ledger.lot[0] * INDEX > start
    assert model.ledger.deposits > deposits  # new money, counted as deposited


def test_arbitrageur_passes_perpetual_selling_on_to_spot(act, build, desk_for):
    """A cheap perpetual is bought and the same coins are sold on the spot venue with the best
    bid: the channel through which liquidation selling reaches the index."""
    model, arb, desk = spot_model(build, desk_for)
    spot = model.spot
    for maker in model.population.spot_makers:
        maker.quote(INDEX)
    best = spot.best(0, -1)
    assert best is not None
    _venue, bid = best
    desk.rest(-1, bid * (1 - 3 * EDGE / 1e4), 2.0)
    coins = float(spot.coins[arb.spot_account, 0])
    act(model, arb, 10.0)
    bought = arb.position(0) * model.ledger.lot[0]
    assert bought == pytest.approx(2.0)
    assert float(spot.coins[arb.spot_account, 0]) == pytest.approx(coins - 2.0)
    assert not spot.audit()


def test_arbitrageur_without_coins_cannot_hedge_and_does_not_buy(act, build, desk_for):
    model, arb, desk = spot_model(build, desk_for, **{"population.arbitrage.replenish_rate": 0.0})
    spot = model.spot
    for maker in model.population.spot_makers:
        maker.quote(INDEX)
    # it sells all its coins to someone first
    buyer = spot.open_account(1e12)
    coins = float(spot.coins[arb.spot_account, 0])
    lots = int(coins / spot.lot[0])
    spot.post(buyer, 0, 0, 1, lots, int(INDEX * 0.98 / spot.tick[0]))
    spot.send(arb.spot_account, 0, 0, -1, lots, None, TimeInForce.IOC)
    assert float(spot.coins[arb.spot_account, 0]) < spot.lot[0] * 1000
    desk.rest(-1, INDEX * 0.99, 50.0)
    act(model, arb, 10.0)
    assert (
        abs(arb.position(0)) * model.ledger.lot[0] <= float(spot.coins[arb.spot_account, 0]) + 1.0
    )


def test_an_arbitrageur_whose_spot_leg_cannot_fill_stops_adding_on_that_side(act, build, desk_for):
    # no spot maker quotes: what its standing bids buy cannot be sold on spot. It keeps buying
    # only until the unhedged lots reach what its standing quotes could be filled for at once,
    # then it quotes no bid (it used to go on buying, a naked position as large as its capacity)
    model, arb, desk = spot_model(build, desk_for, **{"population.arbitrage.replenish_rate": 0.0})
    act(model, arb, 10.0)
    (_, lots), _ = standing(desk, arb)
    limit = QUOTE_LEVELS * lots
    for t in range(11, 40):
        model.exchange.market(desk.account, 0, -1, lots, check_margin=False)
        act(model, arb, float(t))
    assert arb.hedged[0] == 0
    assert 0 < arb.position(0) <= limit
    ladder = desk.ladder(arb.account)
    assert not ladder[1]  # no bid while unhedged at the limit
    assert len(ladder[-1]) == QUOTE_LEVELS  # the side that cuts the position stays


def short_of_capital(arb):
    """The replenishment test as `Arbitrageur._replenish` made it with NumPy on its row before
    it was written in plain floats: the reference its decisions must equal."""
    mark = arb.view.mark
    prices = mark.tolist()
    used = arb.me.notional(mark)
    margin = arb.me.available_balance()
    short = used >= FULL * arb.capacity or margin < CLIP_VALUE / arb.leverage
    if arb.spot is not None:
        coins = arb.spot.all_coins(arb.spot_account)
        short = short or bool(
            arb.spot.cash(arb.spot_account) < 2 * CLIP_VALUE
            or any(coins[c] * prices[c] < 2 * CLIP_VALUE for c in range(len(prices)))
        )
    return short


@pytest.mark.parametrize(
    ("preset", "mode"),
    [("calm", "exogenous"), ("calm", "spot"), ("cross-margin-contagion", "spot")],
)
def test_replenishment_decides_as_the_numpy_check_did(build, preset, mode):
    model = build(
        preset,
        {
            "population.arbitrageurs": 1,
            "population.arbitrage.replenish_rate": 1_000.0,
            "index.mode": mode,
        },
        bare=True,
    )
    arb = model.population.arbitrageurs[0]
    ledger, n = model.ledger, model.ledger.n_contracts
    lot = ledger.lot.tolist()
    start = arb.capacity
    # each quantity as a multiple of the threshold it is tested against (short below 1, or
    # at 1 or above for the capacity used), so every combination of the four tests comes up
    slack = st.floats(0.5, 2.0)
    slacks = st.lists(slack, min_size=n, max_size=n)
    comfortable = {"used": 0.5, "margin": 1.5, "cash": 1.5, "coins": [1.5] * n}
    comfortable |= {"split": [1.0] * n, "sides": [1] * n, "moves": [0.0] * n}

    @settings(max_examples=200, deadline=None)
    @given(
        used=slack,
        split=st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n),
        sides=st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n),
        mark=st.lists(st.floats(100.0, 1e5), min_size=n, max_size=n),
        moves=st.lists(st.floats(-0.01, 0.01), min_size=n, max_size=n),  # entry off the mark
        margin=slack,
        cash=slack,
        coins=slacks,
    )
    @example(**comfortable, mark=[60_000.0] * n)
    @example(**{**comfortable, "used": 1.0}, mark=[60_000.0] * n)
    def check(used, split, sides, mark, moves, margin, cash, coins):
        arb.capacity = start
        weights = [w / (sum(split) or 1.0) for w in split]
        notional = [used * FULL * start * w for w in weights]
        lots = [
            s * round(v / (lot[c] * mark[c]))
            for c, (s, v) in enumerate(zip(sides, notional, strict=True))
        ]
        entry = [m * (1.0 + d) for m, d in zip(mark, moves, strict=True)]
        ledger.lots[arb.account] = lots
        ledger.entry[arb.account] = entry
        # a wallet that leaves ``margin`` times one clip's margin available
        leverage = ledger.leverage[arb.account].tolist()
        held = sum(
            abs(q * lot[c]) * mark[c] / leverage[c] - q * lot[c] * (mark[c] - entry[c])
            for c, q in enumerate(lots)
        )
        ledger.wallet[arb.account] = held + margin * CLIP_VALUE / arb.leverage
        model.market.mark[:] = mark
        if model.spot is not None:
            model.spot.cash[arb.spot_account] = cash * 2 * CLIP_VALUE
            model.spot.coins[arb.spot_account] = [
                v * 2 * CLIP_VALUE / m for v, m in zip(coins, mark, strict=True)
            ]
        # the plain-float notional is the view's NumPy one, bit for bit
        assert arb._notional(model.market.mark.tolist()) == arb.me.notional(model.market.mark)
        expected = short_of_capital(arb)
        seen.add(expected)
        arb._replenish()
        assert (arb.capacity > start) == expected

    seen = set()
    check()
    assert seen == {True, False}  # the explicit examples: comfortable, then full


@pytest.mark.parametrize("n", range(1, 8))
def test_numpy_sums_fewer_than_eight_values_in_order(n):
    # what `Arbitrageur._notional` relies on to give the view's float: np.add.reduce of a
    # (1, n) row, n < 8, is 0.0 + (((−0.0 + x0) + x1) + …)
    rng = np.random.default_rng(n)
    for _ in range(2_000):
        row = np.abs(rng.standard_normal((1, n)) * 10.0 ** rng.integers(-3, 9, (1, n)))
        total = -0.0
        for x in row[0].tolist():
            total += x
        assert abs(row).sum() == 0.0 + total
