"""Market makers: ladders of quotes around a fair price, skewed by inventory.

They are where the seed article's spread widening comes from. Each maker tracks realised
volatility (an EWMA of squared one-step log returns of the mark price) and its own margin usage:
the half-spread widens and the size per level shrinks as either rises, and in stress (volatility
many times its calm level, or margin usage high) the maker pulls most of its ladder and quotes a
few wide levels only. Makers have accounts like everyone else and can be liquidated.
"""

from __future__ import annotations

import math

import numpy as np

from agents.trader import Trader

HALF_SPREAD_BPS = 1.0  # calm half-spread
LEVEL_STEP_BPS = 1.5  # distance between ladder levels
LEVELS = 10
LEVEL_SIZE_BTC_VALUE = 100_000.0  # USDT per level in calm markets, before depth_scale
VOL_HALFLIFE = 20.0  # seconds
STRESS_VOL_MULTIPLE = 4.0  # realised vol above this multiple of calm vol = stress
STRESS_MARGIN_USAGE = 0.6
INVENTORY_LIMIT_VALUE = 3_000_000.0  # USDT of inventory at which the skew is a full spread
MAX_HALF_SPREAD_BPS = 50.0  # before the stress multiple: a maker still quotes within ~1.5% of fair


class MarketMaker(Trader):
    """A quoting market maker on every contract."""

    kind = "market_maker"

    def __init__(self, model, capital: float, calm_vol_bps: np.ndarray, depth_scale: np.ndarray):  # type: ignore[no-untyped-def]
        super().__init__(model, capital, leverage=20.0, isolated=False)
        n = model.n_contracts
        self.calm_vol = np.maximum(calm_vol_bps, 0.2)
        self.var = self.calm_vol**2
        self.depth_scale = depth_scale
        self.last_mid = np.full(n, np.nan)
        self.stressed = np.zeros(n, dtype=bool)
        self.jitter = float(model.rng.uniform(0.8, 1.2))

    def observe(self, mids: np.ndarray, dt: float) -> None:
        """Update realised volatility from this step's reference prices (the mark: a maker
        watches the wider market, not only its own thin book, or one gap in the book would keep
        it in stress for ever)."""
        ok = np.isfinite(mids) & np.isfinite(self.last_mid)
        rets = np.zeros_like(mids)
        rets[ok] = np.log(mids[ok] / self.last_mid[ok]) * 1e4 / math.sqrt(dt)
        weight = 1.0 - 0.5 ** (dt / VOL_HALFLIFE)
        self.var = np.where(ok, self.var + weight * (rets**2 - self.var), self.var)
        self.last_mid = np.where(np.isfinite(mids), mids, self.last_mid)

    def margin_usage(self) -> float:
        """Initial margin in use over equity."""
        m = self.market_model
        equity = float(m.risk.cross_equity[self.account])
        if equity <= 0:
            return 1.0
        notional = np.abs(self.ledger.lots[self.account]) * self.ledger.lot * m.mark
        return float(notional.sum() / self.leverage / equity)

    def quote(self, fair: np.ndarray) -> None:
        """Replace the ladder on every contract around ``fair``."""
        self.cancel_all()
        usage = self.margin_usage()
        for c in range(len(fair)):
            vol = math.sqrt(self.var[c])
            ratio = vol / self.calm_vol[c]
            stressed = ratio > STRESS_VOL_MULTIPLE or usage > STRESS_MARGIN_USAGE
            self.stressed[c] = stressed
            half = HALF_SPREAD_BPS * self.jitter * (1.0 + 0.5 * max(0.0, ratio - 1.0))
            half = min(half * (1.0 + 2.0 * usage), MAX_HALF_SPREAD_BPS)
            levels = LEVELS
            size_value = (
                LEVEL_SIZE_BTC_VALUE * self.depth_scale[c] / (1.0 + 0.3 * max(0.0, ratio - 1.0))
            )
            size_value *= max(0.1, 1.0 - usage)
            if stressed:
                half *= 3.0
                levels = 3
            price = float(fair[c])
            inventory = self.position(c) * self.ledger.lot[c] * price
            skew = -inventory / INVENTORY_LIMIT_VALUE * half
            lots = self.exchange.to_lots(c, size_value / price)
            for side in (1, -1):
                if usage > 0.9 and np.sign(inventory) == side:
                    continue  # at the margin limit: only quote the side that reduces inventory
                for level in range(levels):
                    bps = half + level * LEVEL_STEP_BPS - side * skew
                    level_price = price * (1.0 - side * max(bps, 0.1) / 1e4)
                    if lots > 0:
                        self.exchange.post(
                            self.account, c, side, lots, self.exchange.to_ticks(c, level_price)
                        )
