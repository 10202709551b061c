"""The index price: a weighted average of spot venues' prices, as venues compute it (spec §6).

Each source's weight is its configured weight, except that a source more than ``band`` (5%)
from the median of the sources that have a price gets weight 0, and so does a source with no
price (an empty book that never traded). When no source has a price the index keeps its last
value. With ``index.mode = "exogenous"`` the model skips this and uses the fundamental value as
the index (the ablation of the feedback from the perpetual to the index).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

OUTLIER_BAND = 0.05  # a source this far from the median gets weight 0 (spec §6)


def composite_index(
    prices: Sequence[float | None],
    weights: Sequence[float],
    previous: float,
    band: float = OUTLIER_BAND,
) -> tuple[float, list[float]]:
    """The index from its sources' prices, and the weight each source got.

    Args:
        prices: each source's price in USDT, None when it has none.
        weights: each source's configured weight (≥ 0, not all 0).
        previous: the index before, kept when no source may count.
        band: relative distance from the median beyond which a source gets weight 0.

    Raises:
        ValueError: lengths differ, a weight is negative or not finite, or all are 0.
    """
    if len(prices) != len(weights):
        raise ValueError(f"{len(prices)} prices but {len(weights)} weights")
    if any(not (math.isfinite(w) and w >= 0) for w in weights) or not any(weights):
        raise ValueError(f"weights must be finite, ≥ 0 and not all 0, got {list(weights)}")
    quoted = sorted(p for p in prices if p is not None and math.isfinite(p) and p > 0)
    if not quoted:
        return previous, [0.0] * len(prices)
    n = len(quoted)
    median = quoted[n // 2] if n % 2 else 0.5 * (quoted[n // 2 - 1] + quoted[n // 2])
    used = [
        w
        if p is not None and math.isfinite(p) and p > 0 and abs(p / median - 1.0) <= band + 1e-12
        else 0.0
        for p, w in zip(prices, weights, strict=True)
    ]
    total = sum(used)
    if total <= 0:
        return previous, used
    index = sum(w * float(p or 0.0) for p, w in zip(prices, used, strict=True)) / total
    return index, [w / total for w in used]
