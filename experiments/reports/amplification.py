"""Amplification: how much liquidation orders in the book add to a move, on paired seeds.

A sweep over ``venue.liquidation.impact`` runs each seed twice: liquidation orders in the book
(``book``) and the impact-free close-out at the mark (``off_book``), with the same random
numbers. The amplification of an outcome is its value with ``book`` divided by its value with
``off_book`` on the same seed (Brunnermeier & Pedersen 2009; spec validation, "Feedback and
amplification"); the table reports the median ratio, its 5–95% band over seeds, and on how many
seeds ``book`` is the larger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.reports.distributions import markdown_table

IMPACT_KEY = "venue.liquidation.impact"
FIELDS = (
    "max_drawdown_pct",
    "index_drawdown_pct",
    "index_overshoot_pct",
    "max_runup_pct",
    "index_runup_pct",
    "index_runup_overshoot_pct",
    "liquidations_notional",
    "liquidations_count",
    "adl_notional",
    "return_hill_2_5pct",
)


def paired(runs: pd.DataFrame, field: str) -> pd.DataFrame:
    """One row per seed with the field's value under ``book`` and under ``off_book``."""
    table = runs.pivot_table(index="seed_index", columns=IMPACT_KEY, values=field, aggfunc="first")
    return table.reindex(columns=["book", "off_book"]).dropna()


def amplification_table(runs: pd.DataFrame, fields: tuple[str, ...] = FIELDS) -> pd.DataFrame:
    """Per outcome: medians under each mode, the median paired ratio book / off_book with its
    5–95% band (seeds where off_book is 0 are left out of the ratio), and the share of seeds
    where book is larger."""
    rows = []
    for field in fields:
        if field not in runs.columns:
            continue
        pairs = paired(runs, field)
        if pairs.empty:
            continue
        book, off = pairs["book"].to_numpy(float), pairs["off_book"].to_numpy(float)
        ok = off != 0
        ratio = book[ok] / off[ok]
        rows.append(
            {
                "outcome": field,
                "seeds": len(pairs),
                "median book": float(np.median(book)),
                "median off_book": float(np.median(off)),
                "median ratio": float(np.median(ratio)) if ratio.size else float("nan"),
                "ratio 5%": float(np.quantile(ratio, 0.05)) if ratio.size else float("nan"),
                "ratio 95%": float(np.quantile(ratio, 0.95)) if ratio.size else float("nan"),
                "book larger": float(np.mean(book > off)),
            }
        )
    return pd.DataFrame(rows)


def amplification_section(runs: pd.DataFrame, keys: list[str]) -> list[str]:
    """The sweep report's section for a sweep over the liquidation impact alone."""
    if keys != [IMPACT_KEY] or runs.empty or set(runs[IMPACT_KEY]) != {"book", "off_book"}:
        return []
    return [
        "## Amplification: liquidation orders in the book vs impact-free close-outs",
        "",
        (
            "Paired seeds. Ratio = outcome with `book` / outcome with `off_book` on the same "
            "seed: median and 5–95% band; 'book larger' is the share of seeds where the value "
            "with liquidation orders in the book is the larger."
        ),
        "",
        *markdown_table(amplification_table(runs)),
        "",
    ]
