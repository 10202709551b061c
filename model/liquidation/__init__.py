"""The liquidation engine and the venues' liquidation styles (one module per style).

`LiquidationEngine` runs every step after the risk check; the venue preset picks the style:
`binance`, `bybit` (also BitMEX), `okx`, `hyperliquid`.
"""

from model.liquidation.engine import LiquidationEngine

__all__ = ["LiquidationEngine"]
