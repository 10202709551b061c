"""Carry traders: hedged, low-leverage holders of the other side of the crowd's net position.

A long-heavy perpetual market exists because someone is short: mostly basis (cash-and-carry)
traders who are long spot off the exchange. They hold their perpetual position passively at low
leverage, and in a crash they are the profitable opposite side that ADL closes (on 2025-10-10 the
median leverage of ADL'd positions on Hyperliquid was about 0.2x; spec §7).
"""

from __future__ import annotations

from agents.trader import Trader

LEVERAGE = 1.0


class CarryTrader(Trader):
    """Holds the position it is given at the start and never trades."""

    kind = "carry"
