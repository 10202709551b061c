"""The registry of liquidation styles, by the name a venue preset uses."""

from __future__ import annotations

from model.liquidation import binance, bybit, okx
from model.liquidation.base import FunctionStyle, Style
from model.liquidation.hyperliquid import HyperliquidStyle
from model.venue import LiquidationRules

STATELESS = {
    "binance": binance.liquidate,
    "bybit": bybit.liquidate,
    "okx": okx.liquidate,
}

STYLES = (*STATELESS, "hyperliquid")


def make_style(rules: LiquidationRules) -> Style:
    """A fresh style for a venue's rules (each model keeps its own, with its own state)."""
    if rules.style == "hyperliquid":
        return HyperliquidStyle(rules)
    return FunctionStyle(STATELESS[rules.style])
