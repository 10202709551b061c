"""The scenario's settings of the market: contracts, the index and its scheduled shocks, spot
venues, order-flow shocks and the insurance fund (pydantic models, validated on assignment).

`model.population_settings` holds who trades; `model.scenario.Scenario` assembles both with the
venue and the run's length, and loads and overrides them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from model.tiers import TierTable


class ScenarioError(ValueError):
    """A scenario that cannot run: the message names the field and what is allowed."""


class StrictSettings(BaseModel):
    """Base of every settings model: unknown keys and non-finite numbers are refused."""

    # allow_inf_nan=False: NaN and ±inf are refused in every number, whatever its range.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Contract(StrictSettings):
    """One perpetual contract and its index."""

    symbol: str = "BTC-PERP"
    initial_price: float = Field(60_000.0, gt=0.0, description="index price at t=0 (USDT)")
    tick_size: float = Field(0.1, gt=0.0, description="price increment on the book (USDT)")
    lot_size: float = Field(0.001, gt=0.0, description="size increment on the book (base units)")
    volatility: float = Field(0.6, ge=0.0, le=10.0, description="annualised index volatility")
    tier_table: str | None = Field(None, description="tier preset; None uses the venue's")
    depth_scale: float = Field(1.0, gt=0.0, le=100.0, description="market-maker size multiplier")

    @field_validator("tier_table")
    @classmethod
    def _known_tier_table(cls, name: str | None) -> str | None:
        if name is not None and name not in TierTable.available():
            raise ValueError(f"must be one of {TierTable.available()}")
        return name


class ShockSettings(StrictSettings):
    """A scheduled index move of ``change_pct`` percent over ``duration`` seconds from ``start``."""

    start: float = Field(600.0, ge=0.0, description="seconds after the start")
    duration: float = Field(60.0, gt=0.0, description="seconds the move is spread over")
    change_pct: float = Field(-10.0, gt=-99.0, le=1000.0, description="total move in percent")
    contracts: list[int] | None = Field(None, description="contract indices; None = all")


class SpotSettings(StrictSettings):
    """The spot venues whose prices make up the index (``index.mode = "spot"``)."""

    venues: int = Field(3, ge=1, le=20, description="spot venues per underlying")
    weights: list[float] | None = Field(
        None, description="index weight of each venue (≥ 0, not all 0); None: equal weights"
    )
    outlier_pct: float = Field(
        5.0, gt=0.0, le=100.0, description="a venue this far from the median gets weight 0 (%)"
    )
    makers_per_venue: int = Field(2, ge=1, le=50, description="liquidity providers per venue")
    depth_scale: float = Field(1.0, gt=0.0, le=100.0, description="spot maker size multiplier")
    noise: int = Field(40, ge=0, le=100_000, description="spot noise traders")
    value_traders: int = Field(
        10, ge=0, le=10_000, description="spot traders who trade the gap to the fundamental value"
    )
    learning_bps: float = Field(
        0.0,
        ge=0.0,
        le=1000.0,
        description="how far (bps) spot makers' estimate of value moves per inventory limit of "
        "net flow they absorb (permanent impact); 0: they know the fundamental value",
    )
    learning_halflife: float = Field(
        600.0,
        gt=0.0,
        le=1e7,
        description="seconds for half of what spot makers learned from flow to fade back to the "
        "fundamental value",
    )

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, weights: list[float] | None) -> list[float] | None:
        if weights is not None and (any(w < 0 for w in weights) or not any(weights)):
            raise ValueError(f"must be ≥ 0 and not all 0, got {weights}")
        return weights


class IndexSettings(StrictSettings):
    """The fundamental value process, and how the index is made from it."""

    mode: Literal["spot", "exogenous"] = Field(
        "spot",
        description="spot: the index is the weighted average of spot venues' prices, which "
        "react to the fundamental value and to arbitrage flow; exogenous: the index is the "
        "fundamental value itself (no feedback to the index)",
    )
    correlation: float = Field(0.8, ge=-1.0, le=1.0, description="between contracts' returns")
    jump_intensity: float = Field(0.0, ge=0.0, le=10_000.0, description="jumps per day")
    jump_mean: float = Field(0.0, ge=-1.0, le=1.0, description="mean log jump size")
    jump_std: float = Field(0.0, ge=0.0, le=1.0, description="std of log jump size")
    shocks: list[ShockSettings] = Field(default_factory=list)
    replay: str | None = Field(None, description="CSV of time,price to replay instead of GBM")


class FlowShock(StrictSettings):
    """Exogenous market orders: ``notional`` USDT (negative sells) spread evenly over
    ``duration`` seconds from ``start``, on the perpetual or on one spot venue."""

    start: float = Field(600.0, ge=0.0, description="seconds after the start")
    duration: float = Field(60.0, gt=0.0, description="seconds the orders are spread over")
    notional: float = Field(-20_000_000.0, description="USDT of market orders; negative sells")
    market: Literal["perp", "spot"] = Field("perp", description="where the orders go")
    contract: int = Field(0, ge=0, description="contract (underlying) index")
    venue: int = Field(0, ge=0, description="spot venue index (market = spot)")

    @field_validator("notional")
    @classmethod
    def _nonzero(cls, notional: float) -> float:
        if notional == 0:
            raise ValueError("must not be 0 (negative sells, positive buys)")
        return notional


class InsuranceFund(StrictSettings):
    """Starting balance of the insurance fund (each, when the venue keeps one per contract)."""

    initial: float = Field(1_000_000.0, ge=0.0, description="USDT")
