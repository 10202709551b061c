"""Scenarios: everything one simulation needs, validated before anything runs.

A scenario is a tree of pydantic models. Presets are TOML files in ``model/presets/scenarios``.
Every setting has a dotted key (``population.max_leverage``, ``insurance_fund.initial``,
``venue.adl.ranking``, ``contracts.0.initial_price``) that ``--set key=value`` overrides on every
command. Invalid input raises one `ScenarioError` naming the field and the allowed range.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from model.fundamental import load_replay
from model.margin import TierTable
from model.venue import Venue, load_venue_data

PRESET_DIR = Path(__file__).parent / "presets" / "scenarios"


class ScenarioError(ValueError):
    """A scenario that cannot run: the message names the field and what is allowed."""


# A replay must start within this relative distance of the contract's initial price.
REPLAY_START_TOLERANCE = 0.001


class _Strict(BaseModel):
    # allow_inf_nan=False: NaN and ±inf are refused in every number, whatever its range.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Contract(_Strict):
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


class Shock(_Strict):
    """A scheduled index move of ``change_pct`` percent over ``duration`` seconds from ``start``."""

    start: float = Field(600.0, ge=0.0, description="seconds after the start")
    duration: float = Field(60.0, gt=0.0, description="seconds the move is spread over")
    change_pct: float = Field(-10.0, gt=-99.0, le=1000.0, description="total move in percent")
    contracts: list[int] | None = Field(None, description="contract indices; None = all")


class SpotSettings(_Strict):
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


class IndexSettings(_Strict):
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
    shocks: list[Shock] = Field(default_factory=list)
    replay: str | None = Field(None, description="CSV of time,price to replay instead of GBM")


class FlowShock(_Strict):
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


class Arbitrage(_Strict):
    """Basis arbitrageurs between the perpetual and spot."""

    edge_bps: float = Field(8.0, gt=0.0, le=1000.0, description="basis beyond which they trade")
    delay: float = Field(1.0, ge=0.0, le=3600.0, description="seconds between looks (reaction)")
    capital: float = Field(3_000_000.0, gt=0.0, description="USDT of perpetual margin each")
    leverage: float = Field(5.0, ge=1.0, le=125.0, description="capacity = capital × leverage")
    replenish_rate: float = Field(
        20_000.0, ge=0.0, description="USDT of capacity per second arriving while at the limit"
    )


class Strategies(_Strict):
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


class NoiseDemandSettings(_Strict):
    """The wandering aggregate demand of uninformed traders on each perpetual (TFG's noise
    traders): a position that follows an Ornstein–Uhlenbeck process around 0."""

    std: float = Field(
        0.0, ge=0.0, le=1e10, description="USDT: standard deviation of the position; 0 is off"
    )
    halflife: float = Field(
        600.0, gt=0.0, le=1e7, description="seconds for half of a deviation to fade"
    )


class LeverageDistribution(_Strict):
    """Leverage of directional traders: lognormal around a median, clipped to [1, cap]."""

    median: float = Field(10.0, ge=1.0, le=125.0, description="median leverage")
    sigma: float = Field(0.8, ge=0.0, le=3.0, description="log-std of leverage")
    high_share: float = Field(
        0.0, ge=0.0, le=1.0, description="extra share drawn at high_leverage (for sweeps)"
    )
    high_leverage: float = Field(50.0, ge=1.0, le=125.0, description="leverage of that share")


class CapitalDistribution(_Strict):
    """Starting capital of directional traders (USDT): lognormal."""

    median: float = Field(10_000.0, gt=0.0, description="median deposit")
    sigma: float = Field(1.0, ge=0.0, le=3.0, description="log-std of deposit")


class Defences(_Strict):
    """Share of traders using each defence from the seed article, and its setting."""

    stop_loss_share: float = Field(0.2, ge=0.0, le=1.0)
    stop_loss_pct: float = Field(0.05, gt=0.0, le=0.9, description="stop distance from entry")
    topup_share: float = Field(0.2, ge=0.0, le=1.0)
    topup_threshold: float = Field(0.8, gt=0.0, le=1.0, description="margin ratio that triggers")
    reserve_pct: float = Field(0.3, ge=0.0, le=0.9, description="share of capital kept in reserve")
    reduce_share: float = Field(0.1, ge=0.0, le=1.0)
    reduce_threshold: float = Field(0.7, gt=0.0, le=1.0, description="margin ratio that triggers")


class Herding(_Strict):
    """Social network over traders: panic spreads to neighbours."""

    strength: float = Field(0.0, ge=0.0, le=1.0, description="0 switches herding off")
    mean_degree: float = Field(4.0, ge=0.0, le=100.0)
    rewire: float = Field(0.1, ge=0.0, le=1.0, description="small-world rewiring probability")


class Hedgers(_Strict):
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


class Population(_Strict):
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


class InsuranceFund(_Strict):
    """Starting balance of the insurance fund (each, when the venue keeps one per contract)."""

    initial: float = Field(1_000_000.0, ge=0.0, description="USDT")


class Scenario(_Strict):
    """Everything one simulation needs."""

    name: str = "custom"
    description: str = ""
    venue: Venue = Venue()
    contracts: list[Contract] = Field(default_factory=lambda: [Contract()], min_length=1)
    index: IndexSettings = IndexSettings()
    spot: SpotSettings = SpotSettings()
    flow_shocks: list[FlowShock] = Field(default_factory=list)
    population: Population = Population()
    insurance_fund: InsuranceFund = InsuranceFund()
    duration: float = Field(1800.0, gt=0.0, le=30 * 86_400.0, description="simulated seconds")
    step: float = Field(1.0, gt=0.0, le=3600.0, description="seconds per model step")
    seed: int = Field(1, ge=0, description="root seed")
    cascade_window: float = Field(
        30.0, gt=0.0, le=3600.0, description="seconds within which liquidations link"
    )
    account_snapshot_every: float = Field(
        10.0,
        ge=0.0,
        le=86_400.0,
        description="seconds between per-account snapshots (margin ratio, ADL lights); 0 = off",
    )

    @model_validator(mode="after")
    def _check_run(self) -> Scenario:
        steps = self.duration / self.step
        if steps < 1.0 - 1e-9:
            raise ValueError(
                f"duration: {self.duration:g} s is shorter than one step of {self.step:g} s; "
                "allowed: at least one step"
            )
        if abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
            raise ValueError(
                f"duration: {self.duration:g} s is not a whole number of steps of {self.step:g} s; "
                f"allowed: a multiple of step, e.g. {round(steps) * self.step:g}"
            )
        if self.index.replay is not None:
            self._check_replay(self.index.replay)
        if self.spot.weights is not None and len(self.spot.weights) != self.spot.venues:
            raise ValueError(
                f"spot.weights: {len(self.spot.weights)} weights for {self.spot.venues} venues; "
                "allowed: one weight per venue (or none for equal weights)"
            )
        for i, flow in enumerate(self.flow_shocks):
            where = f"flow_shocks.{i}"
            if flow.contract >= len(self.contracts):
                raise ValueError(
                    f"{where}.contract: {flow.contract} is not a contract index "
                    f"(0..{len(self.contracts) - 1})"
                )
            if flow.market == "spot" and self.index.mode != "spot":
                raise ValueError(
                    f"{where}.market: spot orders need spot venues; allowed with "
                    'index.mode = "spot" (or send them to market = "perp")'
                )
            if flow.market == "spot" and flow.venue >= self.spot.venues:
                raise ValueError(
                    f"{where}.venue: {flow.venue} is not a spot venue (0..{self.spot.venues - 1})"
                )
            if flow.start + flow.duration > self.duration + 1e-9:
                raise ValueError(
                    f"{where}: runs from {flow.start:g} s to {flow.start + flow.duration:g} s, "
                    f"after the end of the run ({self.duration:g} s); allowed: start + duration "
                    "≤ duration"
                )
        for i, shock in enumerate(self.index.shocks):
            for c in shock.contracts or []:
                if not 0 <= c < len(self.contracts):
                    raise ValueError(
                        f"index.shocks.{i}.contracts: {c} is not a contract index "
                        f"(0..{len(self.contracts) - 1})"
                    )
            end = shock.start + shock.duration
            if end > self.duration + 1e-9:
                what = (
                    "starts at or after the end of the run, so it would never apply"
                    if shock.start >= self.duration
                    else "ends after the end of the run, so only part of its move would apply"
                )
                raise ValueError(
                    f"index.shocks.{i}: runs from {shock.start:g} s to {end:g} s and {what}; "
                    f"allowed: start + duration ≤ the run's duration ({self.duration:g} s). "
                    "Lengthen the run, move or drop the shock (--set index.shocks=[])"
                )
        return self

    def _check_replay(self, path: str) -> None:
        """A replay must be readable, cover the whole run and start at the initial prices."""
        times, prices = load_replay(path, len(self.contracts))
        name = repr(path)
        if times[0] > 0.0 or times[-1] < self.duration:
            raise ValueError(
                f"index.replay: {name} covers {times[0]:g} s to {times[-1]:g} s but the run "
                f"lasts 0 to {self.duration:g} s; allowed: a file covering the whole run"
            )
        for c, contract in enumerate(self.contracts):
            start = float(np.interp(0.0, times, prices[:, c]))
            if abs(start / contract.initial_price - 1.0) > REPLAY_START_TOLERANCE:
                raise ValueError(
                    f"index.replay: {name} starts contract {c} at {start:g} but "
                    f"contracts.{c}.initial_price is {contract.initial_price:g}; allowed: within "
                    f"{REPLAY_START_TOLERANCE:.1%} (set contracts.{c}.initial_price={start:g})"
                )
        if self.index.shocks:
            raise ValueError(
                "index.shocks: shocks do not apply to a replayed index; "
                "drop them (--set index.shocks=[]) or drop index.replay"
            )

    @property
    def shock_end(self) -> float | None:
        """When the last scheduled shock (of the fundamental value or of order flow) ends;
        None when there is none."""
        ends = [s.start + s.duration for s in self.index.shocks]
        ends += [f.start + f.duration for f in self.flow_shocks]
        return max(ends) if ends else None

    @property
    def n_steps(self) -> int:
        """Number of model steps in ``duration``."""
        return round(self.duration / self.step)

    def flat(self) -> dict[str, Any]:
        """Every setting as ``dotted.key -> value`` (what ``cascade scenarios --show`` prints)."""
        return _flatten(self.model_dump(mode="json"))

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with dotted-key overrides applied and validated."""
        return build_scenario(self.model_dump(mode="json"), overrides)


def available_scenarios() -> list[str]:
    """Names of the scenario presets shipped with the model."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a preset by name or a TOML file by path, apply overrides, validate."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PRESET_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise ScenarioError(
                f"scenario must be one of {available_scenarios()} or a .toml path, "
                f"got {name_or_path!r}"
            )
    if not path.is_file():
        raise ScenarioError(f"scenario file {str(path)!r} does not exist")
    with path.open("rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"scenario file {str(path)!r} is not valid TOML: {exc}") from exc
    data.setdefault("name", path.stem)
    index = data.get("index")
    if isinstance(index, dict) and isinstance(index.get("replay"), str):
        # A path inside a TOML is relative to the TOML's folder, not the working directory.
        index["replay"] = str((path.parent / index["replay"]).resolve())
    return build_scenario(data, overrides or {})


def build_scenario(data: dict[str, Any], overrides: dict[str, Any] | None = None) -> Scenario:
    """Resolve the venue preset, apply dotted overrides and validate into a `Scenario`."""
    data = copy.deepcopy(data)
    overrides = dict(overrides or {})
    # `venue=NAME` (in a file or as an override) selects a preset; `venue.x.y` keys refine it.
    venue_choice = overrides.pop("venue", data.get("venue", "binance"))
    try:
        if isinstance(venue_choice, str):
            data["venue"] = load_venue_data(venue_choice)
        elif isinstance(venue_choice, dict) and "preset" in venue_choice:
            refined = dict(venue_choice)
            base = load_venue_data(str(refined.pop("preset")))
            data["venue"] = _deep_merge(base, refined)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    for key, value in overrides.items():
        _set_dotted(data, key, parse_value(value) if isinstance(value, str) else value)
    _refuse_bools(data, Scenario)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_explain(exc)) from None


def parse_value(text: str) -> Any:
    """Parse an override value as TOML (numbers, booleans, lists), else keep it as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn ``["a.b=1", ...]`` into ``{"a.b": 1}`` with a clear error on malformed items."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set expects dotted.key=value, got {pair!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        prefix = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = node[_list_index(node, part, prefix)]
            continue
        if part not in node:
            if part not in _known_children(parts[:i]):
                raise ScenarioError(f"unknown setting {key!r}: no {prefix!r} in the scenario")
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[_list_index(node, last, key)] = value
    elif isinstance(node, dict):
        if last not in node and last not in _known_children(parts[:-1]):
            raise ScenarioError(f"unknown setting {key!r}")
        node[last] = value
    else:
        raise ScenarioError(f"unknown setting {key!r}: {'.'.join(parts[:-1])!r} is a value")


def _list_index(node: list[Any], part: str, key: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(f"{key!r}: index must be 0..{len(node) - 1}, got {part!r}")
    return int(part)


def _known_children(path: list[str]) -> set[str]:
    """Field names the schema allows under a dotted path (for defaults absent from a preset)."""
    model: Any = Scenario
    for part in path:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return set()
        model = _model_of(field.annotation)
        if model is None:
            return set()
    return set(model.model_fields)


def _refuse_bools(data: Any, model: Any, prefix: str = "") -> None:
    """Refuse ``true``/``false`` given for a number (pydantic would read them as 1 and 0)."""
    if not isinstance(data, dict):
        return
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is None:
            continue  # pydantic reports unknown fields
        key = f"{prefix}{name}"
        annotation = field.annotation
        sub = _model_of(annotation)
        if isinstance(value, bool) and bool not in _types_of(annotation):
            if _types_of(annotation) & {int, float}:
                raise ScenarioError(f"invalid scenario: {key}: must be a number, got {value!r}")
        elif sub is not None and isinstance(value, dict):
            _refuse_bools(value, sub, f"{key}.")
        elif sub is not None and isinstance(value, list):
            for i, item in enumerate(value):
                _refuse_bools(item, sub, f"{key}.{i}.")


def _types_of(annotation: Any) -> set[Any]:
    """The plain types an annotation allows (``float | None`` -> {float, NoneType})."""
    args = getattr(annotation, "__args__", None)
    if args is None:
        return {annotation}
    return {t for arg in args for t in _types_of(arg)}


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = (
            _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(tree, list) and tree and all(isinstance(x, dict) for x in tree):
        out = {}
        for i, v in enumerate(tree):
            out.update(_flatten(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: tree}


def _explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "scenario"
        got = err.get("input")
        got_text = "" if isinstance(got, dict | list) else f" (got {got!r})"
        msg = err["msg"].removeprefix("Value error, ")
        if not err["loc"]:  # a check across fields: its message names the field itself
            lines.append(msg)
        else:
            lines.append(f"{loc}: {msg}{got_text}")
    return "invalid scenario: " + "; ".join(lines)


def scenario_from_keywords(
    scenario: Scenario | None, preset: str | Path | None, settings: dict[str, Any]
) -> Scenario:
    """The scenario a model built from keyword arguments runs (what Mesa's tools pass).

    ``scenario`` is used as given, else ``preset`` (a name or TOML path) is loaded, else the
    defaults; ``settings`` are dotted keys (``population.long_bias``) applied on top, as ``--set``.
    """
    if scenario is not None and preset is not None:
        raise ScenarioError("give a scenario or a preset, not both")
    if scenario is None:
        return (
            load_scenario(preset, settings) if preset is not None else build_scenario({}, settings)
        )
    return scenario.with_overrides(settings) if settings else scenario
