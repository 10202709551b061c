"""Leveraged directional traders, and the defences the seed article recommends.

A trader holds one position from the start of the run (opened before it, at an entry price near
the initial price), with leverage drawn from the scenario's distribution (capped by the tier), in
isolated or cross mode, long or short by the scenario's bias. If a defence or panic closes it, it
stays out. Defences are per-trader settings with a population mix:

* stop-loss: a stop price ``stop_loss_pct`` from entry, watched on the *last* price and executed
  at market, so it slips in a fast market;
* top-up: when the margin ratio passes ``topup_threshold``, part of the cash reserve (kept off
  the exchange) is paid in as margin;
* reduce: when the margin ratio passes ``reduce_threshold``, half the position is closed.

The crowd's vectorised steps (`defend`, `replace`) check the triggers for all traders at once
and only call the few traders whose trigger fired. A trader's side, stop and defences live in the population's
`agents.crowd.Crowd` arrays (its slot), the only store of them.

Traders with a strategy (value funds, trend followers: `agents.strategies`) open no position
before the run and use no defences: they trade towards a target position, and their margin
discipline is the leverage cap of that target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from agents.crowd import HOLD, Crowd
from agents.trader import Trader
from model.gateway import MarketAccess
from model.scenario import Defences
from model.view import MarketView

ENTRY_SIZE = 0.95  # share of the deposit's buying power used at entry
TOPUP_SHARE = 0.5  # share of the remaining reserve paid in per top-up
REDUCE_COOLDOWN = 10.0  # seconds between two size cuts of one trader
BUST_SHARE = 0.1  # a flat trader left with less than this share of its capital has left


class LeveragedTrader(Trader):
    """A directional position with optional defences."""

    kind = "leveraged"

    def __init__(
        self,
        model: mesa.Model,
        access: MarketAccess,
        capital: float,
        leverage: float,
        isolated: bool,
        side: int,
        contracts: list[int],
        reserve: float,
        stop_loss_pct: float | None,
        topup: bool,
        reduce: bool,
        crowd: Crowd,
        slot: int,
    ) -> None:
        self.crowd = crowd  # before the base class stores ``capital`` in the crowd's arrays
        self.slot = slot
        super().__init__(model, access, capital, leverage, isolated)
        crowd.side[slot] = side
        crowd.stop[slot] = math.nan
        crowd.topup[slot] = topup
        crowd.reduce[slot] = reduce
        self.capital = capital + reserve  # what it brought: the deposit and the reserve
        crowd.accounts[slot] = self.account
        crowd.home[slot] = contracts[0]
        self.contracts = contracts
        self.contract = contracts[0]
        self.reserve = reserve
        self.stop_loss_pct = stop_loss_pct
        self.entered = False

    # ---- state kept in the crowd's arrays --------------------------------------------------
    @property
    def capital(self) -> float:
        """USDT the trader brought: its deposit and, for a top-up trader, its reserve."""
        return float(self.crowd.capital[self.slot])

    @capital.setter
    def capital(self, value: float) -> None:
        self.crowd.capital[self.slot] = value

    @property
    def side(self) -> int:
        """+1 long, −1 short."""
        return int(self.crowd.side[self.slot])

    @side.setter
    def side(self, value: int) -> None:
        self.crowd.side[self.slot] = value

    @property
    def stop_price(self) -> float:
        """The stop price, NaN when none is set."""
        return float(self.crowd.stop[self.slot])

    @stop_price.setter
    def stop_price(self, value: float) -> None:
        self.crowd.stop[self.slot] = value

    @property
    def stopped(self) -> bool:
        """Its stop-loss has fired."""
        return bool(self.crowd.stopped[self.slot])

    @stopped.setter
    def stopped(self, value: bool) -> None:
        self.crowd.stopped[self.slot] = value

    @property
    def topup(self) -> bool:
        """Uses the margin top-up defence."""
        return bool(self.crowd.topup[self.slot])

    @property
    def reduce(self) -> bool:
        """Uses the size-cut defence."""
        return bool(self.crowd.reduce[self.slot])

    def target_lots(self, contract: int, price: float) -> int:
        """Lots of the position the trader wants on ``contract`` at ``price``."""
        wallet = self.me.wallet
        leverage = self.me.leverage(contract)  # its own, capped by the contract's first tier
        buying_power = wallet * leverage * ENTRY_SIZE / len(self.contracts)
        cap = self.view.max_notional(contract, leverage) * 0.999
        # an account whose wallet is gone has no buying power (not a negative size)
        return self.view.to_lots(contract, max(0.0, min(buying_power, cap) / price))

    def opened(self) -> None:
        """Called once the starting position is in place: set the stop."""
        self.entered = True
        c = self.contract
        if self.position(c) and self.stop_loss_pct:
            entry = self.me.entry(c)
            self.stop_price = entry * (1.0 - self.side * self.stop_loss_pct)

    def enter(self) -> None:
        """Open the position(s) at market (after a flip)."""
        for c in self.contracts:
            price = float(self.view.mark[c])
            self.market(c, self.side, self.target_lots(c, price))
        self.opened()

    def trigger_stop(self) -> None:
        """The stop fired: close at market (it slips in a fast market). What a thin book could
        not take stays covered by the stop, which fires again at the next check."""
        self.stopped = True
        for c in self.contracts:
            self.close(c)
        if not self.has_position():
            self.stop_price = math.nan

    def top_up(self) -> None:
        """Pay part of the reserve in as margin."""
        amount = self.reserve * TOPUP_SHARE
        if amount < 1.0:
            return
        self.reserve -= amount
        self.gateway.deposit(amount)
        c = self.contract
        if self.me.isolated(c) and self.position(c):
            self.gateway.transfer(c, amount)

    def cut(self, share: float = 0.5) -> None:
        """Close ``share`` of every position at market."""
        for c in self.contracts:
            held = self.position(c)
            lots = int(abs(held) * share)
            if lots:
                self.market(c, -1 if held > 0 else 1, lots, reduce_only=True)

    def rejoin(self, capital: float, side: int, reserve_pct: float) -> None:
        """A new entrant takes this trader's place: it brings ``capital`` (``reserve_pct`` of it
        kept aside when it tops up) and, if it holds positions rather than trading a strategy,
        opens one on ``side`` at market with a fresh stop."""
        self.reserve = capital * reserve_pct if self.topup else 0.0
        self.gateway.deposit(capital - self.reserve)
        self.capital = capital
        self.stopped = False
        self.stop_price = math.nan
        self.side = side
        if self.crowd.strategy[self.slot] == HOLD:
            self.enter()

    def flip(self) -> None:
        """Panic: close and reopen the other way (herding)."""
        self.cut(1.0)
        self.side = -self.side
        self.stop_price = math.nan
        self.enter()


def defend(
    traders: Sequence[LeveragedTrader],
    crowd: Crowd,
    view: MarketView,
    t: float,
    last: np.ndarray,
    settings: Defences,
) -> None:
    """The crowd's defences, checked for every trader at once: stops on the last price
    (``last``, per contract), top-ups and size cuts on the margin ratio of the last risk
    check; only the traders whose trigger fired act."""
    if not len(traders):
        return
    price = last[crowd.home]
    accounts = view.crowd(crowd.accounts)
    open_ = accounts.positions(None, crowd.home) != 0
    side, stop = crowd.side, crowd.stop
    hit = (
        open_
        & np.isfinite(stop)
        & (((side > 0) & (price <= stop)) | ((side < 0) & (price >= stop)))
    )
    for i in np.flatnonzero(hit).tolist():
        traders[i].trigger_stop()
    ratio = accounts.margin_ratio()
    for i in np.flatnonzero(crowd.topup & (ratio >= settings.topup_threshold)).tolist():
        traders[i].top_up()
    cut = (
        crowd.reduce
        & (ratio >= settings.reduce_threshold)
        & (t - crowd.last_reduce >= REDUCE_COOLDOWN)
    )
    for i in np.flatnonzero(cut).tolist():
        traders[i].cut(0.5)
        crowd.last_reduce[i] = t


def vacated(crowd: Crowd, view: MarketView) -> np.ndarray:
    """Slots whose trader has left: a flat account with less than BUST_SHARE of its capital,
    or a holder whose stop closed it."""
    accounts = view.crowd(crowd.accounts)
    flat = ~accounts.holding()
    return np.flatnonzero(flat & ((accounts.wealth() < BUST_SHARE * crowd.capital) | crowd.stopped))
