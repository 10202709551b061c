"""Small hand-built markets for the liquidation, insurance and ADL tests."""

from __future__ import annotations

import numpy as np
import pytest

from model.events import EventLog
from model.exchange import ContractSpec, Exchange
from model.insurance import InsuranceFunds
from model.liquidation import LiquidationEngine
from model.margin import TierTable
from model.risk import assess
from model.venue import Venue


class Market:
    """An exchange with a market maker, an insurance fund and a liquidation engine.

    Prices in USDT, sizes in BTC; tick 0.1, lot 0.001.
    """

    def __init__(
        self, venue: str = "binance", fund: float = 1e6, n_contracts: int = 1, **venue_changes
    ):
        preset = Venue.preset(venue)
        for dotted, value in venue_changes.items():
            section, field = dotted.split("__")
            preset = preset.model_copy(
                update={section: getattr(preset, section).model_copy(update={field: value})}
            )
        self.venue = preset
        table = TierTable.preset(preset.tier_table)
        specs = [ContractSpec(f"C{c}", 0.1, 0.001, table) for c in range(n_contracts)]
        self.exchange = Exchange(specs, preset.maker_fee, preset.taker_fee)
        self.ledger = self.exchange.ledger
        self.events = EventLog()
        self.maker = self.ledger.open_account(1e9, leverage=1)
        self.funds = InsuranceFunds(self.ledger, n_contracts, fund, preset.insurance)
        self.engine = LiquidationEngine(preset, self.exchange, self.funds, self.events)
        self.mark = np.full(n_contracts, 60_000.0)
        self.exchange.mark = self.mark
        self.index = self.mark.copy()

    def trader(self, deposit, lots, price=60_000.0, leverage=10, isolated=True, contract=0):
        """An account holding ``lots`` (signed) opened against the market maker at ``price``."""
        account = self.ledger.open_account(deposit, isolated=isolated, leverage=leverage)
        self.ledger.transfer_position(self.maker, account, contract, lots, price)
        return account

    def quote(self, side, price, btc, contract=0, owner=None):
        """Rest a maker order of ``btc`` at ``price``."""
        ex = self.exchange
        ex.submit(
            self.maker if owner is None else owner,
            contract,
            side,
            ex.to_lots(contract, btc),
            ex.to_ticks(contract, price),
            check_margin=False,
        )

    def liquidate(self, mark, t=0.0):
        """Set the mark, run the risk check and the engine, settle funds; return the snapshot."""
        self.mark[:] = mark
        risk = assess(self.ledger, self.mark)
        self.engine.run(t, risk, self.mark, self.index, self.index)
        self.engine.settle(t, self.mark, self.index)
        return risk

    def problems(self):
        return self.ledger.audit(self.mark) + self.funds.audit() + self.engine.audit()

    def kinds(self, kind):
        return [e for e in self.events.rows if e.kind == kind]

    def rows_of(self, *kinds):
        return [e for e in self.events.rows if e.kind in kinds]


@pytest.fixture
def market():
    return Market
