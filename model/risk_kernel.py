"""The risk check compiled with numba: the same arithmetic as `model.risk.assess_numpy`, one
account at a time, giving bit-identical arrays.

`model.risk.assess_numpy` is the reference; this kernel repeats its every operation on the same
float64 values in the same order, with no fast-math (so no fused multiply-add and no
reassociation):

- a position's UPNL is ``(lots·lot)·(mark − entry)`` and its maintenance margin
  ``N·mmr_i − amount_i`` with ``N = |lots·lot|·mark`` and ``i`` the tier of
  ``np.searchsorted(inner caps, N, side="left")``;
- the per-account sums (cross UPNL, cross MM) add the row's values as ``np.add.reduce`` does
  along a contiguous axis: NumPy's pairwise summation (`_pairwise_sum`) added to the identity
  ``0.0``;
- the margin ratio is `model.risk.ratio_of` per pool and the highest of them as
  ``np.maximum`` takes it (NaN propagates).

The tests (``tests/model/test_risk.py``) compare the two on random ledgers byte for byte, NaN
aside: where the inputs hold NaN or infinities, a NaN comes out in the same places, but its sign
bit may differ (LLVM may swap the operands of an addition, and x86 passes on the first
operand's NaN). Every function is compiled once and cached (``cache=True``, in
``model/__pycache__``); numba's cache cannot reload a recursive function, so none is.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit

from model.tiers import TierTable

_BLOCK = 128  # NumPy's PW_BLOCKSIZE


@lru_cache(maxsize=32)
def tier_arrays(tables: tuple[TierTable, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every contract's tier table as three [contracts, tiers] arrays: inner caps (every cap
    but the last, padded with +inf, which no finite notional passes), maintenance rates and
    maintenance amounts (padded with the last tier's, never read)."""
    n = max(len(t) for t in tables)
    caps = np.full((len(tables), max(n - 1, 1)), np.inf)
    mmrs = np.empty((len(tables), n))
    amounts = np.empty((len(tables), n))
    for c, table in enumerate(tables):
        k = len(table)
        caps[c, : k - 1] = table.caps[:-1]
        mmrs[c, :k] = table.mmrs
        mmrs[c, k:] = table.mmrs[-1]
        amounts[c, :k] = table.amounts
        amounts[c, k:] = table.amounts[-1]
    return caps, mmrs, amounts


@njit(cache=True, nogil=True)
def _block_sum(a: np.ndarray, start: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of ``a[start:start + n]`` for ``n ≤ 128``: sequential below 8
    values (from −0.0), else eight accumulators, their sum, then the rest in order."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[start + i]
        return res
    r0 = a[start]
    r1 = a[start + 1]
    r2 = a[start + 2]
    r3 = a[start + 3]
    r4 = a[start + 4]
    r5 = a[start + 5]
    r6 = a[start + 6]
    r7 = a[start + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[start + i]
        r1 += a[start + i + 1]
        r2 += a[start + i + 2]
        r3 += a[start + i + 3]
        r4 += a[start + i + 4]
        r5 += a[start + i + 5]
        r6 += a[start + i + 6]
        r7 += a[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _pairwise_sum(a: np.ndarray, start: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of ``a[start:start + n]`` (``numpy/_core/src/umath/loops_utils.h``):
    blocks of at most 128 values (`_block_sum`); a longer run is split in two at
    ``n // 2`` rounded down to a multiple of 8, and the halves' sums added, left + right.

    NumPy recurses; this walks the same tree with an explicit stack, because numba's cache
    cannot reload a recursive function (the process crashes on the cached copy)."""
    if n <= _BLOCK:
        return _block_sum(a, start, n)
    # post-order walk: (start, length, stage) of each open node; stage 0 → its left half
    # next, 1 → its right half, 2 → both summed; depth ≤ 64 as each level halves the length
    starts = np.empty(130, dtype=np.int64)
    lengths = np.empty(130, dtype=np.int64)
    stages = np.empty(130, dtype=np.int64)
    values = np.empty(130)
    top = 0
    starts[0], lengths[0], stages[0] = start, n, 0
    n_values = 0
    while top >= 0:
        s, m = starts[top], lengths[top]
        if m <= _BLOCK:
            values[n_values] = _block_sum(a, s, m)
            n_values += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if stages[top] == 0:
            stages[top] = 1
            top += 1
            starts[top], lengths[top], stages[top] = s, half, 0
        elif stages[top] == 1:
            stages[top] = 2
            top += 1
            starts[top], lengths[top], stages[top] = s + half, m - half, 0
        else:
            n_values -= 1
            values[n_values - 1] = values[n_values - 1] + values[n_values]
            top -= 1
    return values[0]


@njit(cache=True, nogil=True)
def _maximum(a: float, b: float) -> float:  # pragma: no cover - compiled
    """``np.maximum`` of two floats: NaN when either is NaN."""
    if math.isnan(a):
        return a
    if math.isnan(b):
        return b
    return max(a, b)


@njit(cache=True, nogil=True)
def _ratio(mm: float, balance: float) -> float:  # pragma: no cover - compiled
    """`model.risk.ratio_of` of one pool."""
    if not mm > 0.0:
        return 0.0
    if balance > 0.0:
        return mm / balance
    return np.inf


@njit(cache=True, nogil=True)
def assess_kernel(
    lots: np.ndarray,
    lot: np.ndarray,
    entry: np.ndarray,
    wallet: np.ndarray,
    iso_margin: np.ndarray,
    isolated: np.ndarray,
    system: np.ndarray,
    mark: np.ndarray,
    caps: np.ndarray,
    mmrs: np.ndarray,
    amounts: np.ndarray,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:  # pragma: no cover - compiled
    """The arrays of a `model.risk.RiskSnapshot`, in its field order, on a finite positive
    ``mark`` (the tier arrays from `tier_arrays`)."""
    n_accounts, n_contracts = lots.shape
    n_caps = caps.shape[1]
    upnl = np.empty((n_accounts, n_contracts))
    mm = np.empty((n_accounts, n_contracts))
    iso_equity = np.empty((n_accounts, n_contracts))
    cross_equity = np.empty(n_accounts)
    cross_mm = np.empty(n_accounts)
    ratio = np.empty(n_accounts)
    iso_top = np.zeros(n_accounts)  # each account's highest isolated ratio
    iso_hit = np.zeros((n_accounts, n_contracts), dtype=np.bool_)
    cross_hit = np.zeros(n_accounts, dtype=np.bool_)
    cross_upnl = np.empty(n_contracts)  # one row of np.where(cross, upnl, 0.0)
    cross_row_mm = np.empty(n_contracts)  # ... and of np.where(cross, mm, 0.0)
    any_iso = False
    n_iso_hits = 0
    n_cross_hits = 0
    for a in range(n_accounts):
        live = not system[a]
        any_cross = False
        top = 0.0
        for c in range(n_contracts):
            q = lots[a, c]
            base = q * lot[c]
            m = mark[c]
            u = base * (m - entry[a, c])
            notional = np.abs(base) * m
            # np.searchsorted(caps, notional, side="left"), NaN sorted last as NumPy sorts it
            i = 0
            while i < n_caps and (
                caps[c, i] < notional or (math.isnan(notional) and not math.isnan(caps[c, i]))
            ):
                i += 1
            margin = notional * mmrs[c, i] - amounts[c, i]
            upnl[a, c] = u
            mm[a, c] = margin
            is_open = q != 0
            iso = isolated[a, c] and is_open
            cross = not isolated[a, c] and is_open
            any_cross = any_cross or cross
            cross_upnl[c] = u if cross else 0.0
            cross_row_mm[c] = margin if cross else 0.0
            if iso:
                any_iso = True
                equity = iso_margin[a, c] + u
                iso_equity[a, c] = equity
                if equity <= margin and live:
                    iso_hit[a, c] = True
                    n_iso_hits += 1
                r = _ratio(margin, equity)
            else:
                iso_equity[a, c] = 0.0
                r = 0.0  # ratio_of(0, 0)
            top = r if c == 0 else _maximum(top, r)
        equity = wallet[a] + (0.0 + _pairwise_sum(cross_upnl, 0, n_contracts))
        margin = 0.0 + _pairwise_sum(cross_row_mm, 0, n_contracts)
        cross_equity[a] = equity
        cross_mm[a] = margin
        if any_cross and equity <= margin and live:
            cross_hit[a] = True
            n_cross_hits += 1
        ratio[a] = _ratio(margin, equity)
        iso_top[a] = top
    for a in range(n_accounts):
        if any_iso:
            ratio[a] = _maximum(ratio[a], iso_top[a])
        if system[a]:
            ratio[a] = 0.0
    pairs = np.empty((n_iso_hits, 2), dtype=np.intp)
    k = 0
    if n_iso_hits:
        for a in range(n_accounts):
            for c in range(n_contracts):
                if iso_hit[a, c]:
                    pairs[k, 0] = a
                    pairs[k, 1] = c
                    k += 1
    rows = np.empty(n_cross_hits, dtype=np.intp)
    k = 0
    for a in range(n_accounts):
        if cross_hit[a]:
            rows[k] = a
            k += 1
    return upnl, mm, iso_equity, cross_equity, cross_mm, ratio, pairs, rows
