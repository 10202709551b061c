"""Venue presets: the published rules of one exchange, loaded from a TOML data file.

A venue fixes everything the exchange decides (tier table, fees, liquidation style, mark price
method, funding, insurance fund and ADL rules); a scenario picks a venue by name and may override
any field with a dotted key such as ``venue.liquidation.clearance_fee=0.005``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from model.tiers import TierTable

PRESET_DIR = Path(__file__).parent / "presets" / "venues"


class _Strict(BaseModel):
    # allow_inf_nan=False: NaN and ±inf are refused in every number, whatever its range.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class LiquidationRules(_Strict):
    """How the venue closes a position that breached maintenance margin."""

    style: Literal["binance", "bybit", "okx", "hyperliquid"] = Field(
        "binance", description="liquidation sequence (spec §3)"
    )
    clearance_fee: float = Field(
        0.003, ge=0.0, le=0.05, description="fee on liquidated notional, paid to the fund"
    )
    partial_threshold: float = Field(
        100_000.0, ge=0.0, description="hyperliquid: notional above which 20% slices are used"
    )
    partial_fraction: float = Field(
        0.2, gt=0.0, le=1.0, description="hyperliquid: share of the position per slice"
    )
    cooldown_seconds: float = Field(30.0, ge=0.0, description="hyperliquid: pause between slices")
    backstop_fraction: float = Field(
        2.0 / 3.0, ge=0.0, le=1.0, description="hyperliquid: vault takes over below this x MM"
    )
    impact: Literal["book", "off_book"] = Field(
        "book",
        description="book: liquidation and offload orders go into the order book; off_book: "
        "they close at the mark against an outside party with no price impact (an ablation)",
    )


class MarkRules(_Strict):
    """Which mark price the venue liquidates on."""

    method: Literal["binance", "hyperliquid", "last", "index"] = "binance"
    window_seconds: float = Field(
        30.0, gt=0.0, le=7200.0, description="basis moving-average window or EMA time constant"
    )
    external: Literal["index", "none"] = Field(
        "index",
        description="hyperliquid: other venues' perp mids, the third component of the median, "
        "taken at the index; none leaves it out",
    )


class FundingRules(_Strict):
    """Funding rate formula and schedule (spec §6)."""

    interval_seconds: float = Field(28_800.0, gt=0.0, description="time between settlements")
    interest: float = Field(0.0001, ge=-0.01, le=0.01, description="interest rate per interval")
    clamp: float = Field(0.0005, ge=0.0, le=0.01, description="clamp on (interest - premium)")
    cap: float | None = Field(None, gt=0.0, le=0.1, description="cap on |funding rate|")
    payout_divisor: float = Field(1.0, ge=1.0, description="hyperliquid pays F/8 each hour")


class InsuranceRules(_Strict):
    """Insurance fund scope, position limit and the drawdown ADL trigger (spec §4)."""

    scope: Literal["per_contract", "shared"] = "per_contract"
    max_position_pct: float | None = Field(
        None,
        ge=0.0,
        le=10.0,
        description="max net position notional as a share of the balance (Binance: 1.0); "
        "None for no cap",
    )
    offload_fraction: float = Field(
        0.1,
        gt=0.0,
        le=1.0,
        description="share of a held position offloaded into the book per step (an adaptive "
        "step of n steps offloads 1 − (1 − share)^n)",
    )
    drawdown_trigger: bool = Field(False, description="ADL when the fund falls fast from its peak")
    drawdown_pct: float = Field(
        0.30, gt=0.0, le=1.0, description="fall from the peak that triggers"
    )
    drawdown_window_seconds: float = Field(28_800.0, gt=0.0, description="window of that fall")


class AdlRules(_Strict):
    """Auto-deleveraging price and ranking (spec §5)."""

    price: Literal["bankruptcy", "mark", "index"] = "bankruptcy"
    ranking: Literal["bitmex", "binance", "pnl", "pro_rata", "haircut", "minimal"] = "bitmex"
    fee: float = Field(0.0, ge=0.0, le=0.01, description="trading fee charged on ADL fills")


class Venue(_Strict):
    """All the rules of one venue."""

    name: str = "binance"
    description: str = ""
    tier_table: str = Field("binance-btcusdt", description="name of a tier table preset")
    maker_fee: float = Field(0.0002, ge=-0.001, le=0.01)
    taker_fee: float = Field(0.0005, ge=0.0, le=0.01)
    liquidation: LiquidationRules = LiquidationRules()
    mark: MarkRules = MarkRules()
    funding: FundingRules = FundingRules()
    insurance: InsuranceRules = InsuranceRules()
    adl: AdlRules = AdlRules()

    @field_validator("tier_table")
    @classmethod
    def _known_tier_table(cls, name: str) -> str:
        if name not in TierTable.available():
            raise ValueError(f"must be one of {TierTable.available()}")
        return name

    @classmethod
    def preset(cls, name: str) -> Venue:
        """Load a venue preset by name (see `available_venues`)."""
        return cls.model_validate(load_venue_data(name))


def available_venues() -> list[str]:
    """Names of the venue presets shipped with the model."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def load_venue_data(name: str) -> dict[str, object]:
    """The raw dictionary of a venue preset, for merging with scenario overrides."""
    path = PRESET_DIR / f"{name}.toml"
    if not path.is_file():
        raise ValueError(f"venue must be one of {available_venues()}, got {name!r}")
    with path.open("rb") as f:
        return tomllib.load(f)
