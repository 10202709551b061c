"""Tiered maintenance margin, liquidation price and bankruptcy price: the public formula API.

Every formula follows shared/spec/exchange-mechanics.md §1–2 (the venues' published rules):

* maintenance margin is piecewise linear and continuous in notional,
  ``MM(N) = N·MMR_tier − maint_amount_tier`` with
  ``maint_amount_n = maint_amount_{n−1} + floor_n·(MMR_n − MMR_{n−1})``;
* the Binance one-way liquidation price
  ``LP = (WB − TMM + UPNL + cum − side·Q·E) / (Q·MMR − side·Q)`` uses the tier that contains the
  notional *at the liquidation price*;
* the bankruptcy price is where the position's margin balance is exactly zero.

Tier tables and the maintenance margin are in `model.tiers` (re-exported here).

Example:
    >>> table = TierTable.preset("binance-btcusdt")
    >>> table.maintenance_margin(100_000.0)   # 0.5% of 100k minus the 50 USDT amount
    450.0
    >>> round(liquidation_price(+1, 1.0, 60_000.0, 6_000.0, table), 2)
    54221.11
"""

from __future__ import annotations

import math

from model.tiers import Tier, TierTable, check_finite

# The tier tables keep their old import path (model.margin).
__all__ = [
    "DERIBIT_LIQUIDATION_FEE",
    "Tier",
    "TierTable",
    "bankruptcy_price",
    "bybit_bankruptcy_price",
    "bybit_liquidation_price",
    "deribit_initial_margin_rate",
    "deribit_maintenance_margin_rate",
    "hyperliquid_liquidation_price",
    "liquidation_price",
    "margin_balance",
]


def _check_price(price: float, name: str = "price") -> None:
    check_finite(name, price)
    if price < 0:
        raise ValueError(f"{name} must be ≥ 0, got {price!r}")


def _check_position(side: int, qty: float, entry_price: float) -> None:
    if side not in (1, -1) or isinstance(side, bool):
        raise ValueError(f"side must be +1 (long) or -1 (short), got {side!r}")
    check_finite("qty", qty)
    check_finite("entry_price", entry_price)
    if qty <= 0:
        raise ValueError(f"qty must be > 0 (the absolute size), got {qty!r}")
    if entry_price <= 0:
        raise ValueError(f"entry_price must be > 0, got {entry_price!r}")


# ---- Binance ----------------------------------------------------------------------------------
def liquidation_price(
    side: int,
    qty: float,
    entry_price: float,
    wallet_balance: float,
    table: TierTable,
    other_maintenance: float = 0.0,
    other_upnl: float = 0.0,
) -> float:
    """Binance one-way liquidation price (USDⓈ-M FAQ "How to Calculate Liquidation Price").

    Args:
        side: +1 long, −1 short.
        qty: absolute size (base units).
        entry_price: average entry price.
        wallet_balance: cross wallet balance, or the isolated margin of the position.
        table: the contract's tier table.
        other_maintenance: maintenance margin of the account's other cross positions (TMM).
        other_upnl: unrealised PnL of the account's other cross positions.

    Returns:
        The mark price at which margin balance equals maintenance margin, computed with the tier
        that contains the notional at that price. 0.0 when no positive price liquidates a long
        (or when a short is liquidatable at every price).

    Raises:
        ValueError: side not ±1, non-positive or non-finite size or price, non-finite balances.
    """
    _check_position(side, qty, entry_price)
    for name, value in (
        ("wallet_balance", wallet_balance),
        ("other_maintenance", other_maintenance),
        ("other_upnl", other_upnl),
    ):
        check_finite(name, value)
    base = wallet_balance - other_maintenance + other_upnl - side * qty * entry_price
    # Margin balance minus MM is monotone in price and continuous, so its root is unique. Near
    # price 0 the first tier applies: a first-tier root at or below 0 means there is no positive
    # root at all (a long safe at every price, a short liquidatable at every price).
    first = table.tiers[0]
    best = (base + first.maint_amount) / (qty * first.mmr - side * qty)  # type: ignore[operator]
    if best <= 0.0:
        return 0.0
    for tier in table.tiers:
        assert tier.maint_amount is not None
        lp = (base + tier.maint_amount) / (qty * tier.mmr - side * qty)
        if tier.floor * (1 - 1e-12) <= qty * lp <= tier.cap * (1 + 1e-12):
            return float(lp)
    last = table.tiers[-1]  # beyond the last cap: the last tier's line continues
    assert last.maint_amount is not None
    best = (base + last.maint_amount) / (qty * last.mmr - side * qty)
    return max(0.0, float(best))


def bankruptcy_price(side: int, qty: float, entry_price: float, margin: float) -> float:
    """Price at which a position's margin balance is exactly zero: ``E − side·margin/Q``.

    Args:
        side: +1 long, −1 short.
        qty: absolute size (base units).
        entry_price: average entry price.
        margin: margin backing the position (isolated margin, or the share of the cross balance
            assigned to it).

    Returns:
        The bankruptcy price, floored at 0 for a long backed by more than its notional.
    """
    _check_position(side, qty, entry_price)
    check_finite("margin", margin)
    return max(0.0, entry_price - side * margin / qty)


def margin_balance(
    side: int, qty: float, entry_price: float, wallet_balance: float, price: float
) -> float:
    """Wallet (or isolated margin) plus the position's unrealised PnL at ``price``.

    Raises:
        ValueError: side not ±1, non-positive or non-finite size or entry price, a non-finite
            wallet balance, or a price that is negative or not finite.
    """
    _check_position(side, qty, entry_price)
    check_finite("wallet_balance", wallet_balance)
    _check_price(price)
    return wallet_balance + side * qty * (price - entry_price)


# ---- Bybit ------------------------------------------------------------------------------------
def bybit_bankruptcy_price(side: int, entry_price: float, leverage: float) -> float:
    """Bybit isolated bankruptcy price ``E·(1 − side/leverage)``."""
    _check_position(side, 1.0, entry_price)
    if not leverage >= 1 or not math.isfinite(leverage):
        raise ValueError(f"leverage must be a finite number ≥ 1, got {leverage!r}")
    return entry_price * (1.0 - side / leverage)


def bybit_liquidation_price(
    side: int,
    qty: float,
    entry_price: float,
    leverage: float,
    table: TierTable,
    extra_margin: float = 0.0,
) -> float:
    """Bybit isolated USDT liquidation price ``E − side·(IM − MM)/Q − side·extra_margin/Q``.

    IM is ``Q·E/leverage``; MM is evaluated at the entry position value (Bybit's convention,
    unlike Binance's).
    """
    _check_position(side, qty, entry_price)
    if not leverage >= 1 or not math.isfinite(leverage):
        raise ValueError(f"leverage must be a finite number ≥ 1, got {leverage!r}")
    check_finite("extra_margin", extra_margin)
    value = qty * entry_price
    im = value / leverage
    mm = float(table.maintenance_margin(value))
    return max(0.0, entry_price - side * (im - mm) / qty - side * extra_margin / qty)


# ---- Hyperliquid ------------------------------------------------------------------------------
def hyperliquid_liquidation_price(
    side: int, qty: float, price: float, margin_available: float, max_leverage: float
) -> float:
    """Hyperliquid ``liq = P − side·margin_available / Q / (1 − l·side)``, ``l = 1/(2·max_lev)``.

    ``margin_available`` is account value (or isolated margin) minus maintenance margin required.
    """
    _check_position(side, qty, price)
    check_finite("margin_available", margin_available)
    if not max_leverage >= 1 or not math.isfinite(max_leverage):
        raise ValueError(f"max_leverage must be a finite number ≥ 1, got {max_leverage!r}")
    l_rate = 1.0 / (2.0 * max_leverage)
    return max(0.0, price - side * margin_available / qty / (1.0 - l_rate * side))


# ---- Deribit ----------------------------------------------------------------------------------
DERIBIT_LIQUIDATION_FEE = 0.0075


def deribit_initial_margin_rate(size_btc: float) -> float:
    """Deribit BTC initial margin rate ``2% + 0.005%·size`` (size in BTC)."""
    check_finite("size_btc", size_btc)
    return 0.02 + 0.00005 * abs(size_btc)


def deribit_maintenance_margin_rate(size_btc: float) -> float:
    """Deribit BTC maintenance margin rate ``1% + 0.005%·size`` (size in BTC)."""
    check_finite("size_btc", size_btc)
    return 0.01 + 0.00005 * abs(size_btc)
