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
    wide_spread_pct: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description="a venue whose spread is wider than this (% of its mid) gives the index "
        "its last trade held inside the spread instead of its mid; 0: always the last trade "
        "(Binance's latest price); 100: the mid whenever both sides are quoted (chosen: 1%, "
        "the distance from the median at which Binance caps a BTC or ETH index source)",
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
    betas: list[float] | None = Field(
        None,
        description="each underlying's beta to the first (1 for the first): a one-factor model "
        "of the value signals that replaces correlation, and a shock that names no contracts "
        "moves each by its beta times the shock's log move (market-wide news); None: "
        "correlation, and every shock moves its contracts alike",
    )
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


class Stepping(StrictSettings):
    """How long each step is: always ``step`` seconds (fixed), or longer while nothing happens
    (adaptive, `model.stepping`)."""

    policy: Literal["fixed", "adaptive"] = Field(
        "fixed",
        description="fixed: every step is `step` seconds; adaptive: steps of up to max_step "
        "while no trigger runs or ended in the last calm_after seconds, no account is near "
        "liquidation, and nothing was liquidated, deleveraged or left in deficit and the mark "
        "did not jump in the last event_window seconds (the time series then has a row per "
        "step, and its statistics assume rows of one second: keep fixed for stylized facts)",
    )
    max_step: float = Field(
        30.0, gt=0.0, le=3600.0, description="seconds: the longest step (adaptive)"
    )
    calm_after: float = Field(
        30.0,
        ge=0.0,
        le=86_400.0,
        description="seconds of one-`step` steps after a trigger ends (adaptive)",
    )
    event_window: float = Field(
        5.0,
        ge=0.0,
        le=86_400.0,
        description="seconds of one-`step` steps after an event (liquidation, takeover, ADL, "
        "deficit) or a jump of the mark (adaptive)",
    )
    jump_bps: float = Field(
        20.0,
        gt=0.0,
        le=10_000.0,
        description="a move of the mark in one step larger than this (bps) keeps steps short "
        "(adaptive)",
    )
    near_sigmas: float = Field(
        2.0,
        gt=0.0,
        le=100.0,
        description="a step is no longer than the time over which some account is this many "
        "standard deviations of the mark from liquidation (adaptive)",
    )
    material_notional: float = Field(
        0.0,
        ge=0.0,
        description="USDT per unit of a contract's depth_scale: smaller positions (cross "
        "accounts: smaller in sum) do not shorten steps when near liquidation, and smaller "
        "liquidation, ADL and offload fills do not open the event window; 0 (the default): "
        "all do (adaptive; faster, but counts of liquidations and cascades change: "
        "docs/performance.md)",
    )


class PriceFormation(StrictSettings):
    """Who knows what the asset is worth, and how order flow moves the quotes.

    By default prices are made by trading (the *flow mode*); with a scripted price path
    (``index.mode = "exogenous"`` or ``index.replay``), or with ``makers_know_value = true``,
    the makers are told the value (the scripted baseline). Then spot makers quote around the value
    signal and perpetual makers around the index with a basis that fades in seconds: a trigger
    moves prices only within the makers' inventory lean. Without it the makers quote around a
    belief learned from the order flow they see (Kyle 1985; Glosten & Milgrom 1985): the value
    signal reaches prices only through the spot value traders' (informed) trades, their depth
    comes back at a finite rate after it is taken (book resilience, Obizhaeva & Wang 2013), and
    they cut size as they lose money (Brunnermeier & Pedersen 2009). The impact and the
    informed traders' position per bp of gap were set by the calm and news checks of
    `experiments.batch.price_checks`; the other numbers are chosen (docs/price-formation.md)."""

    makers_know_value: bool | None = Field(
        None,
        description="None: prices made by trading, except with a scripted price path "
        "(index.mode = 'exogenous' or index.replay), where makers are told it; true: makers "
        "quote around the value signal (the scripted baseline); false: around a belief learned "
        "from order flow, and only informed traders see the value",
    )
    impact_bps: float = Field(
        10.0,
        ge=0.0,
        le=1000.0,
        description="permanent move (bps) of the makers' belief per 1M USDT of net taker flow "
        "on the perpetual and the spot venues (per unit of the contract's depth_scale); flow "
        "mode only",
    )
    run_scale: float = Field(
        0.0,
        ge=0.0,
        description="USDT of net flow in one direction (per unit of depth_scale) beyond which "
        "the makers learn less from more of it: a run of size R moves their belief as "
        "2·run_scale·(√(1 + R/run_scale) − 1) × impact, the square-root law of a metaorder's "
        "impact (Farmer, Gerig, Lillo & Waelbroeck 2013); 0: every USDT moves it alike (Kyle "
        "1985); flow mode only",
    )
    run_halflife: float = Field(
        600.0,
        gt=0.0,
        le=86_400.0,
        description="seconds for the makers to forget half of a run of flow in one direction "
        "(with run_scale above 0); flow mode only",
    )
    permanent_share: float = Field(
        2.0 / 3.0,
        ge=0.0,
        le=1.0,
        description="share of a run's move of the belief that stays once the makers have "
        "forgotten the run (with run_scale above 0): 2/3 is the fair-pricing value for "
        "square-root impact (Farmer et al. 2013); flow mode only",
    )
    refill_halflife: float = Field(
        20.0,
        ge=0.0,
        le=3600.0,
        description="seconds for half of the depth a maker lost to fills to come back "
        "(0: at once); flow mode only",
    )
    loss_limit: float = Field(
        0.2,
        gt=0.0,
        le=1.0,
        description="share of its capital a maker may lose from its peak before it quotes only "
        "the side that cuts its inventory (size shrinks in proportion on the way); flow mode only",
    )
    step_away_multiple: float = Field(
        0.0,
        ge=0.0,
        le=1000.0,
        description="realised volatility of the mark, as a multiple of its calm level, above "
        "which a maker (perpetual or spot) quotes only the side that cuts its inventory: it "
        "stops absorbing a fast one-way market (0: never); flow mode only",
    )
    inventory_limit: float = Field(
        10_000_000.0,
        gt=0.0,
        description="USDT of inventory (per unit of depth_scale) at which a perpetual maker "
        "stops quoting the side that adds to it; flow mode only",
    )
    informed_threshold_bps: float = Field(
        1.0,
        ge=0.0,
        le=1000.0,
        description="gap (bps) between price and value below which informed traders do "
        "nothing; flow mode only",
    )
    informed_clip_per_bps: float = Field(
        25_000.0,
        gt=0.0,
        description="USDT an informed trader sends per look per bp of gap beyond its "
        "threshold; flow mode only",
    )
    informed_max_clip: float = Field(
        500_000.0, gt=0.0, description="USDT per look at most (informed traders); flow mode only"
    )
    informed_capital: float = Field(
        20_000_000.0,
        gt=0.0,
        description="USDT each informed (spot value) trader holds, and as much again in coins of "
        "every underlying; flow mode only (the baseline's value traders hold 5M)",
    )
    informed_max_position: float = Field(
        2_500_000.0,
        gt=0.0,
        description="USDT of position (long or short, against its starting coins) an informed "
        "trader holds at most while the gap is narrow: its risk limit; flow mode only",
    )
    informed_position_per_bps: float = Field(
        100_000.0,
        ge=0.0,
        description="USDT of position an informed trader may hold per bp of gap, where that "
        "is more than informed_max_position (conviction grows with the edge); flow mode only",
    )
    informed_perp_traders: int = Field(
        0,
        ge=0,
        le=1000,
        description="informed traders who trade the value signal on the perpetual itself "
        "(agents/informed_perp.py), with the informed traders' rules, informed_capital of "
        "margin each at 2x; flow mode only",
    )
    latent_traders: int = Field(
        2, ge=0, le=100, description="patient limit-order traders (the latent book); flow mode only"
    )
    latent_capital: float = Field(
        15_000_000.0, gt=0.0, description="USDT of margin each latent trader holds (at 3x)"
    )
    latent_size: float = Field(
        100_000.0,
        ge=0.0,
        description="USDT at the latent book's first level per trader (per unit of depth_scale); "
        "level k holds k times as much",
    )
    latent_step_bps: float = Field(
        25.0, gt=0.0, le=1000.0, description="distance (bps) between the latent book's levels"
    )
    latent_levels: int | None = Field(
        None,
        ge=1,
        le=200,
        description="latent levels per side; None: as many as the trader's buying power "
        "(latent_capital at 3x) pays for, the ladder stopping where its capital is committed "
        "(at most 200); flow mode only",
    )
    latent_halflife: float = Field(
        300.0,
        gt=0.0,
        le=86_400.0,
        description="seconds: half-life of the moving average of the mark the latent book "
        "hangs from",
    )
