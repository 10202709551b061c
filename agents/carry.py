"""Carry traders: hedged, low-leverage holders of the other side of the crowd's net position.

A long-heavy perpetual market exists because someone is short: mostly basis (cash-and-carry)
traders who are long spot off the exchange. They hold their perpetual position at low leverage,
and in a crash they are the profitable opposite side that ADL closes (on 2025-10-10 the median
leverage of ADL'd positions on Hyperliquid was about 0.2x; spec §7).

What their position earns is the funding the crowd pays them and the basis they collect when
the perpetual converges to the index. With ``population.carry.sensitivity`` above 0 they size
their position by it (`CarryRules`): every ``look`` seconds they read the funding rate the venue
publishes for the current interval and the perpetual's premium over the index, and move towards
their starting position times one plus ``sensitivity`` per bp of expected carry beyond the
funding alone at their first look (between 0 and ``max_multiple`` times the start), in clips
of immediate-or-cancel orders up to 50 bps through the mid; margin for a position larger than
any they held is paid in as it grows. Their starting position stays their reference: after an
ADL or a partial close they trade back towards it (times the carry's multiple).
A perpetual bid up by a long crowd pays more carry, so they sell more of it; one that fell
below the index after liquidations pays less, so they buy some back. This is how positioning
builds up against a crowd, and unwinds in a crash. With 0 (the default) they never trade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agents.trader import Trader
from model.gateway import OrderGateway, TimeInForce
from model.view import MarketView

LEVERAGE = 1.0
SLIPPAGE_BPS = 50.0  # how far beyond the mid a carry trader's order may fill


@dataclass(frozen=True, slots=True)
class CarryRules:
    """How carry traders size their position (from `model.population_settings.Carry`)."""

    sensitivity: float
    horizon: float
    max_multiple: float
    look: float
    clip: float


def expected_carry_bps(
    side: int, funding_rate: float, interval: float, horizon: float, premium: float
) -> float:
    """Bps a position of ``side`` (±1) earns over ``horizon`` seconds: the funding payments it
    spans (a positive rate is paid by longs to shorts) and the perpetual's ``premium`` over the
    index, collected once when it converges."""
    return -side * (funding_rate * horizon / interval + premium) * 1e4


def target_multiple(carry_bps: float, start_bps: float, rules: CarryRules) -> float:
    """The position wanted, as a multiple of the starting one."""
    wanted = 1.0 + rules.sensitivity * (carry_bps - start_bps)
    return min(rules.max_multiple, max(0.0, wanted))


class CarryTrader(Trader):
    """Holds the position it is given at the start; with `CarryRules`, sizes it by its carry."""

    kind = "carry"
    rules: CarryRules | None = None

    def follow(self, rules: CarryRules) -> None:
        """Trade by ``rules`` from now on, around the position held now, with capital for the
        largest position."""
        self.rules = rules
        n = self.view.n_contracts
        self.start_lots = [self.position(c) for c in range(n)]
        self.start_carry: list[float | None] = [None] * n
        self.next_look = 0.0
        # lots its capital pays for at its leverage: more is paid in as the position grows
        self.funded = [abs(q) for q in self.start_lots]

    def act(self, view: MarketView, gateway: OrderGateway) -> None:
        """Every ``look`` seconds, trade a clip towards the position the carry asks for."""
        rules = self.rules
        if rules is None or view.time + 1e-9 < self.next_look:
            return
        self.next_look = view.time + rules.look
        rates = view.predicted_funding_rate().tolist()
        index = view.index.tolist()
        mids = view.prices()[0].tolist()
        for c, start in enumerate(self.start_lots):
            if not start or not (index[c] > 0 and math.isfinite(mids[c])):
                continue
            side = 1 if start > 0 else -1
            premium = mids[c] / index[c] - 1.0
            carry = expected_carry_bps(
                side, rates[c], view.funding_interval(c), rules.horizon, premium
            )
            reference = self.start_carry[c]
            if reference is None:  # the funding rate at its first look, no premium
                reference = expected_carry_bps(
                    side, rates[c], view.funding_interval(c), rules.horizon, 0.0
                )
                self.start_carry[c] = reference
            wanted = round(start * target_multiple(carry, reference, rules))
            gap = wanted - self.position(c)
            lots = min(abs(gap), view.to_lots(c, rules.clip / mids[c]))
            if lots <= 0:
                continue
            trade = 1 if gap > 0 else -1
            after = abs(self.position(c) + trade * lots)
            if after > self.funded[c]:  # margin for the part beyond what it has held
                margin = (after - self.funded[c]) * view.lot[c] * mids[c] / LEVERAGE
                self.gateway.deposit(margin)
                self.capital += margin
                self.funded[c] = after
            limit = view.to_ticks(c, mids[c] * (1.0 + trade * SLIPPAGE_BPS / 1e4))
            gateway.send(c, trade, lots, max(1, limit), TimeInForce.IOC)
