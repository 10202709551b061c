"""Tiered maintenance margin, liquidation price and bankruptcy price: the public formula API.

Every formula follows shared/spec/exchange-mechanics.md §1–2 (the venues' published rules):

* maintenance margin is piecewise linear and continuous in notional,
  ``MM(N) = N·MMR_tier − maint_amount_tier`` with
  ``maint_amount_n = maint_amount_{n−1} + floor_n·(MMR_n − MMR_{n−1})``;
* the Binance one-way liquidation price
  ``LP = (WB − TMM + UPNL + cum − side·Q·E) / (Q·MMR − side·Q)`` uses the tier that contains the
  notional *at the liquidation price*;
* the bankruptcy price is where the position's margin balance is exactly zero.

Tier tables are data (``model/presets/tiers/*.toml``); `TierTable.preset` loads them.

Example:
    >>> table = TierTable.preset("binance-btcusdt")
    >>> table.maintenance_margin(100_000.0)   # 0.5% of 100k minus the 50 USDT amount
    450.0
    >>> round(liquidation_price(+1, 1.0, 60_000.0, 6_000.0, table), 2)
    54221.11
"""

from __future__ import annotations

import math
import tomllib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

TIER_DIR = Path(__file__).parent / "presets" / "tiers"


@dataclass(frozen=True, slots=True)
class Tier:
    """One margin tier: notional in ``(floor, cap]``, its max leverage and maintenance rate.

    Args:
        floor: lowest notional of the tier (USDT).
        cap: highest notional of the tier (USDT); ``math.inf`` for an open last tier.
        max_leverage: highest leverage allowed for a position whose notional is in the tier.
        mmr: maintenance margin rate (fraction of notional).
        maint_amount: the amount subtracted from ``notional·mmr`` (Binance "cum"); None derives
            it from the recurrence in `TierTable`.
    """

    floor: float
    cap: float
    max_leverage: float
    mmr: float
    maint_amount: float | None = None

    @property
    def initial_margin_rate(self) -> float:
        """Initial margin per unit notional at the tier's max leverage."""
        return 1.0 / self.max_leverage


class TierTable:
    """An ordered, contiguous set of tiers with vectorised lookups.

    Args:
        tiers: tiers in increasing notional; the first floor is 0 and each floor is the previous
            cap. Maintenance amounts left as None are derived; given ones are used as is.

    Raises:
        ValueError: tiers that are empty, not contiguous, with rates out of range, or with a
            maintenance amount that makes maintenance margin jump at a tier boundary.
    """

    def __init__(self, tiers: Sequence[Tier], name: str = "custom") -> None:
        if not tiers:
            raise ValueError("tiers: at least one tier is required")
        self.name = name
        resolved: list[Tier] = []
        amount = 0.0
        prev_mmr = 0.0
        for i, tier in enumerate(tiers):
            _check_tier(i, tier, resolved[-1] if resolved else None)
            below = tier.floor * prev_mmr - amount  # MM just below this tier's floor
            amount = 0.0 if i == 0 else round(amount + tier.floor * (tier.mmr - prev_mmr), 6)
            given = tier.maint_amount
            if given is not None and i > 0 and not _close(given, amount, tier.floor * tier.mmr):
                # MM(N) = N·mmr − amount must be the same on both sides of the boundary.
                raise ValueError(
                    f"tiers[{i}].maint_amount {given:g} makes maintenance margin jump at the "
                    f"boundary {tier.floor:g} (from {below:g} to {tier.floor * tier.mmr - given:g}); "
                    f"allowed: {amount:g}, which keeps it continuous (or None to derive it)"
                )
            resolved.append(
                Tier(
                    tier.floor,
                    tier.cap,
                    tier.max_leverage,
                    tier.mmr,
                    amount if given is None else given,
                )
            )
            if given is not None:
                amount = given
            prev_mmr = tier.mmr
        self.tiers: tuple[Tier, ...] = tuple(resolved)
        self.floors = np.array([t.floor for t in resolved])
        self.caps = np.array([t.cap for t in resolved])
        self.mmrs = np.array([t.mmr for t in resolved])
        self.amounts = np.array([t.maint_amount for t in resolved], dtype=float)
        self.max_leverages = np.array([t.max_leverage for t in resolved])
        self._caps = [float(t.cap) for t in resolved]  # for scalar lookups on the order path
        # every cap but the last: a search in it lands in the last tier beyond the last cap,
        # which saves the clamp of `_index` on the per-step path (`maintenance_of`)
        self._inner_caps = self.caps[:-1].copy()

    def __repr__(self) -> str:
        return f"TierTable({self.name!r}, {len(self.tiers)} tiers)"

    def __len__(self) -> int:
        return len(self.tiers)

    @classmethod
    def preset(cls, name: str) -> TierTable:
        """Load a tier table shipped in ``model/presets/tiers`` (e.g. ``"binance-btcusdt"``)."""
        return _load_preset(name)

    @staticmethod
    def available() -> list[str]:
        """Names of the shipped tier tables."""
        return sorted(p.stem for p in TIER_DIR.glob("*.toml"))

    # ---- lookups (scalar) -------------------------------------------------------------------
    def index_of(self, notional: float | np.ndarray) -> np.ndarray:
        """Tier index containing each notional (tiers are ``(floor, cap]``, 0 is in the first);
        notionals beyond the last cap stay in the last tier. A negative notional (a short's
        signed value) counts by its size.

        Raises:
            ValueError: a notional that is NaN or infinite.
        """
        _check_notional(notional)
        return self._index(notional)

    def _index(self, notional: float | np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.caps, np.abs(notional), side="left")
        return np.minimum(idx, len(self.tiers) - 1)

    def tier_for(self, notional: float) -> Tier:
        """The tier that contains ``notional`` (USDT)."""
        _check_finite("notional", notional)
        return self.tiers[int(self._index(notional))]

    def maintenance_margin(self, notional: float | np.ndarray) -> float | np.ndarray:
        """Maintenance margin (USDT) of a position of this notional; vectorised over arrays.

        Raises:
            ValueError: a notional that is NaN or infinite.
        """
        _check_notional(notional)
        n = np.abs(notional)
        i = self._index(n)
        mm = n * self.mmrs[i] - self.amounts[i]
        return float(mm) if np.ndim(mm) == 0 else mm

    def maintenance_of(self, notional: np.ndarray) -> np.ndarray:
        """`maintenance_margin` of an array of notionals already known to be finite and ≥ 0
        (the risk check's, on a finite positive mark): the same lookup and arithmetic
        without the checks, in three NumPy calls."""
        i = np.searchsorted(self._inner_caps, notional, side="left")
        return notional * self.mmrs[i] - self.amounts[i]

    def max_leverage(self, notional: float | np.ndarray) -> float | np.ndarray:
        """Highest leverage allowed at this notional; vectorised over arrays.

        Raises:
            ValueError: a notional that is NaN or infinite.
        """
        _check_notional(notional)
        out = self.max_leverages[self._index(notional)]
        return float(out) if np.ndim(out) == 0 else out

    def max_leverage_at(self, notional: float) -> float:
        """`max_leverage` of one finite notional, without array overhead (order entry)."""
        i = min(bisect_left(self._caps, abs(notional)), len(self.tiers) - 1)
        return float(self.tiers[i].max_leverage)

    def max_notional(self, leverage: float) -> float:
        """Largest notional that can be held at ``leverage`` (the cap of the last tier allowing it).

        Raises:
            ValueError: a leverage that is not a finite number ≥ 1.
        """
        _check_finite("leverage", leverage)
        if leverage < 1:
            raise ValueError(f"leverage must be ≥ 1, got {leverage!r}")
        allowed = self.caps[self.max_leverages >= leverage]
        return float(allowed.max()) if allowed.size else 0.0


@cache
def _load_preset(name: str) -> TierTable:
    path = TIER_DIR / f"{name}.toml"
    if not path.is_file():
        raise ValueError(
            f"tier table {name!r} not found; available: {', '.join(TierTable.available())}"
        )
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return TierTable([Tier(**row) for row in data["tiers"]], name=data.get("name", name))


def _check_tier(i: int, tier: Tier, prev: Tier | None) -> None:
    where = f"tiers[{i}]"
    for field in ("floor", "cap", "max_leverage", "mmr"):
        value = getattr(tier, field)
        if not isinstance(value, int | float) or math.isnan(value):
            raise ValueError(f"{where}.{field} must be a number, got {value!r}")
    if prev is None and tier.floor != 0:
        raise ValueError(f"{where}.floor must be 0 for the first tier, got {tier.floor}")
    if prev is not None and tier.floor != prev.cap:
        raise ValueError(f"{where}.floor {tier.floor} must equal the previous cap {prev.cap}")
    if not tier.cap > tier.floor:
        raise ValueError(f"{where}.cap {tier.cap} must be above the floor {tier.floor}")
    if not tier.max_leverage >= 1:
        raise ValueError(f"{where}.max_leverage must be ≥ 1, got {tier.max_leverage}")
    if not 0 < tier.mmr <= 1 / tier.max_leverage:
        raise ValueError(
            f"{where}.mmr must be in (0, 1/max_leverage = {1 / tier.max_leverage:g}], got {tier.mmr}"
        )
    if prev is not None and (tier.mmr < prev.mmr or tier.max_leverage > prev.max_leverage):
        raise ValueError(f"{where}: mmr must not fall and max_leverage must not rise with notional")
    if tier.maint_amount is not None and not math.isfinite(tier.maint_amount):
        raise ValueError(f"{where}.maint_amount must be finite, got {tier.maint_amount!r}")


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(scale))


def _check_notional(notional: float | np.ndarray) -> None:
    """Refuse NaN and infinite notionals (cheap: one call per lookup, arrays checked at once)."""
    if isinstance(notional, np.ndarray):
        if notional.dtype.kind not in "iuf":
            raise ValueError(f"notional must be numbers, got an array of {notional.dtype}")
        if not np.isfinite(notional).all():
            bad = notional[~np.isfinite(notional)][0]
            raise ValueError(f"notional must be finite numbers, got {bad!r}")
    else:
        _check_finite("notional", notional)


def _check_finite(name: str, value: float) -> None:
    if not isinstance(value, int | float | np.floating | np.integer) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _check_price(price: float, name: str = "price") -> None:
    _check_finite(name, price)
    if price < 0:
        raise ValueError(f"{name} must be ≥ 0, got {price!r}")


def _check_position(side: int, qty: float, entry_price: float) -> None:
    if side not in (1, -1) or isinstance(side, bool):
        raise ValueError(f"side must be +1 (long) or -1 (short), got {side!r}")
    _check_finite("qty", qty)
    _check_finite("entry_price", entry_price)
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
        _check_finite(name, value)
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
    _check_finite("margin", margin)
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
    _check_finite("wallet_balance", wallet_balance)
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
    _check_finite("extra_margin", extra_margin)
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
    _check_finite("margin_available", margin_available)
    if not max_leverage >= 1 or not math.isfinite(max_leverage):
        raise ValueError(f"max_leverage must be a finite number ≥ 1, got {max_leverage!r}")
    l_rate = 1.0 / (2.0 * max_leverage)
    return max(0.0, price - side * margin_available / qty / (1.0 - l_rate * side))


# ---- Deribit ----------------------------------------------------------------------------------
DERIBIT_LIQUIDATION_FEE = 0.0075


def deribit_initial_margin_rate(size_btc: float) -> float:
    """Deribit BTC initial margin rate ``2% + 0.005%·size`` (size in BTC)."""
    _check_finite("size_btc", size_btc)
    return 0.02 + 0.00005 * abs(size_btc)


def deribit_maintenance_margin_rate(size_btc: float) -> float:
    """Deribit BTC maintenance margin rate ``1% + 0.005%·size`` (size in BTC)."""
    _check_finite("size_btc", size_btc)
    return 0.01 + 0.00005 * abs(size_btc)
