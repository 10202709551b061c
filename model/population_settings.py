"""The scenario's settings of who trades: counts per kind, the distributions traders are drawn
from, their strategies, defences and herding, the arbitrageurs and the hedgers (pydantic
models). `agents.population.Population` builds the traders from `PopulationSettings`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from model.settings import StrictSettings


class Arbitrage(StrictSettings):
    """Basis arbitrageurs between the perpetual and spot."""

    edge_bps: float = Field(8.0, gt=0.0, le=1000.0, description="basis beyond which they trade")
    delay: float = Field(1.0, ge=0.0, le=3600.0, description="seconds between looks (reaction)")
    capital: float = Field(3_000_000.0, gt=0.0, description="USDT of perpetual margin each")
    leverage: float = Field(5.0, ge=1.0, le=125.0, description="capacity = capital × leverage")
    replenish_rate: float = Field(
        20_000.0, ge=0.0, description="USDT of capacity per second arriving while at the limit"
    )


class Strategies(StrictSettings):
    """How leveraged traders trade after opening (Thurner–Farmer–Geanakoplos value funds and
    trend followers); the rest hold their position and act only through defences."""

    value_share: float = Field(0.0, ge=0.0, le=1.0, description="share that are value funds")
    trend_share: float = Field(0.0, ge=0.0, le=1.0, description="share that follow trends")
    rate: float = Field(
        0.05, gt=0.0, le=10.0, description="rebalancing decisions per second per trader"
    )
    value_aggression: float = Field(
        200.0, gt=0.0, le=10_000.0, description="target leverage per unit of mispricing"
    )
    value_dispersion: float = Field(
        0.003, ge=0.0, le=0.5, description="log-std of value estimates around the fundamental"
    )
    value_long_only: bool = Field(
        False,
        description="value funds only buy what is cheap and never short what is dear, like the "
        "funds of Thurner, Farmer & Geanakoplos (2012)",
    )
    trend_lookback: float = Field(
        60.0, gt=0.0, le=86_400.0, description="seconds (the median, with a dispersion)"
    )
    trend_lookback_dispersion: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="log-std of each trend follower's own lookback around trend_lookback (0: one "
        "lookback for all; real trend followers use many)",
    )
    trend_scale: float = Field(
        0.003, gt=0.0, le=1.0, description="return over the lookback that means full size"
    )
    min_trade: float = Field(
        0.1, ge=0.0, le=1.0, description="share of the target a trade must change at least"
    )
    flow_sensitivity: float = Field(
        0.0,
        ge=0.0,
        le=100.0,
        description="investors' money following value funds' performance (TFG's b): share of "
        "a fund's equity paid in or taken out per unit of smoothed excess return; 0 is off",
    )
    flow_smoothing: float = Field(
        0.1,
        gt=0.0,
        le=1.0,
        description="weight of the latest interval's return in investors' moving average of a "
        "fund's performance (TFG's a)",
    )
    flow_benchmark: float = Field(
        0.0,
        ge=-1.0,
        le=1.0,
        description="return per interval investors expect of a fund; below it they take money out",
    )
    flow_interval: float = Field(
        60.0, gt=0.0, le=86_400.0, description="seconds between investors' looks at their funds"
    )

    @model_validator(mode="after")
    def _shares(self) -> Strategies:
        if self.value_share + self.trend_share > 1.0 + 1e-9:
            raise ValueError(
                f"value_share + trend_share = {self.value_share + self.trend_share:g}; "
                "allowed: at most 1"
            )
        return self


class NoiseDemandSettings(StrictSettings):
    """The wandering aggregate demand of uninformed traders on each perpetual (TFG's noise
    traders): a position that follows an Ornstein–Uhlenbeck process around 0."""

    std: float = Field(
        0.0, ge=0.0, le=1e10, description="USDT: standard deviation of the position; 0 is off"
    )
    halflife: float = Field(
        600.0, gt=0.0, le=1e7, description="seconds for half of a deviation to fade"
    )


class LeverageDistribution(StrictSettings):
    """Leverage of directional traders: lognormal around a median, clipped to [1, cap]."""

    median: float = Field(10.0, ge=1.0, le=125.0, description="median leverage")
    sigma: float = Field(0.8, ge=0.0, le=3.0, description="log-std of leverage")
    high_share: float = Field(
        0.0, ge=0.0, le=1.0, description="extra share drawn at high_leverage (for sweeps)"
    )
    high_leverage: float = Field(50.0, ge=1.0, le=125.0, description="leverage of that share")


class CapitalDistribution(StrictSettings):
    """Starting capital of directional traders (USDT): lognormal."""

    median: float = Field(10_000.0, gt=0.0, description="median deposit")
    sigma: float = Field(1.0, ge=0.0, le=3.0, description="log-std of deposit")


class Defences(StrictSettings):
    """Share of traders using each defence from the seed article, and its setting."""

    stop_loss_share: float = Field(0.2, ge=0.0, le=1.0)
    stop_loss_pct: float = Field(0.05, gt=0.0, le=0.9, description="stop distance from entry")
    topup_share: float = Field(0.2, ge=0.0, le=1.0)
    topup_threshold: float = Field(0.8, gt=0.0, le=1.0, description="margin ratio that triggers")
    reserve_pct: float = Field(0.3, ge=0.0, le=0.9, description="share of capital kept in reserve")
    reduce_share: float = Field(0.1, ge=0.0, le=1.0)
    reduce_threshold: float = Field(0.7, gt=0.0, le=1.0, description="margin ratio that triggers")


class Herding(StrictSettings):
    """Social network over traders: panic spreads to neighbours."""

    strength: float = Field(0.0, ge=0.0, le=1.0, description="0 switches herding off")
    mean_degree: float = Field(4.0, ge=0.0, le=100.0)
    rewire: float = Field(0.1, ge=0.0, le=1.0, description="small-world rewiring probability")


class Carry(StrictSettings):
    """How the carry traders (``population.counterparties = "carry"``) size their position by
    what it earns: the funding a short receives from longs (a long from shorts) and the basis it
    collects when the perpetual converges to the index. 0 sensitivity: they hold their starting
    position (the default). Every number here is chosen, not measured."""

    sensitivity: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="change of the position, as a multiple of the starting one, per bp of "
        "expected carry over horizon beyond what it was at the start; 0: they never trade",
    )
    horizon: float = Field(
        28_800.0,
        gt=0.0,
        le=31_536_000.0,
        description="seconds over which they expect to hold: the funding payments it spans and "
        "the basis, collected once",
    )
    max_multiple: float = Field(
        2.0, ge=1.0, le=10.0, description="the largest position, as a multiple of the starting one"
    )
    look: float = Field(10.0, gt=0.0, le=3600.0, description="seconds between looks")
    clip: float = Field(
        250_000.0, gt=0.0, description="USDT each carry trader trades per look at most"
    )


class Hedgers(StrictSettings):
    """Many low-leverage holders of the other side of the leveraged crowd's net position:
    delta-neutral funds and basis (cash-and-carry) traders, long spot off the venue and short
    the perpetual (when the crowd is net long). Used with ``population.counterparties =
    "hedgers"``; their number follows from the crowd's net position and their sizes."""

    notional_median: float = Field(
        50_000.0, gt=0.0, description="median position notional of one hedger (USDT)"
    )
    notional_sigma: float = Field(1.0, ge=0.0, le=3.0, description="log-std of position notional")
    leverage_median: float = Field(
        0.3, ge=0.01, le=125.0, description="median effective leverage: notional / equity"
    )
    leverage_sigma: float = Field(0.5, ge=0.0, le=3.0, description="log-std of effective leverage")


class PopulationSettings(StrictSettings):
    """Who trades: counts per kind and the distributions they are drawn from."""

    market_makers: int = Field(4, ge=0, le=1000)
    noise: int = Field(50, ge=0, le=100_000)
    leveraged: int = Field(300, ge=0, le=1_000_000)
    momentum: int = Field(20, ge=0, le=100_000)
    arbitrageurs: int = Field(3, ge=0, le=1000)
    whales: int = Field(2, ge=0, le=1000)
    max_leverage: float = Field(125.0, ge=1.0, le=125.0, description="cap on every trader")
    cap_providers: bool = Field(
        True,
        description="max_leverage caps market makers and arbitrageurs too; false: they keep "
        "their own leverage (within the venue's first tier), so a sweep of the cap changes the "
        "traders' leverage alone, as in Thurner, Farmer & Geanakoplos (2012)",
    )
    leverage: LeverageDistribution = LeverageDistribution()
    capital: CapitalDistribution = CapitalDistribution()
    isolated_share: float = Field(0.5, ge=0.0, le=1.0, description="share in isolated mode")
    contract_weights: list[float] | None = Field(
        None,
        description="how often each contract is a leveraged trader's home contract (≥ 0, not "
        "all 0, one per contract; normalised); None: equally often",
    )
    portfolio_contracts: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="contracts a cross-margin leveraged trader holds: its home contract and "
        "this many minus one others, drawn by contract_weights without replacement (at most "
        "all); None: every contract. Isolated traders hold their home contract only",
    )
    long_bias: float = Field(0.5, ge=0.0, le=1.0, description="share of directional longs")
    defences: Defences = Defences()
    herding: Herding = Herding()
    arbitrage: Arbitrage = Arbitrage()
    strategies: Strategies = Strategies()
    noise_demand: NoiseDemandSettings = NoiseDemandSettings()
    entry_dispersion: float = Field(
        0.01,
        ge=0.0,
        le=0.5,
        description="log-std of holders' starting entry prices around the initial price (open "
        "interest built up before the run, at the prices of the weeks before)",
    )
    entry_room: float = Field(
        0.5,
        ge=0.0,
        lt=1.0,
        description="share of the gap between initial and maintenance margin that an adverse "
        "starting entry may use at most (1 would start a trader in liquidation)",
    )
    entry_rate: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="per second: chance a liquidated or departed leveraged trader's place is "
        "taken by a new entrant (0: nobody replaces them)",
    )
    counterparties: Literal["carry", "hedgers"] = Field(
        "carry",
        description="who holds the other side of the leveraged traders' starting positions: "
        "carry = ten synthetic carry accounts at 1x; hedgers = many low-leverage hedgers drawn "
        "from population.hedgers",
    )
    hedgers: Hedgers = Hedgers()
    carry: Carry = Carry()
