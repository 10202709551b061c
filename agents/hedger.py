"""Hedgers: many low-leverage holders of the other side of the leveraged crowd's net position.

On a venue every long has a short. When the directional crowd is net long, most of the short
side is held by delta-neutral funds and basis (cash-and-carry) traders: long spot off the
venue, short the perpetual, margined far above what the position needs, so their effective
leverage (position notional over equity) is well under 1x. They hold passively and in a crash
they are the profitable opposite side that ADL closes (spec §7: the median leverage of the
positions ADL'd on Hyperliquid on 2025-10-10 was about 0.2x).

``population.counterparties = "hedgers"`` builds them instead of the ten synthetic carry
accounts (`agents.carry`). Per contract, position notionals are drawn (lognormal,
``population.hedgers``) until they cover the crowd's net position; how many hedgers there are
follows from that. Each hedger's effective leverage is drawn too, and its deposit is what its
position needs at that leverage.

Every starting position of the crowd is taken from the hedgers off the book, at the trader's
entry price: the crowd's majority side is poured into the hedgers' gross capacities and its
minority side into their offsetting capacities, so each hedger ends holding its drawn share of
the net position (and both sides of open interest balance).
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.trader import Trader
from model.gateway import MarketAccess
from model.scenario import Hedgers

MIN_LEVERAGE = 0.01  # a hedger's effective leverage is drawn no lower than this
ACCOUNT_LEVERAGE = 1.0  # the account's leverage setting (initial margin); it never trades

# (trader's account, contract, signed lots the trader holds, entry price)
Position = tuple[int, int, int, float]


class Hedger(Trader):
    """Holds the position it is given at the start and never trades."""

    kind = "hedger"


def position_sizes(rng: np.random.Generator, net_notional: float, settings: Hedgers) -> np.ndarray:
    """Notionals drawn from the hedgers' lognormal until they cover ``net_notional``; the last
    one is trimmed so they sum to it exactly."""
    if net_notional <= 0:
        return np.zeros(0)
    sizes: list[float] = []
    total = 0.0
    mean = settings.notional_median * float(np.exp(settings.notional_sigma**2 / 2.0))
    while total < net_notional:
        batch = settings.notional_median * rng.lognormal(
            0.0, settings.notional_sigma, max(16, int(1.2 * (net_notional - total) / mean) + 1)
        )
        for size in batch.tolist():
            take = min(size, net_notional - total)
            sizes.append(take)
            total += take
            if total >= net_notional:
                break
    return np.array(sizes)


def split_lots(weights: np.ndarray, total: int) -> np.ndarray:
    """``total`` whole lots split in proportion to ``weights`` (largest remainders get the lots
    left over), so the parts sum to ``total`` exactly."""
    if total <= 0 or weights.size == 0:
        return np.zeros(weights.size, dtype=np.int64)
    exact = weights / weights.sum() * total
    parts = np.floor(exact).astype(np.int64)
    left = total - int(parts.sum())
    if left:
        parts[np.argsort(-(exact - parts), kind="stable")[:left]] += 1
    return parts


def pour(positions: list[Position], capacity: np.ndarray) -> list[tuple[int, int, int, int, float]]:
    """Fill ``capacity`` (lots per hedger, in order) from ``positions``, splitting a position
    where a hedger fills up. Returns (hedger index, trader account, contract, signed lots,
    entry) per piece."""
    pieces = []
    room = capacity.copy()
    h = 0
    for account, contract, lots, entry in positions:
        side = 1 if lots > 0 else -1
        left = abs(lots)
        while left > 0:
            while h < room.size and room[h] == 0:
                h += 1
            if h == room.size:
                raise ValueError("hedgers' capacity is smaller than the positions poured")
            take = int(min(left, room[h]))
            pieces.append((h, account, contract, side * take, entry))
            room[h] -= take
            left -= take
    return pieces


def open_against_hedgers(
    model: mesa.Model, access: MarketAccess, positions: list[Position], settings: Hedgers
) -> list[Hedger]:
    """Create the hedgers and give every starting position in ``positions`` to its trader
    against them (see the module docstring). Returns the hedgers, each funded at its drawn
    effective leverage on the contracts' initial prices."""
    rng = model.rng
    view = access.view
    prices = access.initial_prices()
    hedgers: list[Hedger] = []
    leverage: list[float] = []
    for c in range(view.n_contracts):
        here = [p for p in positions if p[1] == c]
        net = sum(p[2] for p in here)
        if net == 0:
            continue
        side = 1 if net > 0 else -1  # the crowd's majority side
        majority = [p for p in here if p[2] * side > 0]
        minority = [p for p in here if p[2] * side < 0]
        sizes = position_sizes(rng, abs(net) * view.lot[c] * prices[c], settings)
        sizes = sizes[: max(1, min(sizes.size, abs(net)))]  # no more hedgers than lots
        net_lots = split_lots(sizes, abs(net))
        keep = net_lots > 0
        net_lots = net_lots[keep]
        offset = split_lots(net_lots.astype(float), sum(-p[2] * side for p in minority))
        group = [
            Hedger(model, access, 0.0, leverage=ACCOUNT_LEVERAGE) for _ in range(net_lots.size)
        ]
        for stream, capacity in ((majority, net_lots + offset), (minority, offset)):
            for h, account, contract, lots, entry in pour(stream, capacity):
                access.transfer_position(group[h].account, account, contract, lots, entry)
        draws = settings.leverage_median * rng.lognormal(0.0, settings.leverage_sigma, len(group))
        leverage += np.clip(draws, MIN_LEVERAGE, access.leverage_cap).tolist()
        hedgers += group
    if not hedgers:
        return hedgers
    accounts = np.array([h.account for h in hedgers])
    notional, equity = view.holdings(accounts, prices)
    for hedger, n, e, lev in zip(hedgers, notional, equity, leverage, strict=True):
        # paid in up to the equity its position needs at its effective leverage (taking both
        # sides at different entries realises small gains and losses first)
        hedger.capital = max(float(n) / lev - float(e), 1.0)
        hedger.gateway.deposit(hedger.capital)
    return hedgers
