"""What happened to each leveraged trader in one run: was it liquidated, and how was it set up.

The summary of a run counts liquidations for the whole market; a trader asks a narrower question:
at my leverage, in my margin mode, with my defences, how likely am I to be liquidated? This
module reads that from a model after a run, one row per leveraged trader (whales included),
with the settings the trader started with, so runs on many seeds can be pooled and grouped.

Outcomes are per place in the population. With ``population.entry_rate`` > 0 a liquidated
trader's place (and account) can be taken by a new entrant, whose liquidations would then count
for the same row; the set-up columns are those drawn at the start. Use ``entry_rate = 0`` (the
default) when the question is about the traders who were there at the start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.crowd import STRATEGY_NAMES
from model.scenario import Scenario
from model.simulation import CascadeModel

TRADER_COLUMNS = [
    "account",
    "kind",
    "strategy",
    "side",
    "leverage",
    "isolated",
    "capital",
    "reserve",
    "stop_loss",
    "topup",
    "reduce",
    "liquidated",
    "liquidations",
    "first_liquidation",
    "stopped",
    "equity_end",
    "return_pct",
]


def trader_setup(model: CascadeModel) -> pd.DataFrame:
    """Each leveraged trader's set-up as drawn: read it before the first step."""
    crowd = model.population.crowd
    rows = []
    for trader in model.population.leveraged:
        slot = trader.slot
        rows.append(
            {
                "account": trader.account,
                "kind": trader.kind,
                "strategy": STRATEGY_NAMES[int(crowd.strategy[slot])],
                "side": int(crowd.side[slot]),
                "leverage": float(trader.leverage),
                "isolated": bool(model.ledger.isolated[trader.account, trader.contract]),
                "capital": float(crowd.capital[slot]),
                "reserve": float(trader.reserve),
                "stop_loss": trader.stop_loss_pct is not None,
                "topup": bool(crowd.topup[slot]),
                "reduce": bool(crowd.reduce[slot]),
            }
        )
    return pd.DataFrame(rows, columns=TRADER_COLUMNS[:11])


def trader_outcomes(model: CascadeModel, setup: pd.DataFrame) -> pd.DataFrame:
    """``setup`` (from `trader_setup`) joined with what the run did to each trader.

    Adds: ``liquidated`` (at least one liquidation, partial or full), ``liquidations`` (their
    count), ``first_liquidation`` (seconds, NaN if never), ``stopped`` (its stop-loss fired),
    ``equity_end`` (wallet, isolated margin, unrealised PnL on the mark and unused reserve, in
    USDT) and ``return_pct`` (equity_end against capital, in %).
    """
    events = model.events.to_frame()
    liq = events[events["kind"] == "liquidation"]
    counts = liq.groupby("account").size()
    first = liq.groupby("account")["time"].min()
    ledger, crowd = model.ledger, model.population.crowd
    accounts = setup["account"].to_numpy(dtype=np.int64)
    reserve = np.array([t.reserve for t in model.population.leveraged], dtype=float)
    equity = (
        ledger.wallet[accounts]
        + ledger.iso_margin[accounts].sum(axis=1)
        + ledger.upnl(model.mark, accounts).sum(axis=1)
        + reserve
    )
    out = setup.copy()
    out["liquidations"] = counts.reindex(accounts, fill_value=0).to_numpy(dtype=np.int64)
    out["liquidated"] = out["liquidations"] > 0
    out["first_liquidation"] = first.reindex(accounts).to_numpy(dtype=float)
    out["stopped"] = [bool(crowd.stopped[t.slot]) for t in model.population.leveraged]
    out["equity_end"] = equity
    out["return_pct"] = (equity / out["capital"].to_numpy(dtype=float) - 1.0) * 100.0
    return out[TRADER_COLUMNS]


def run_traders(scenario: Scenario, seed: int | np.random.SeedSequence) -> pd.DataFrame:
    """Run ``scenario`` on ``seed`` and return `trader_outcomes` (a picklable function, so a
    process pool can run seeds in parallel)."""
    model = CascadeModel(scenario, rng=seed)
    setup = trader_setup(model)
    model.run()
    return trader_outcomes(model, setup)
