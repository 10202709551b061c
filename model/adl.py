"""Auto-deleveraging: close opposite positions against a bankrupt one the fund cannot absorb.

Ranking policies (spec §5), selectable per scenario (``venue.adl.ranking``):

* ``bitmex``: ``PnL% × effective leverage`` when in profit, ``PnL% / effective leverage`` when
  losing, with ``PnL% = (MarkValue − EntryValue)/|EntryValue|`` and
  ``EffectiveLeverage = |MarkValue| / (MarkValue − BankruptValue)`` on signed position values;
* ``binance``: ``LeveragePnl = max(0, UPNL)/max(1, WB) × MM/(WB + UPNL)``;
* ``pnl``: unrealised profit only;
* ``pro_rata``: every profitable opposite position is cut in proportion to its profit.

Two policies of the ADL study (Chitra, arXiv 2512.01112) close no position at all: the fund
takes the bankrupt position over and the loss is paid in cash out of the winners' positive PnL,
pro rata to their profit (a haircut):

* ``haircut``: the fund covers what it can and is allowed to (as for the queues); the rest of the
  shortfall is haircut;
* ``minimal``: the fund covers everything its equity can, whatever its position cap or drawdown
  rule; only the loss that would leave the venue insolvent is haircut — the least socialised
  loss that keeps the venue solvent.

The queue is served highest rank first until the bankrupt quantity is covered, at the price the
venue uses (bankruptcy price of the liquidated order, mark, or previous index). What nobody can
take is left to the caller to record as bad debt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model import pools
from model.events import EventLog
from model.exchange import Exchange
from model.venue import AdlRules


def rank_bitmex(
    side: int, qty: float, entry_price: float, mark_price: float, bankruptcy_price: float
) -> float:
    """BitMEX ADL rank of one position (higher is deleveraged first).

    Raises:
        ValueError: side not ±1, a size or entry or mark price that is not a finite number > 0,
            or a bankruptcy price that is negative or not finite.
    """
    if side not in (1, -1) or isinstance(side, bool):
        raise ValueError(f"side must be +1 (long) or -1 (short), got {side!r}")
    for name, value in (("qty", qty), ("entry_price", entry_price), ("mark_price", mark_price)):
        _finite(name, value)
        if value <= 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    _finite("bankruptcy_price", bankruptcy_price)
    if bankruptcy_price < 0:
        raise ValueError(f"bankruptcy_price must be ≥ 0, got {bankruptcy_price!r}")
    mark_value = side * qty * mark_price
    entry_value = side * qty * entry_price
    bankrupt_value = side * qty * bankruptcy_price
    pnl_pct = (mark_value - entry_value) / abs(entry_value)
    cushion = mark_value - bankrupt_value
    if cushion <= 0:  # at or beyond bankruptcy: infinitely leveraged
        return float("inf") if pnl_pct > 0 else float("-inf")
    leverage = abs(mark_value) / cushion
    return pnl_pct * leverage if pnl_pct > 0 else pnl_pct / leverage


def rank_binance(wallet_balance: float, unrealized_pnl: float, maintenance_margin: float) -> float:
    """Binance ADL rank ``LeveragePnl = PnlPercent × MarginRatio``.

    Raises:
        ValueError: a non-finite input, or a negative maintenance margin.
    """
    _finite("wallet_balance", wallet_balance)
    _finite("unrealized_pnl", unrealized_pnl)
    _finite("maintenance_margin", maintenance_margin)
    if maintenance_margin < 0:
        raise ValueError(f"maintenance_margin must be ≥ 0, got {maintenance_margin!r}")
    pnl_percent = max(0.0, unrealized_pnl) / max(1.0, wallet_balance)
    balance = wallet_balance + unrealized_pnl
    margin_ratio = maintenance_margin / balance if balance > 0 else 0.0
    return pnl_percent * margin_ratio


def _finite(name: str, value: float) -> None:
    number = int | float | np.integer | np.floating
    if isinstance(value, bool) or not isinstance(value, number) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _ranks_bitmex(side, qty, entry, mark, bankrupt):  # type: ignore[no-untyped-def]
    mark_value = side * qty * mark
    entry_value = side * qty * entry
    pnl = (mark_value - entry_value) / np.abs(entry_value)
    cushion = mark_value - side * qty * bankrupt
    with np.errstate(divide="ignore", invalid="ignore"):
        leverage = np.where(
            cushion > 0, np.abs(mark_value) / np.where(cushion > 0, cushion, 1), np.inf
        )
        rank = np.where(pnl > 0, pnl * leverage, pnl / leverage)
    return rank


HAIRCUT_POLICIES = ("haircut", "minimal")


@dataclass(frozen=True, slots=True)
class Candidates:
    """Opposite-side positions that could be deleveraged, with their ranks."""

    accounts: np.ndarray
    lots: np.ndarray  # absolute lots held
    ranks: np.ndarray
    upnl: np.ndarray
    balance: np.ndarray  # margin balance of the pool each position draws on, at the mark
    leverage: np.ndarray  # position notional at the mark / that balance (inf when ≤ 0)


class AutoDeleverager:
    """Runs the ADL queue for one venue.

    Args:
        exchange: the exchange (ledger and books).
        rules: the venue's ADL rules.
        events: the event log.
    """

    def __init__(self, exchange: Exchange, rules: AdlRules, events: EventLog) -> None:
        self.exchange = exchange
        self.ledger = exchange.ledger
        self.rules = rules
        self.events = events

    @property
    def closes_positions(self) -> bool:
        """True for the queue policies; the haircut policies close no position."""
        return self.rules.ranking not in HAIRCUT_POLICIES

    def candidates(self, contract: int, side: int, mark: np.ndarray) -> Candidates:
        """Positions of ``side`` on ``contract`` (not system accounts), ranked by the policy."""
        ledger = self.ledger
        accounts, qty, upnl, ranks = self._ranked(contract, side, mark)
        price = float(mark[contract])
        p = pools.pools(ledger, mark, accounts)
        iso = ledger.isolated[accounts, contract]
        balance = np.where(iso, p.iso_equity[:, contract], p.cross_equity)
        positive = np.where(balance > 0, balance, 1.0)
        leverage = np.where(balance > 0, qty * price / positive, np.inf)
        lots = np.abs(ledger.lots[accounts, contract])
        return Candidates(accounts, lots, ranks, upnl, balance, leverage)

    def _ranked(
        self, contract: int, side: int, mark: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The accounts holding ``side`` on ``contract`` (not system accounts), their
        quantities, UPNL on that contract and rank under the policy."""
        ledger = self.ledger
        lots = ledger.lots[:, contract]
        accounts = np.flatnonzero((np.sign(lots) == side) & ~ledger.system)
        qty = np.abs(lots[accounts]) * ledger.lot[contract]
        entry = ledger.entry[accounts, contract]
        price = float(mark[contract])
        upnl = ledger.upnl(mark, accounts)[:, contract]
        policy = self.rules.ranking
        if policy == "bitmex":
            margin = pools.backing_margins(ledger, accounts, contract, mark)
            bankrupt = np.maximum(0.0, entry - side * margin / np.maximum(qty, 1e-300))
            ranks = _ranks_bitmex(side, qty, entry, price, bankrupt)
        elif policy == "binance":
            mm = ledger.tiers[contract].maintenance_margin(qty * price)
            wallet = pools.pool_cash(ledger, accounts, contract)
            pnl_pct = np.maximum(0.0, upnl) / np.maximum(1.0, wallet)
            balance = wallet + upnl
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(balance > 0, mm / np.where(balance > 0, balance, 1), 0.0)
            ranks = pnl_pct * ratio
        else:  # pnl, pro_rata and the haircut policies rank by profit
            ranks = upnl
        return accounts, qty, upnl, ranks

    def deleverage(
        self,
        t: float,
        account: int,
        contract: int,
        lots: int,
        price: float,
        mark: np.ndarray,
        cause: str,
    ) -> int:
        """Close ``lots`` (signed, as held by ``account``) against opposite positions at
        ``price``; both sides realise their PnL there.

        Each fill records the profit taken out of the winner's position (``socialised``: its
        positive UPNL at the mark on the closed lots, the measure of Chitra, arXiv 2512.01112)
        and what the winner paid against the mark (``covered``: ``side·q·(price − mark)``), and,
        when ``account`` is an insurance fund, the fund's realised PnL as ``insurance_change``.

        Returns the lots that could not be matched (0 when fully covered).
        """
        side = 1 if lots > 0 else -1
        need = abs(lots)
        pool = self.candidates(contract, -side, mark)
        plan = _pro_rata(pool, need) if self.rules.ranking == "pro_rata" else _greedy(pool, need)
        ledger = self.ledger
        qty_lot = float(ledger.lot[contract])
        m = float(mark[contract])
        fund = bool(ledger.system[account])
        leverage = dict(zip(pool.accounts.tolist(), pool.leverage.tolist(), strict=True))
        for target, take, rank, upnl_per_lot in plan:
            holdings = int(np.count_nonzero(ledger.lots[target]))  # before this fill
            self.exchange.cancel_all(target)
            before = float(ledger.wallet[account])
            ledger.transfer_position(
                account, target, contract, side * take, price, 0.0, self.rules.fee
            )
            qty = take * qty_lot
            self.events.add(
                "adl",
                t,
                account,
                contract,
                side=side,
                qty=qty,
                notional=qty * price,
                mark_price=m,
                fill_price=price,
                fee=qty * price * self.rules.fee,
                insurance_change=float(ledger.wallet[account]) - before if fund else 0.0,
                counterparty=int(target),
                rank=float(rank),
                socialised=max(0.0, upnl_per_lot * take),
                covered=side * qty * (price - m),
                style_step=f"adl:{self.rules.ranking}:{cause}",
                counterparty_upnl=upnl_per_lot * take,
                counterparty_leverage=leverage[target],
                counterparty_contracts=holdings,
            )
            need -= take
        return need

    def haircut(
        self,
        t: float,
        payee: int,
        contract: int,
        side: int,
        amount: float,
        mark: np.ndarray,
        cause: str,
    ) -> float:
        """Take ``amount`` from the positive PnL of the winners opposite a bankrupt position of
        ``side``, pro rata to their profit, and pay it to ``payee`` (the fund holding the
        position); no position is closed (`Ledger.haircut_pnl`). A winner gives at most its UPNL
        and never more than its pool's margin balance. Returns what could not be raised.
        """
        pool = self.candidates(contract, -side, mark)
        winners = np.flatnonzero(pool.upnl > 0)
        if amount <= 0 or winners.size == 0:
            return max(0.0, amount)
        accounts = pool.accounts[winners]
        profit = pool.upnl[winners]
        cap = np.minimum(profit, np.maximum(0.0, pool.balance[winners]))
        take = _water_fill(profit, cap, amount)
        m = float(mark[contract])
        for account, h in zip(accounts, take, strict=True):
            if h <= 0:
                continue
            self.ledger.haircut_pnl(int(account), contract, float(h), payee)
            self.events.add(
                "haircut",
                t,
                payee,
                contract,
                side=side,
                notional=float(h),
                mark_price=m,
                insurance_change=float(h),
                counterparty=int(account),
                socialised=float(h),
                covered=float(h),
                style_step=f"adl:{self.rules.ranking}:{cause}",
            )
        return max(0.0, amount - float(take.sum()))

    def lights(self, contract: int, side: int, mark: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ADL quintile (1–5 lights, 5 = first in the queue) of every position of ``side``.

        Returns (accounts, lights).
        """
        accounts, _, _, ranks = self._ranked(contract, side, mark)
        if accounts.size == 0:
            return accounts, accounts.copy()
        order = np.argsort(np.argsort(ranks, kind="stable"), kind="stable")
        pct = (order + 1) / accounts.size
        return accounts, np.ceil(pct * 5).astype(int)


Plan = list[tuple[int, int, float, float]]  # (account, lots, rank, UPNL per lot)


def _per_lot(pool: Candidates, i: int) -> float:
    return float(pool.upnl[i] / pool.lots[i])


def _greedy(pool: Candidates, need: int) -> Plan:
    plan = []
    for i in np.argsort(-pool.ranks, kind="stable"):
        if need <= 0:
            break
        take = int(min(need, pool.lots[i]))
        plan.append((int(pool.accounts[i]), take, float(pool.ranks[i]), _per_lot(pool, int(i))))
        need -= take
    return plan


def _pro_rata(pool: Candidates, need: int) -> Plan:
    winners = np.flatnonzero(pool.upnl > 0)
    if winners.size == 0:
        return []
    weights = pool.upnl[winners] / pool.upnl[winners].sum()
    share = np.minimum(pool.lots[winners], np.floor(weights * need).astype(np.int64))
    left = need - int(share.sum())
    for i in np.argsort(-weights, kind="stable"):  # whole lots left over: largest profit first
        if left <= 0:
            break
        extra = int(min(left, pool.lots[winners[i]] - share[i]))
        share[i] += extra
        left -= extra
    return [
        (int(pool.accounts[w]), int(s), float(pool.ranks[w]), _per_lot(pool, int(w)))
        for w, s in zip(winners, share, strict=True)
        if s > 0
    ]


def _water_fill(weights: np.ndarray, cap: np.ndarray, amount: float) -> np.ndarray:
    """Split ``amount`` in proportion to ``weights`` with each share at most its ``cap``; what a
    capped share cannot take is spread over the others the same way."""
    take = np.zeros_like(weights)
    left = amount
    open_ = cap > take
    while left > 1e-12 * max(1.0, amount) and open_.any():
        share = left * weights * open_ / weights[open_].sum()
        step = np.minimum(share, cap - take)
        take += step
        left -= float(step.sum())
        open_ = cap - take > 1e-12 * np.maximum(1.0, cap)
    return take
