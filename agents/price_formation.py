"""Who knows what the asset is worth, and who trades on what it pays: the parts of the
population that the ``prices`` settings (`model.settings.PriceFormation`) and the carry
traders' rules (`model.population_settings.Carry`) decide.

With the makers told the value signal (the scripted baseline) this builds the spot makers'
`ValueEstimate` and nothing else. When they learn prices from order flow it builds the rules
their liquidity withdraws by (`agents.liquidity`), the informed traders' rules
(`agents.spot_trader.InformedRules`), the latent book (`agents.latent`) and the makers' shared
belief (`agents.belief`). With ``population.carry.sensitivity`` above 0 it sets the carry
traders to size their position by funding and basis (`agents.carry`).
`agents.population.Population` calls these while it builds the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa

from agents.belief import FLOW_UNIT, FlowBelief, RunLearning
from agents.carry import CarryRules, CarryTrader
from agents.informed_perp import InformedPerpTrader
from agents.latent import LatentLiquidity, LatentRules
from agents.liquidity import WithdrawalRules
from agents.spot_maker import SpotMaker, ValueEstimate
from agents.spot_trader import VALUE_CAPITAL, InformedRules
from model.gateway import MarketAccess
from model.scenario import Scenario


def learns_from_flow(scenario: Scenario) -> bool:
    """True when the makers do not know the value signal (the flow mode)."""
    return scenario.flow_prices


def withdrawal_rules(scenario: Scenario) -> WithdrawalRules | None:
    """How makers' liquidity withdraws (None: the baseline's makers, who do not)."""
    if not learns_from_flow(scenario):
        return None
    p = scenario.prices
    return WithdrawalRules(p.refill_halflife, p.loss_limit, p.inventory_limit, p.step_away_multiple)


def informed_rules(scenario: Scenario) -> tuple[InformedRules | None, float]:
    """The informed traders' rules and each one's capital (the baseline's value traders: no
    rules, VALUE_CAPITAL)."""
    if not learns_from_flow(scenario):
        return None, VALUE_CAPITAL
    p = scenario.prices
    rules = InformedRules(
        p.informed_threshold_bps,
        p.informed_clip_per_bps,
        p.informed_max_clip,
        p.informed_max_position,
        p.informed_position_per_bps,
    )
    return rules, p.informed_capital


def perp_informed(
    model: mesa.Model,
    access: MarketAccess,
    scenario: Scenario,
    rules: InformedRules | None,
) -> list[InformedPerpTrader]:
    """The informed traders on the perpetual (`prices.informed_perp_traders`; none in the
    baseline), with the spot informed traders' rules and capital."""
    if rules is None:
        return []
    p = scenario.prices
    return [
        InformedPerpTrader(model, access, p.informed_capital, rules)
        for _ in range(p.informed_perp_traders)
    ]


def latent_book(
    model: mesa.Model,
    access: MarketAccess,
    scenario: Scenario,
    prices: Sequence[float],
) -> list[LatentLiquidity]:
    """The patient traders of the latent book (none in the baseline)."""
    if not learns_from_flow(scenario):
        return []
    p = scenario.prices
    depth = [c.depth_scale for c in scenario.contracts]
    rules = LatentRules(p.latent_size, p.latent_step_bps, p.latent_levels, p.latent_halflife)
    return [
        LatentLiquidity(model, access, p.latent_capital * max(depth), rules, depth, list(prices))
        for _ in range(p.latent_traders)
    ]


def maker_estimate(
    access: MarketAccess,
    scenario: Scenario,
    spot_makers: list[SpotMaker],
    prices: Sequence[float],
) -> ValueEstimate | FlowBelief:
    """What the makers quote around: the baseline's `ValueEstimate` of the value signal, or
    the belief learned from flow that the perpetual's makers share."""
    if not learns_from_flow(scenario):
        return ValueEstimate(
            spot_makers,
            len(scenario.contracts),
            scenario.spot.learning_bps,
            scenario.spot.learning_halflife,
        )
    p = scenario.prices
    impact = [p.impact_bps / 1e4 / (FLOW_UNIT * c.depth_scale) for c in scenario.contracts]
    runs = None
    if p.run_scale > 0:
        scale = [p.run_scale * c.depth_scale for c in scenario.contracts]
        runs = RunLearning(scale, p.run_halflife, p.permanent_share)
    return FlowBelief(access.view, spot_makers, prices, impact, runs)


def carry_traders(carry: list[CarryTrader], scenario: Scenario) -> list[CarryTrader]:
    """The carry traders who size their position by funding and basis (`agents.carry`), ready
    to trade: none when ``population.carry.sensitivity`` is 0."""
    settings = scenario.population.carry
    if settings.sensitivity <= 0:
        return []
    rules = CarryRules(
        settings.sensitivity, settings.horizon, settings.max_multiple, settings.look, settings.clip
    )
    for holder in carry:
        holder.follow(rules)
    return list(carry)
