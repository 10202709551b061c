"""The trader contract: an exchange account, a read-only view of the market and an order gateway.

Every kind of trader is a Mesa agent that implements ``act(view, gateway)``: it reads what the
`model.view.MarketView` shows (prices, books, its own account) and sends orders through its
`model.gateway.OrderGateway`, bound to its own account. A kind whose traders are decided
together (a crowd of thousands, or quoters sharing one estimate) also gives a class-level
``step_crowd(traders, view, ...)`` that does the shared work once (a fair price, the random
draws of everyone acting) and calls ``act`` of each trader that acts; its extra arguments are
the kind's own (a random stream, a shared estimate). `agents.population.Population` schedules the kinds; a new kind is one module
with one class (docs/CONTRACTS.md has an example).
"""

from __future__ import annotations

import mesa
from mesa.discrete_space import CellAgent

from model.gateway import MarketAccess, OrderGateway, OrderResult, TimeInForce
from model.view import MarketView


class Trader(CellAgent):
    """A trader with one exchange account.

    Args:
        model: the Mesa model the agent belongs to.
        access: the market's view, account opening and leverage caps.
        capital: USDT deposited at the start.
        leverage: leverage for initial margin on every contract (capped by the scenario and
            the venue's first tier).
        isolated: margin mode of the trader's positions.
    """

    kind = "trader"
    # market makers and arbitrageurs: capped by the scenario's max_leverage only when
    # ``population.cap_providers`` says so
    provides_liquidity = False

    def __init__(
        self,
        model: mesa.Model,
        access: MarketAccess,
        capital: float,
        leverage: float = 10.0,
        isolated: bool = False,
    ) -> None:
        super().__init__(model)
        cap = access.provider_leverage_cap if self.provides_liquidity else access.leverage_cap
        self.leverage = max(1.0, min(leverage, cap))
        self.view = access.view
        self.gateway = access.open_account(capital, isolated=isolated, leverage=self.leverage)
        self.account = self.gateway.account
        self.me = self.view.account(self.account)  # its own account, read only
        self.capital = capital

    # ---- the contract ----------------------------------------------------------------------
    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """Decide and send this step's orders. The default does nothing: the trader holds
        what it has (carry traders, hedgers), or its crowd's ``step_crowd`` decides for it."""

    # ---- state -----------------------------------------------------------------------------
    def position(self, contract: int = 0) -> int:
        """Signed position in lots."""
        return self.me.position(contract)

    def has_position(self) -> bool:
        """True while the trader holds a position on any contract."""
        return self.me.has_position()

    def lots_for(self, contract: int, notional: float) -> int:
        """Lots worth ``notional`` USDT at the current mark."""
        price = float(self.view.mark[contract])
        return self.view.to_lots(contract, max(0.0, notional / price))

    # ---- orders ----------------------------------------------------------------------------
    def market(
        self, contract: int, side: int, lots: int, *, reduce_only: bool = False
    ) -> OrderResult | None:
        """A market (IOC) order; None when there is nothing to send."""
        if lots <= 0:
            return None
        return self.gateway.send(
            contract, side, lots, None, TimeInForce.IOC, reduce_only=reduce_only
        )

    def limit(
        self,
        contract: int,
        side: int,
        lots: int,
        price: float,
        *,
        post_only: bool = False,
        tif: TimeInForce = TimeInForce.GTC,
    ) -> OrderResult | None:
        """A limit order at a USDT price (rounded to the tick)."""
        if lots <= 0:
            return None
        ticks = self.view.to_ticks(contract, price)
        return self.gateway.send(contract, side, lots, ticks, tif, post_only=post_only)

    def close(self, contract: int = 0) -> OrderResult | None:
        """Close the whole position at market."""
        held = self.position(contract)
        if held == 0:
            return None
        return self.market(contract, -1 if held > 0 else 1, abs(held), reduce_only=True)

    def cancel_all(self) -> int:
        """Cancel every resting order of the trader."""
        return self.gateway.cancel_all()
