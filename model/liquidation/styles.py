"""The registry of liquidation styles, by the name a venue preset uses."""

from __future__ import annotations

from model.liquidation import binance, bybit, hyperliquid, okx

STYLES = {
    "binance": binance.liquidate,
    "bybit": bybit.liquidate,
    "okx": okx.liquidate,
    "hyperliquid": hyperliquid.liquidate,
}
