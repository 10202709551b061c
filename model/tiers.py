"""Margin tiers: maintenance margin rates and maximum leverage by position notional.

Maintenance margin is piecewise linear and continuous in notional (shared/spec/exchange-mechanics.md
§1), ``MM(N) = N·MMR_tier − maint_amount_tier`` with
``maint_amount_n = maint_amount_{n−1} + floor_n·(MMR_n − MMR_{n−1})``. Tier tables are data
(``model/presets/tiers/*.toml``); `TierTable.preset` loads them. The prices that follow from
them (liquidation, bankruptcy) are in `model.margin`.
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
        check_finite("notional", notional)
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
        check_finite("leverage", leverage)
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
        check_finite("notional", notional)


def check_finite(name: str, value: float) -> None:
    """Refuse anything but a finite number (``name`` says which argument it was)."""
    if not isinstance(value, int | float | np.floating | np.integer) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
