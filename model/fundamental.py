"""The fundamental value of each underlying: GBM with jumps, scheduled shocks, or a replay.

This is the exogenous part of prices: what the asset is worth given news and flows on markets
the model does not hold. Spot liquidity providers and value traders react to it; the index is
made from the spot venues' prices (`model.index_price`), so forced selling can push the index
away from it. With ``index.mode = "exogenous"`` the index is this value itself (the ablation
without feedback to the index). Log returns per step are correlated normal
draws (one correlation for every pair of contracts, or a one-factor model in which each loads
on the first contract's return with its beta) plus Poisson jumps, seeded from the model's
generator. A scheduled shock adds a deterministic log drift that sums to the shock's total move
over its duration (with betas, a shock that names no contracts is market-wide news: each
contract moves by its beta times the shock's log move). A replay CSV (``time`` and one price column per contract) replaces the random
process by linear interpolation in time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True)
class Shock:
    """A fundamental move of ``change_pct`` percent spread evenly (in log terms) over a window.

    Args:
        start: seconds after the start of the run.
        duration: seconds the move takes.
        change_pct: total move in percent (−7 is a 7% drop).
        contracts: indices of the contracts it hits; None hits all.
    """

    start: float
    duration: float
    change_pct: float
    contracts: Sequence[int] | None = None

    def log_move(self, t0: float, t1: float) -> float:
        """Part of the total log move that falls within ``[t0, t1)``."""
        overlap = min(t1, self.start + self.duration) - max(t0, self.start)
        if overlap <= 0:
            return 0.0
        return math.log1p(self.change_pct / 100.0) * overlap / self.duration


class FundamentalValue:
    """Fundamental values of every underlying, advanced one step at a time.

    Args:
        initial: starting prices, one per contract.
        volatility: per-√second volatility of each contract's log price.
        correlation: correlation between any two contracts' diffusive returns.
        betas: each contract's beta to the first (None: ``correlation``): contract c's return
            is ``beta_c`` times the first's plus an independent part, so that its volatility
            stays ``volatility[c]``; this needs ``beta_c · volatility[0] ≤ volatility[c]``.
        jump_intensity: expected jumps per second (per contract).
        jump_mean: mean log jump size.
        jump_std: standard deviation of the log jump size.
        shocks: scheduled moves.
        replay: path of a CSV to replay instead of the random process.
        rng: the model's generator.
    """

    def __init__(
        self,
        initial: np.ndarray,
        volatility: np.ndarray,
        correlation: float = 0.0,
        jump_intensity: float = 0.0,
        betas: Sequence[float] | None = None,
        jump_mean: float = 0.0,
        jump_std: float = 0.0,
        shocks: Sequence[Shock] = (),
        replay: str | Path | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.price = np.asarray(initial, dtype=float).copy()
        n = self.price.size
        if np.any(~(self.price > 0)):
            raise ValueError("initial index prices must be > 0")
        self.volatility = np.broadcast_to(np.asarray(volatility, dtype=float), (n,)).copy()
        if not -1.0 <= correlation <= 1.0:
            raise ValueError(f"correlation must be in [-1, 1], got {correlation}")
        self.betas = None if betas is None else one_factor_betas(betas, self.volatility)
        if self.betas is None:
            corr = np.full((n, n), correlation) + np.eye(n) * (1.0 - correlation)
        else:
            corr = one_factor_correlation(self.betas, self.volatility)
        # A valid correlation matrix for n contracts needs correlation ≥ −1/(n−1); clip eigen
        # values so the factorisation always exists.
        vals, vecs = np.linalg.eigh(corr)
        self._chol = vecs @ np.diag(np.sqrt(np.clip(vals, 0.0, None)))
        self.jump_intensity = jump_intensity
        self.jump_mean = jump_mean
        self.jump_std = jump_std
        self.shocks = list(shocks)
        for shock in self.shocks:
            for c in shock.contracts or ():
                if not 0 <= c < n:
                    raise ValueError(f"shock contract {c} is not one of 0..{n - 1}")
        self.rng = rng or np.random.default_rng()
        self._replay = load_replay(replay, n) if replay is not None else None

    def step(self, t: float, dt: float) -> np.ndarray:
        """Advance from ``t`` to ``t + dt`` and return the new prices (a new array)."""
        if self._replay is not None:
            times, prices = self._replay
            self.price = np.array(
                [np.interp(t + dt, times, prices[:, c]) for c in range(prices.shape[1])]
            )
            return self.price.copy()
        n = self.price.size
        z = self._chol @ self.rng.standard_normal(n)
        sigma = self.volatility
        log_ret = sigma * math.sqrt(dt) * z - 0.5 * sigma**2 * dt
        if self.jump_intensity > 0:
            jumps = self.rng.poisson(self.jump_intensity * dt, n)
            if jumps.any():
                log_ret += jumps * self.jump_mean + np.sqrt(jumps) * self.jump_std * (
                    self.rng.standard_normal(n)
                )
        for shock in self.shocks:
            move = shock.log_move(t, t + dt)
            if move:
                if shock.contracts is None and self.betas is not None:
                    log_ret += self.betas * move  # market-wide news, by each one's beta
                    continue
                targets = range(n) if shock.contracts is None else shock.contracts
                for c in targets:
                    log_ret[c] += move
        self.price = self.price * np.exp(log_ret)
        return self.price.copy()


def one_factor_betas(betas: Sequence[float], volatility: np.ndarray) -> np.ndarray:
    """Check the betas of a one-factor model against the volatilities; the betas as an array.

    Raises:
        ValueError: one beta per contract is needed, the first is 1, and no contract's
            systematic part (its beta times the first's volatility) exceeds its volatility.
    """
    out = np.asarray(betas, dtype=float)
    n = volatility.size
    if out.shape != (n,):
        raise ValueError(f"index.betas: one beta per contract is needed ({n}), got {out.size}")
    if not np.all(np.isfinite(out)) or out[0] != 1.0:
        raise ValueError(f"index.betas: finite numbers whose first is 1, got {list(betas)}")
    systematic = np.abs(out) * volatility[0]
    too_big = np.flatnonzero(systematic > volatility * (1.0 + 1e-12))
    if too_big.size:
        c = int(too_big[0])
        raise ValueError(
            f"index.betas: contract {c}'s beta {out[c]:g} times the first's volatility exceeds "
            f"its own volatility; allowed: |beta| ≤ {volatility[c] / volatility[0]:.4g}"
        )
    return out


def one_factor_correlation(betas: np.ndarray, volatility: np.ndarray) -> np.ndarray:
    """The correlation matrix of returns ``beta_c · r_0 + e_c`` with independent ``e_c`` and
    total volatilities ``volatility``: ``beta_i beta_j σ_0² / (σ_i σ_j)`` off the diagonal."""
    loading = np.divide(
        betas * volatility[0], volatility, out=np.zeros_like(betas), where=volatility > 0
    )
    corr = np.outer(loading, loading)
    np.fill_diagonal(corr, 1.0)
    return corr


def load_replay(path: str | Path, n_contracts: int) -> tuple[np.ndarray, np.ndarray]:
    """Read a replay CSV: a ``time`` column (seconds) and one price column per contract.

    Returns:
        The times and a (times × contracts) array of prices.

    Raises:
        ValueError: one line naming the file and what is wrong: a missing or unreadable file,
            no ``time`` column, the wrong number of price columns, fewer than two rows, values
            that are not finite numbers, times not strictly increasing, or prices not > 0.
    """
    path = Path(path)
    where = f"index.replay: {str(path)!r}"
    if not path.is_file():
        raise ValueError(f"{where} does not exist (or is not a file)")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{where} is empty; allowed: a header 'time,<price>' and rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{where} is not a readable CSV ({first})") from None
    if "time" not in frame.columns:
        raise ValueError(
            f"{where} has no 'time' column (columns: {', '.join(map(str, frame.columns))}); "
            "allowed: a header 'time,<price>' with one price column per contract"
        )
    prices = frame.drop(columns="time")
    if prices.shape[1] != n_contracts:
        raise ValueError(
            f"{where} has {prices.shape[1]} price columns but the scenario has "
            f"{n_contracts} contract(s); allowed: 'time' and one price column per contract"
        )
    if len(frame) < 2:
        raise ValueError(f"{where} has {len(frame)} data rows; allowed: at least 2")
    times = _numbers(frame["time"], where, "time")
    values = np.column_stack([_numbers(prices[c], where, str(c)) for c in prices.columns])
    bad = np.flatnonzero(np.diff(times) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise ValueError(
            f"{where}: time {times[i]:g} on data row {i + 1} does not come after {times[i - 1]:g}; "
            "allowed: strictly increasing times"
        )
    if np.any(values <= 0):
        row, col = (int(x[0]) for x in np.nonzero(values <= 0))
        raise ValueError(
            f"{where}: price {values[row, col]:g} in column {prices.columns[col]!r} on data row "
            f"{row + 1}; allowed: prices > 0"
        )
    return times, values


def _numbers(column: pd.Series, where: str, name: str) -> np.ndarray:
    """A column as finite floats, or one error naming the first bad value and its row."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        raw = column.iloc[row]
        if isinstance(raw, float | np.floating):
            shown = "an empty cell" if math.isnan(raw) else f"{float(raw):g}"
        else:
            shown = repr(raw)
        raise ValueError(
            f"{where}: column {name!r} on data row {row + 1} holds {shown}; allowed: finite numbers"
        )
    return values
