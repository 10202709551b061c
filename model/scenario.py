"""Scenarios: everything one simulation needs, validated before anything runs.

A scenario is a tree of pydantic models: the market's settings (`model.settings`), who trades
(`model.population_settings`) and the venue (`model.venue`), assembled here by `Scenario`.
Presets are TOML files in ``model/presets/scenarios``. Every setting has a dotted key
(``population.max_leverage``, ``insurance_fund.initial``, ``venue.adl.ranking``,
``contracts.0.initial_price``) that ``--set key=value`` overrides on every command
(`model.overrides`). Invalid input raises one `ScenarioError` naming the field and the allowed
range.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationError, model_validator

from model.fundamental import load_replay, one_factor_betas
from model.overrides import (
    deep_merge,
    explain,
    flatten,
    parse_overrides,
    parse_value,
    refuse_bools,
    set_dotted,
)
from model.population_settings import (
    Arbitrage,
    CapitalDistribution,
    Defences,
    Hedgers,
    Herding,
    LeverageDistribution,
    NoiseDemandSettings,
    PopulationSettings,
    Strategies,
)
from model.settings import (
    Contract,
    FlowShock,
    IndexSettings,
    InsuranceFund,
    PriceFormation,
    ScenarioError,
    ShockSettings,
    SpotSettings,
    Stepping,
    StrictSettings,
)
from model.venue import Venue, load_venue_data

# The settings models and the override parser keep their old import path (model.scenario).
__all__ = [
    "Arbitrage",
    "CapitalDistribution",
    "Contract",
    "Defences",
    "FlowShock",
    "Hedgers",
    "Herding",
    "IndexSettings",
    "InsuranceFund",
    "LeverageDistribution",
    "NoiseDemandSettings",
    "PopulationSettings",
    "PriceFormation",
    "Scenario",
    "ScenarioError",
    "ShockSettings",
    "SpotSettings",
    "Stepping",
    "Strategies",
    "available_scenarios",
    "build_scenario",
    "load_scenario",
    "parse_overrides",
    "parse_value",
    "scenario_from_keywords",
]

PRESET_DIR = Path(__file__).parent / "presets" / "scenarios"

# A replay must start within this relative distance of the contract's initial price.
REPLAY_START_TOLERANCE = 0.001


class Scenario(StrictSettings):
    """Everything one simulation needs."""

    name: str = "custom"
    description: str = ""
    venue: Venue = Venue()
    contracts: list[Contract] = Field(default_factory=lambda: [Contract()], min_length=1)
    index: IndexSettings = IndexSettings()
    spot: SpotSettings = SpotSettings()
    prices: PriceFormation = PriceFormation()
    flow_shocks: list[FlowShock] = Field(default_factory=list)
    population: PopulationSettings = PopulationSettings()
    insurance_fund: InsuranceFund = InsuranceFund()
    duration: float = Field(1800.0, gt=0.0, le=30 * 86_400.0, description="simulated seconds")
    step: float = Field(1.0, gt=0.0, le=3600.0, description="seconds per model step")
    stepping: Stepping = Stepping()
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
        if self.stepping.policy == "adaptive" and self.stepping.max_step < self.step - 1e-9:
            raise ValueError(
                f"stepping.max_step: {self.stepping.max_step:g} s is shorter than one step of "
                f"{self.step:g} s; allowed: at least step"
            )
        if self.prices.makers_know_value is False and self.index.mode != "spot":
            raise ValueError(
                "prices.makers_know_value: false needs index.mode = 'spot' (the informed "
                "traders who carry the value signal trade on the spot venues); allowed: true, "
                "or unset (told the value with index.mode = 'exogenous')"
            )
        if self.population.carry.sensitivity > 0 and self.population.counterparties != "carry":
            raise ValueError(
                "population.carry.sensitivity: the carry traders it sets are the counterparties "
                f"only with population.counterparties = 'carry', not "
                f"'{self.population.counterparties}'; allowed: 0 with hedgers"
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
        weights = self.population.contract_weights
        if weights is not None and (
            len(weights) != len(self.contracts) or min(weights) < 0 or sum(weights) <= 0
        ):
            raise ValueError(
                f"population.contract_weights: {weights} for {len(self.contracts)} contracts; "
                "allowed: one weight ≥ 0 per contract, not all 0 (or none for equal weights)"
            )
        if self.index.betas is not None:
            # one beta per contract, the first 1, none beyond what the volatilities allow
            one_factor_betas(
                self.index.betas, np.array([c.volatility for c in self.contracts], dtype=float)
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
    def flow_prices(self) -> bool:
        """True when prices are made by trading: the makers learn from order flow and only
        informed traders see the value signal (``prices.makers_know_value`` false, or unset
        without a scripted price path)."""
        told = self.prices.makers_know_value
        if told is None:
            return self.index.mode == "spot" and self.index.replay is None
        return not told

    @property
    def shock_end(self) -> float | None:
        """When the last scheduled shock (of the fundamental value or of order flow) ends;
        None when there is none."""
        ends = [s.start + s.duration for s in self.index.shocks]
        ends += [f.start + f.duration for f in self.flow_shocks]
        return max(ends) if ends else None

    @property
    def shock_start(self) -> float | None:
        """When the first scheduled shock (of the fundamental value or of order flow) starts;
        None when there is none."""
        starts = [s.start for s in self.index.shocks] + [f.start for f in self.flow_shocks]
        return min(starts) if starts else None

    @property
    def trigger_notional(self) -> float:
        """USDT of order-flow triggers (``flow_shocks``, sells and buys alike); 0 without."""
        return float(sum(abs(f.notional) for f in self.flow_shocks))

    @property
    def n_steps(self) -> int:
        """Number of model steps of ``step`` seconds in ``duration`` (with adaptive steps, the
        most a run can take)."""
        return round(self.duration / self.step)

    def flat(self) -> dict[str, Any]:
        """Every setting as ``dotted.key -> value`` (what ``cascade scenarios --show`` prints)."""
        return flatten(self.model_dump(mode="json"))

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
            data["venue"] = deep_merge(base, refined)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    for key, value in overrides.items():
        set_dotted(data, key, parse_value(value) if isinstance(value, str) else value, Scenario)
    refuse_bools(data, Scenario)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(explain(exc)) from None


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
