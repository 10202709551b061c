"""Basis arbitrageurs: buy the cheap leg, sell the rich one, between the perpetual and spot.

An arbitrageur holds a perpetual account and a spot account. Every ``delay`` seconds (its
reaction time) it compares the perpetual's best quotes with the best quotes on the spot venues;
when the perpetual is cheaper than spot by more than its entry edge, it buys the perpetual with
an immediate-or-cancel order limited at that edge and sells the same amount of coins on the
spot venue with the best bid (and the other way round when the perpetual is rich). So a
liquidation that knocks the perpetual down is bought by arbitrageurs, who pass the selling on to
spot, and the index falls with the perpetual: the channel of the feedback loop from the
derivative to the price that marks it. Between looks it keeps standing quotes on the perpetual
at the index ± its edge (amended only when they move), so a liquidation order that arrives
between two looks finds its bid; what fills is hedged on spot at the next look, at the spot
price there is then. The standing quotes are a short ladder, one clip at each multiple of the edge,
because the wider the basis the more an arbitrageur will take. When the basis
is back inside a quarter of the edge it unwinds the pair.

Its position is bounded by its capacity (USDT of perpetual notional) and its spot leg by the
coins and cash it holds: once both are used up the perpetual can decouple from the index, the
gap the seed article describes. While it is at its limit, new capital arrives at
``replenish_rate`` USDT of capacity per second (margin to the perpetual account, coins and cash
to the spot account), so the basis converges after a crash. It lets at most its standing
quotes' worth of perpetual stand without the spot leg: beyond that it adds nothing on that side
(no quote, no new pair, no unwind that would widen it) until the spot legs are in place, as a
thin spot book may take them a few lots at a time.

Without spot venues (``index.mode = "exogenous"``) the spot leg is held off the exchange and the
index stands in for the spot quotes.
"""

from __future__ import annotations

import mesa

from agents.quoting import amend
from agents.trader import Trader
from model.gateway import MarketAccess, OrderGateway, TimeInForce
from model.view import MarketView

CLIP_VALUE = 200_000.0  # USDT per trade, and per level of the standing quotes
QUOTE_LEVELS = 4  # standing quotes at 1, 2, ... QUOTE_LEVELS times the edge from the index
FULL = 0.95  # share of capacity in use at which new capital starts to arrive
MAX_REPLENISH = 10.0  # capacity never grows beyond this multiple of the starting one


class Arbitrageur(Trader):
    """Trades the basis between the perpetual and spot within its capacity.

    Args:
        model: the Mesa model.
        access: the market's view and account opening.
        capital: USDT of margin on the perpetual account.
        leverage: capacity is ``capital × leverage`` of perpetual notional.
        edge_bps: basis beyond which it trades.
        delay: seconds between two looks at the basis (its reaction time).
        replenish_rate: USDT of capacity per second that arrives while it is at its limit.
        prices: starting price of every underlying (to size the spot leg).
    """

    kind = "arbitrageur"
    provides_liquidity = True

    def __init__(
        self,
        model: mesa.Model,
        access: MarketAccess,
        capital: float,
        leverage: float,
        edge_bps: float,
        delay: float,
        replenish_rate: float,
        prices: list[float],
    ) -> None:
        super().__init__(model, access, capital, leverage)
        view = access.view
        self.capacity = capital * self.leverage * 0.8
        self.capacity_start = self.capacity
        self.edge = edge_bps / 1e4
        self.delay = delay
        self.replenish_rate = replenish_rate
        self.spot = view.spot
        self.prices = prices
        # coins to sell and cash to buy with, for a capacity's worth of trades on each side
        self.spot_gateway = (
            access.open_spot_account(self.capacity, [self.capacity / p for p in prices])
            if view.spot is not None
            else None
        )
        self.spot_account = -1 if self.spot_gateway is None else self.spot_gateway.account
        self.next_look = float(model.rng.uniform(0.0, delay)) if delay > 0 else 0.0
        n = view.n_contracts
        self.hedged = [0] * n  # perpetual lots whose spot leg is in place
        # resting quotes by contract and side: tick -> order id
        self.quotes: list[dict[int, dict[int, int]]] = [{1: {}, -1: {}} for _ in range(n)]
        # each contract's price-to-tick conversion for the quote ladder (`Exchange.to_ticks`)
        self._to_ticks = [view.tick_rounder(c) for c in range(n)]
        self._ports = [self.gateway.quotes(c) for c in range(n)]
        self._lot = list(view.lot)

    # ---- the step ------------------------------------------------------------------------------
    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """Look at the basis of every contract if it is time, and trade it."""
        t = view.time
        if t + 1e-9 < self.next_look:
            return
        index = view.index.tolist()
        self.next_look = t + self.delay
        for c in range(len(index)):
            self._hedge(c, index[c])
            self._trade(c, index[c])
            self._quote(c, index[c])
        self._replenish()

    def _spot_quote(self, c: int, side: int, index: float) -> tuple[int, float] | None:
        """Where the spot leg of a ``side`` trade would go (venue, price); (-1, index) when spot
        is held off the exchange."""
        if self.spot is None:
            return -1, index
        return self.spot.best(c, side)

    def _trade(self, c: int, index: float) -> None:
        book = self.view.books[c]
        tick = book.tick_size
        bid, ask = book.best_bid(), book.best_ask()
        held = self.position(c)
        lot_value = self._lot[c] * index
        room = max(0, int((self.capacity - abs(held) * lot_value) / lot_value))
        clip = self.view.to_lots(c, CLIP_VALUE / index)
        # lots a new pair on each side may add before the unhedged part passes its limit
        unhedged = self._unhedged(c, held)
        open_to = {side: max(0, self._unhedged_limit(clip) - side * unhedged) for side in (1, -1)}
        sell_spot = self._spot_quote(c, -1, index)  # richest spot bid
        if ask is not None and sell_spot is not None:
            ref = sell_spot[1]
            if ask * tick < ref * (1.0 - self.edge):  # perpetual cheap: buy it, sell spot
                lots = min(clip, room if held >= 0 else clip, self._coins_for(c), open_to[1])
                self._pair(c, 1, lots, ref * (1.0 - self.edge), sell_spot[0], ref)
                return
        buy_spot = self._spot_quote(c, 1, index)  # cheapest spot ask
        if bid is not None and buy_spot is not None:
            ref = buy_spot[1]
            if bid * tick > ref * (1.0 + self.edge):  # perpetual rich: sell it, buy spot
                lots = min(clip, room if held <= 0 else clip, self._cash_for(c, ref), open_to[-1])
                self._pair(c, -1, lots, ref * (1.0 + self.edge), buy_spot[0], ref)
                return
        if held and bid is not None and ask is not None:
            mid = 0.5 * (bid + ask) * tick
            if abs(mid / index - 1.0) < self.edge / 4:  # basis closed: unwind part of the pair
                side = -1 if held > 0 else 1
                quote = self._spot_quote(c, -side, index)
                if quote is not None:
                    lots = min(clip, abs(held), open_to[side])
                    limit = index * (1.0 + side * self.edge / 4)
                    self._pair(c, side, lots, limit, quote[0], quote[1], reduce_only=True)

    def _hedge(self, c: int, index: float) -> None:
        """Put the spot leg in place for what the standing quotes bought or sold since the last
        look (immediate-or-cancel, no worse than half the edge beyond the index)."""
        if self.spot is None:
            return
        held = self.position(c)
        gap = held - self.hedged[c]
        if not gap:
            return
        side = 1 if gap > 0 else -1  # the perpetual was bought: sell spot
        quote = self.spot.best(c, -side)
        if quote is None:
            return
        spot = self.spot
        lot = self._lot[c]
        spot_lots = round(abs(gap) * lot / spot.lot[c])
        if side > 0:
            spot_lots = min(spot_lots, int(spot.coins(self.spot_account, c) / spot.lot[c]))
        # at the spot price there is now, not the index of the last look: in a fast market a
        # leg limited off a stale price never fills, and the unhedged position stops the quotes
        self._spot_leg(c, quote[0], side, spot_lots, quote[1] * (1.0 - side * self.edge / 2))

    def _spot_leg(self, c: int, venue: int, side: int, spot_lots: int, limit: float) -> None:
        """The spot side of a ``side`` perpetual trade (the other way, immediate-or-cancel at
        ``limit``), counted as hedged for what fills."""
        spot, gateway = self.spot, self.spot_gateway
        if spot is None or gateway is None or spot_lots <= 0:
            return
        result = gateway.send(c, venue, -side, spot_lots, spot.to_ticks(c, limit), TimeInForce.IOC)
        lot = self._lot[c]
        self.hedged[c] += side * round(int(result.filled_qty) * spot.lot[c] / lot)

    def _quote(self, c: int, index: float) -> None:
        """Standing quotes on a short ladder, one clip at each multiple of the edge from the
        index (QUOTE_LEVELS deep: the wider the basis, the more an arbitrageur will take), within
        capacity and the spot leg's limits; a level already where it should be keeps its place
        in the queue."""
        held = self.position(c)
        lot_value = self._lot[c] * index
        clip = self.view.to_lots(c, CLIP_VALUE / index)
        to_ticks = self._to_ticks[c]
        port = self._ports[c]
        for side in (1, -1):
            room = int((self.capacity - side * held * lot_value) / lot_value)
            hedge = self._coins_for(c) if side > 0 else self._cash_for(c, index)
            unhedged = max(0, side * self._unhedged(c, held))
            # no more quotes on a side while the spot legs of earlier fills are not in place
            budget = max(0, min(room, hedge - unhedged, self._unhedged_limit(clip) - unhedged))
            wanted: dict[int, int] = {}
            for k in range(1, QUOTE_LEVELS + 1):
                lots = min(clip, budget)
                if lots <= 0:
                    break
                tick = max(1, to_ticks(index * (1.0 - side * k * self.edge)))
                wanted[tick] = wanted.get(tick, 0) + lots
                budget -= lots
            amend(port, self.quotes[c][side], wanted, side)

    def _pair(
        self,
        c: int,
        side: int,
        lots: int,
        perp_limit: float,
        venue: int,
        spot_price: float,
        *,
        reduce_only: bool = False,
    ) -> None:
        """The perpetual leg (IOC at ``perp_limit``), then the same quantity the other way on
        spot (IOC at half the edge beyond the spot price seen, so the pair stays profitable)."""
        if lots <= 0:
            return
        ticks = self.view.to_ticks(c, perp_limit)
        result = self.gateway.send(
            c, side, lots, max(1, ticks), TimeInForce.IOC, reduce_only=reduce_only
        )
        filled = int(result.filled_qty)
        if not filled or self.spot is None or venue < 0:
            return
        spot_lots = round(filled * self._lot[c] / self.spot.lot[c])
        # buying the perpetual: sell spot no lower than half the edge under the price seen
        self._spot_leg(c, venue, side, spot_lots, spot_price * (1.0 - side * self.edge / 2))

    def _unhedged(self, c: int, held: int) -> int:
        """Perpetual lots whose spot leg is not in place (0 when the spot leg is held off the
        exchange, where it is always in place)."""
        return 0 if self.spot is None else held - self.hedged[c]

    @staticmethod
    def _unhedged_limit(clip: int) -> int:
        """Perpetual lots an arbitrageur lets stand without their spot leg: what its standing
        quotes could be filled for at once. Beyond it, it adds nothing on that side until the
        spot legs are in place (a thin spot book cannot take them all at once)."""
        return QUOTE_LEVELS * clip

    def _coins_for(self, c: int) -> int:
        """Perpetual lots the coins held can hedge (the spot leg sells coins)."""
        if self.spot is None:
            return 1 << 40
        coins = self.spot.coins(self.spot_account, c)
        return max(0, int(coins / self._lot[c]))

    def _cash_for(self, c: int, price: float) -> int:
        """Perpetual lots the cash held can hedge (the spot leg buys coins)."""
        if self.spot is None:
            return 1 << 40
        cash = self.spot.cash(self.spot_account)
        return max(0, int(cash / price / 1.01 / self._lot[c]))

    def _replenish(self) -> None:
        """New capital while the arbitrageur is at its limit: its capacity used up, its margin
        too thin for another clip, or its spot leg short of coins or cash for one.

        It looks every time it looks at the basis, so the check is in plain floats (NumPy calls
        on its one row cost more than the arithmetic), each test made only while the ones
        before it passed (the same decision: they are or-ed)."""
        if self.replenish_rate <= 0 or self.capacity >= MAX_REPLENISH * self.capacity_start:
            return
        mark = self.view.mark
        prices = mark.tolist()
        short = (
            self._notional(prices) >= FULL * self.capacity
            or self.me.available_balance() < CLIP_VALUE / self.leverage
        )
        spot = self.spot
        if not short and spot is not None:
            short = spot.cash(self.spot_account) < 2 * CLIP_VALUE
            if not short:
                coins = spot.all_coins(self.spot_account)
                for c, price in enumerate(prices):
                    if coins[c] * price < 2 * CLIP_VALUE:
                        short = True
                        break
        if not short:
            return
        amount = self.replenish_rate * max(self.delay, self.view.dt)
        self.capacity += amount
        self.gateway.deposit(amount / self.leverage)
        if self.spot_gateway is not None:
            n = len(prices)
            self.spot_gateway.deposit(
                amount / n,
                [amount / n / prices[c] for c in range(n)],
            )

    def _notional(self, prices: list[float]) -> float:
        """`AccountView.notional` at ``prices`` (the mark), the same float in plain Python: each
        ``|lots·lot|·price``, summed as ``np.add.reduce`` sums fewer than 8 values (in order
        from −0.0, the total added to 0.0). Eight contracts or more, which NumPy sums pairwise,
        take the view's own."""
        positions = self.me.positions()
        if len(positions) >= 8:
            return self.me.notional(self.view.mark)
        total = -0.0
        for q, lot, price in zip(positions, self._lot, prices, strict=True):
            total += abs(q * lot) * price
        return 0.0 + total
