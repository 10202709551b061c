"""Small models for the trader tests, and an outside desk that sets up books and positions."""

from __future__ import annotations

from typing import Any

import pytest

from model.risk import assess
from model.scenario import load_scenario
from model.simulation import CascadeModel

SMALL = {
    "population.leveraged": 40,
    "population.noise": 10,
    "population.momentum": 5,
    "duration": 60.0,
    "index.shocks": [],  # a shortened preset: its shock would fall after the end
}

# Only the traders a test asks for: no makers, arbitrageurs, noise or momentum traders, whales or
# defences, so the book holds exactly what the desk puts there.
BARE = {
    "population.market_makers": 0,
    "population.arbitrageurs": 0,
    "population.noise": 0,
    "population.momentum": 0,
    "population.leveraged": 0,
    "population.whales": 0,
    "population.defences.stop_loss_share": 0.0,
    "population.defences.topup_share": 0.0,
    "population.defences.reduce_share": 0.0,
    "duration": 60.0,
    "index.shocks": [],  # a shortened preset: its shock would fall after the end
}


def build_model(
    preset: str = "calm", overrides: dict[str, Any] | None = None, bare: bool = False
) -> CascadeModel:
    """A model of ``preset`` with a small population (none at all with ``bare``)."""
    return CascadeModel(load_scenario(preset, {**(BARE if bare else SMALL), **(overrides or {})}))


class Desk:
    """Two deep-pocketed accounts outside the population and the tools to set a market up: rest
    quotes, print a trade (the last price), hand positions to traders off the book, move the mark,
    and read a trader's resting ladder."""

    def __init__(self, model: CascadeModel) -> None:
        self.model = model
        self.exchange = model.exchange
        self.ledger = model.ledger
        self.account = self.ledger.open_account(1e10, leverage=1.0)
        self.other = self.ledger.open_account(1e10, leverage=1.0)

    # ---- the book ----------------------------------------------------------------------------
    def rest(self, side: int, price: float, qty: float, contract: int = 0) -> None:
        """Rest a limit order of ``qty`` base units at ``price`` USDT."""
        ex = self.exchange
        ex.submit(
            self.account,
            contract,
            side,
            ex.to_lots(contract, qty),
            ex.to_ticks(contract, price),
            check_margin=False,
        )

    def quote(self, bid: float, ask: float, qty: float = 500.0, contract: int = 0) -> None:
        """A deep two-sided book: ``qty`` base units at each of ``bid`` and ``ask``."""
        self.rest(1, bid, qty, contract)
        self.rest(-1, ask, qty, contract)

    def clear(self) -> None:
        """Cancel the desk's resting orders."""
        self.exchange.cancel_all(self.account)

    def print_trade(self, price: float, contract: int = 0) -> None:
        """Trade one lot between the desk's two accounts at ``price``: the book's last price."""
        ex = self.exchange
        ex.submit(self.account, contract, 1, 1, ex.to_ticks(contract, price), check_margin=False)
        ex.market(self.other, contract, -1, 1, check_margin=False)
        assert self.exchange.books[contract].last_price == ex.to_ticks(contract, price)

    def ladder(self, account: int, contract: int = 0) -> dict[int, list[tuple[float, int]]]:
        """An account's resting orders by side (+1 bids, −1 asks), best first, as
        (USDT price, lots)."""
        book = self.exchange.books[contract]
        tick = self.exchange.contracts[contract].tick_size
        out: dict[int, list[tuple[float, int]]] = {1: [], -1: []}
        for order_id in book.orders_of(account):
            order = book.get(order_id)
            assert order is not None
            out[order.side].append((order.price * tick, order.qty))
        out[1].sort(reverse=True)
        out[-1].sort()
        return out

    # ---- positions and risk ------------------------------------------------------------------
    def give(self, account: int, qty: float, price: float, contract: int = 0) -> None:
        """Hand ``account`` a position of ``qty`` base units (signed) at ``price``, off the book."""
        lots = self.exchange.to_lots(contract, abs(qty)) * (1 if qty > 0 else -1)
        self.ledger.transfer_position(self.account, account, contract, lots, price)

    def set_mark(self, price: float, contract: int = 0) -> None:
        """Move the mark (in place: the exchange shares the array) and redo the risk check."""
        self.model.mark[contract] = price
        self.model.risk = assess(self.ledger, self.model.mark)

    def ratio_at(self, account: int, price: float, contract: int = 0) -> float:
        """Margin ratio of ``account`` if the mark were ``price`` (nothing is changed)."""
        mark = self.model.mark.copy()
        mark[contract] = price
        return float(assess(self.ledger, mark).margin_ratio[account])

    def price_for_ratio(self, account: int, target: float, contract: int = 0) -> float:
        """The mark at which the account's position reaches margin ratio ``target`` (bisection:
        the ratio rises as the price moves against the position)."""
        side = 1 if self.ledger.lots[account, contract] > 0 else -1
        safe = float(self.ledger.entry[account, contract])
        bad = safe * (1.0 - side * 0.5)
        for _ in range(60):
            mid = 0.5 * (safe + bad)
            if self.ratio_at(account, mid, contract) < target:
                safe = mid
            else:
                bad = mid
        return safe


def act_at(model: CascadeModel, trader: Any, t: float) -> None:
    """The trader acts as in a step that starts at ``t`` seconds (what it sees through the view
    and sends through its gateway, like every trader in a step)."""
    model.market.time = t
    trader.act(model.view, trader.gateway)


def bps(a: float, b: float) -> float:
    """(a − b) / b in basis points."""
    return (a - b) / b * 1e4


@pytest.fixture
def build():
    """``build(preset, overrides, bare=False)``: a small model."""
    return build_model


@pytest.fixture
def desk_for():
    """``desk_for(model)``: a `Desk` on that model."""
    return Desk


@pytest.fixture
def act():
    """``act(model, trader, t)``: the trader acts in a step starting at ``t``."""
    return act_at


@pytest.fixture
def in_bps():
    """``in_bps(a, b)``: (a − b) / b in basis points."""
    return bps
