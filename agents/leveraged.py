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

The population checks the triggers for all traders at once (vectorised) and only calls the few
traders whose trigger fired. A trader's side, stop and defences live in the population's
`agents.crowd.Crowd` arrays (its slot), the only store of them.

Traders with a strategy (value funds, trend followers: `agents.strategies`) open no position
before the run and use no defences: they trade towards a target position, and their margin
discipline is the leverage cap of that target.
"""

from __future__ import annotations

import math

from agents.crowd import HOLD, Crowd
from agents.trader import Trader

ENTRY_SIZE = 0.95  # share of the deposit's buying power used at entry
TOPUP_SHARE = 0.5  # share of the remaining reserve paid in per top-up


class LeveragedTrader(Trader):
    """A directional position with optional defences."""

    kind = "leveraged"

    def __init__(  # type: ignore[no-untyped-def]
        self,
        model,
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
        super().__init__(model, capital, leverage, isolated)
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
        wallet = float(self.ledger.wallet[self.account])
        buying_power = wallet * self.leverage * ENTRY_SIZE / len(self.contracts)
        cap = self.ledger.tiers[contract].max_notional(self.leverage) * 0.999
        # an account whose wallet is gone has no buying power (not a negative size)
        return self.exchange.to_lots(contract, max(0.0, min(buying_power, cap) / price))

    def opened(self) -> None:
        """Called once the starting position is in place: set the stop."""
        self.entered = True
        c = self.contract
        if self.position(c) and self.stop_loss_pct:
            entry = float(self.ledger.entry[self.account, c])
            self.stop_price = entry * (1.0 - self.side * self.stop_loss_pct)

    def enter(self) -> None:
        """Open the position(s) at market (after a flip)."""
        for c in self.contracts:
            price = float(self.market_model.mark[c])
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
        self.ledger.deposit(self.account, amount)
        c = self.contract
        if self.ledger.isolated[self.account, c] and self.position(c):
            self.ledger.add_isolated_margin(self.account, c, amount)

    def cut(self, share: float = 0.5) -> None:
        """Close ``share`` of every position at market."""
        for c in self.contracts:
            held = self.position(c)
            lots = int(abs(held) * share)
            if lots:
                self.market(c, -1 if held > 0 else 1, lots, reduce_only=True)

    def rejoin(self, capital: float, side: int) -> None:
        """A new entrant takes this trader's place: it brings ``capital`` (a reserve kept aside
        when it tops up) and, if it holds positions rather than trading a strategy, opens one on
        ``side`` at market with a fresh stop."""
        d = self.market_model.config.population.defences
        self.reserve = capital * d.reserve_pct if self.topup else 0.0
        self.ledger.deposit(self.account, capital - self.reserve)
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
