"""The base trader: an account at the exchange and the order helpers every kind of trader uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

from model.orderbook import OrderResult, TimeInForce

if TYPE_CHECKING:
    from model.simulation import CascadeModel


class Trader(CellAgent):
    """A trader with one exchange account.

    Args:
        model: the model.
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
        self, model: CascadeModel, capital: float, leverage: float = 10.0, isolated: bool = False
    ) -> None:
        super().__init__(model)
        self.market_model = model
        self.exchange = model.exchange
        self.ledger = model.ledger
        cap = model.provider_leverage_cap if self.provides_liquidity else model.leverage_cap
        self.leverage = max(1.0, min(leverage, cap))
        self.account = self.ledger.open_account(capital, isolated=isolated, leverage=self.leverage)
        self.capital = capital

    # ---- state -----------------------------------------------------------------------------
    def position(self, contract: int = 0) -> int:
        """Signed position in lots."""
        return self.ledger.lots.item(self.account, contract)

    def has_position(self) -> bool:
        """True while the trader holds a position on any contract."""
        return bool(self.ledger.lots[self.account].any())

    def lots_for(self, contract: int, notional: float) -> int:
        """Lots worth ``notional`` USDT at the current mark."""
        price = float(self.market_model.mark[contract])
        return self.exchange.to_lots(contract, max(0.0, notional / price))

    # ---- orders ----------------------------------------------------------------------------
    def market(
        self, contract: int, side: int, lots: int, *, reduce_only: bool = False
    ) -> OrderResult | None:
        """A market (IOC) order; None when there is nothing to send."""
        if lots <= 0:
            return None
        return self.exchange.send(
            self.account, contract, side, lots, None, TimeInForce.IOC, reduce_only=reduce_only
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
        ticks = self.exchange.to_ticks(contract, price)
        return self.exchange.send(
            self.account, contract, side, lots, ticks, tif, post_only=post_only
        )

    def close(self, contract: int = 0) -> OrderResult | None:
        """Close the whole position at market."""
        held = self.position(contract)
        if held == 0:
            return None
        return self.market(contract, -1 if held > 0 else 1, abs(held), reduce_only=True)

    def cancel_all(self) -> int:
        """Cancel every resting order of the trader."""
        return self.exchange.cancel_all(self.account)
