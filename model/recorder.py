"""What the model records: market measures each step, and sparse snapshots of every position.

Each step goes through a Mesa `DataCollector` named ``datacollector``.

The recorder measures the market once per step into a plain dict and the collector's model
reporters (picklable partials) read from it, so Mesa's own tools (`mesa.batch_run`, SolaraViz plot components) see the
usual ``model.datacollector`` with one column per measure. Contract 0 has plain column names;
other contracts carry a ``_{i}`` suffix (see docs/CONTRACTS.md).

Per-account data would cost a Python call per agent per step through the collector, so
`AccountSnapshots` records every open position at a coarser clock instead, as arrays: its margin
ratio (what venues show users, spec §2) and its ADL lights (the 1–5 queue quintile, spec §5).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from mesa import DataCollector

from model.risk import assess, ratio_of

if TYPE_CHECKING:
    from model.market import Market


class Measured(Protocol):
    """What the recorder asks of the population: named measures and who owns each account."""

    def measures(self) -> dict[str, Any]: ...

    def account_kinds(self) -> dict[int, str]: ...


class Recorded(Protocol):
    """What the recorder reads of the model: the market, the population's measures, the
    clock and the value signal (never an agent's internals)."""

    @property
    def market(self) -> Market: ...

    @property
    def population(self) -> Measured: ...

    @property
    def clock(self) -> float: ...

    @property
    def fundamental(self) -> np.ndarray: ...

    @property
    def time(self) -> float: ...


AT_RISK_RATIO = 0.8  # Binance warns at an 80% margin ratio (spec §2)
DEPTH_BAND = 0.01  # depth counted within 1% of the mid

PER_CONTRACT = (
    "fundamental",
    "index",
    "mark",
    "last",
    "best_bid",
    "best_ask",
    "spread_bps",
    "depth_bid",
    "depth_ask",
    "open_interest",
    "funding_rate",
)
MARKET_WIDE = (
    "time",
    "dt",
    "insurance_fund",
    "liq_count_long",
    "liq_count_short",
    "liq_notional_long",
    "liq_notional_short",
    "liq_count_partial",
    "liq_count_full",
    "adl_count",
    "adl_notional",
    "accounts_at_risk",
    "panics",
    "funds_at_cap",
    "funds_equity",
    "bad_debt",
    "conservation_error",
)


def _read(model: Any, key: str) -> Any:
    """Model reporter: one measure of the current row (a module-level function, so that the
    ``partial`` wrapping it pickles for process pools)."""
    return model.recorder.row[key]


class RowCollector(DataCollector):
    """Mesa's `DataCollector` for model reporters that all read the one row the recorder has
    just measured: `collect` appends the row's values (plain numbers, so no copy is needed)
    instead of calling each reporter and deep-copying its result, a cost paid every step.
    Everything that reads the collector (``get_model_vars_dataframe``, SolaraViz, batch_run)
    is Mesa's own, and the reporters stay callable for anything that calls them."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__(model_reporters={k: partial(_read, key=k) for k in row})
        self._row = row
        # each column's list, in the row's order: a step appends without looking up names
        self._appends = [self.model_vars[key].append for key in row]

    def collect(self, model: Any) -> None:
        """Append the current row (one value per model reporter)."""
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for append, value in zip(self._appends, self._row.values(), strict=True):
            append(value)


class Recorder:
    """Measures the market after each step and feeds the DataCollector."""

    def __init__(self, model: Recorded) -> None:
        self.model = model
        self.columns = list(MARKET_WIDE)
        # each contract's column names, formatted once rather than every step
        self._keys: list[dict[str, str]] = []
        self.spot_venues = 0 if model.market.spot is None else model.market.spot.n_venues
        for c in range(model.market.n_contracts):
            suffix = "" if c == 0 else f"_{c}"
            keys = {name: f"{name}{suffix}" for name in PER_CONTRACT}
            # the spot makers' estimate of value, then each index source's price and weight
            # (spot venues; none with an exogenous index)
            if self.spot_venues:
                keys["maker_value"] = f"maker_value{suffix}"
            for v in range(self.spot_venues):
                keys[f"spot{v}"] = f"spot{v}{suffix}"
                keys[f"spot{v}_weight"] = f"spot{v}_weight{suffix}"
            self._keys.append(keys)
            self.columns += list(keys.values())
        self.row: dict[str, Any] = dict.fromkeys(self.columns, 0.0)
        self.bad_debt = 0.0
        self.conservation_error_max = 0.0  # the largest relative error over the run so far
        self.datacollector = RowCollector(self.row)

    def record(self, n_events_before: int) -> None:
        """Measure the market now and collect one row; events after the index are this step's."""
        m = self.model
        row = self.row
        row["time"] = m.clock
        row["dt"] = m.market.dt
        measures = m.population.measures()
        for c, book in enumerate(m.market.exchange.books):
            key = self._keys[c]
            tick = m.market.exchange.contracts[c].tick_size
            lot = m.market.exchange.contracts[c].lot_size
            bid, ask, last = book.best_bid(), book.best_ask(), book.last_price
            row[key["fundamental"]] = float(m.fundamental[c])
            row[key["index"]] = float(m.market.index_price[c])
            if m.market.spot is not None:
                row[key["maker_value"]] = measures["maker_value"][c]
                for v, price in enumerate(m.market.index_sources[c]):
                    row[key[f"spot{v}"]] = np.nan if price is None else price
                    row[key[f"spot{v}_weight"]] = float(m.market.index_weights[c, v])
            row[key["mark"]] = float(m.market.mark[c])
            row[key["last"]] = np.nan if last is None else last * tick
            row[key["best_bid"]] = np.nan if bid is None else bid * tick
            row[key["best_ask"]] = np.nan if ask is None else ask * tick
            if bid is not None and ask is not None:
                mid = (bid + ask) / 2.0
                row[key["spread_bps"]] = (ask - bid) / mid * 1e4
                band = max(1, int(mid * DEPTH_BAND))
                depth_bid, depth_ask = book.depth_within(band)
                row[key["depth_bid"]] = depth_bid * lot * mid * tick
                row[key["depth_ask"]] = depth_ask * lot * mid * tick
            else:
                row[key["spread_bps"]] = np.nan
                row[key["depth_bid"]] = 0.0 if bid is None else np.nan
                row[key["depth_ask"]] = 0.0 if ask is None else np.nan
            row[key["open_interest"]] = m.market.ledger.open_interest(c)
            row[key["funding_rate"]] = float(m.market.funding_rate[c])
        row["insurance_fund"] = m.market.funds.total_balance()
        self._count_events(n_events_before)
        ratio = m.market.risk.margin_ratio
        row["accounts_at_risk"] = int(np.count_nonzero(ratio >= AT_RISK_RATIO))
        row["panics"] = measures["panics"]
        row["funds_at_cap"], row["funds_equity"] = (
            measures["funds_at_cap"],
            measures["funds_equity"],
        )
        row["conservation_error"] = self._conservation_error()
        self.conservation_error_max = max(self.conservation_error_max, row["conservation_error"])
        self.datacollector.collect(m)

    def _count_events(self, since: int) -> None:
        row = self.row
        counts = dict.fromkeys(
            (
                "liq_count_long",
                "liq_count_short",
                "liq_notional_long",
                "liq_notional_short",
                "liq_count_partial",
                "liq_count_full",
                "adl_count",
                "adl_notional",
            ),
            0.0,
        )
        for ev in self.model.market.events.rows_since(since):
            kind = ev.kind
            if kind == "liquidation":
                tag = "long" if ev.side > 0 else "short"
                counts[f"liq_count_{tag}"] += 1
                counts[f"liq_notional_{tag}"] += ev.notional
                counts["liq_count_partial" if ev.partial else "liq_count_full"] += 1
            elif kind == "adl":
                counts["adl_count"] += 1
                counts["adl_notional"] += ev.notional
            elif kind == "bad_debt":
                self.bad_debt += ev.notional
        for k, v in counts.items():
            row[k] = int(v) if "count" in k else float(v)
        row["bad_debt"] = self.bad_debt

    def _conservation_error(self) -> float:
        """Relative gap between money held (with unrealised PnL) and money deposited."""
        return abs(self.model.market.ledger.conservation_error(self.model.market.mark))


ACCOUNT_COLUMNS = [
    "time",
    "account",
    "kind",
    "contract",
    "side",
    "qty",
    "entry_price",
    "isolated",
    "equity",
    "margin_ratio",
    "adl_lights",
]


class AccountSnapshots:
    """Every open position's margin ratio and ADL lights, every ``every`` seconds.

    ``equity`` and ``margin_ratio`` are those of the pool the position draws on: its isolated
    margin, or the account's cross balance shared by all its cross positions. Exchange accounts
    (insurance funds) are kept, with kind ``insurance_fund``, ratio 0 and no lights.
    """

    def __init__(self, model: Recorded, every: float) -> None:
        self.model = model
        self.every = every
        self.next_time = every
        self._parts: list[dict[str, np.ndarray]] = []

    def maybe_record(self, t: float) -> None:
        """Record when the clock has reached the next snapshot time."""
        if self.every <= 0 or t < self.next_time - 1e-9:
            return
        while self.next_time <= t + 1e-9:
            self.next_time += self.every
        self.record(t)

    def record(self, t: float) -> None:
        """Snapshot every open position now (after this step's liquidations)."""
        m = self.model
        ledger = m.market.ledger
        rows, cols = np.nonzero(ledger.lots)
        if rows.size == 0:
            return
        risk = assess(ledger, m.market.mark)
        lights = np.zeros(ledger.lots.shape, dtype=np.int64)
        for c in range(m.market.n_contracts):
            for side in (1, -1):
                accounts, lit = m.market.liquidator.adl.lights(c, side, m.market.mark)
                lights[accounts, c] = lit
        lots = ledger.lots[rows, cols]
        iso = ledger.isolated[rows, cols]
        pool_mm = np.where(iso, risk.maintenance[rows, cols], risk.cross_maintenance[rows])
        equity = np.where(iso, risk.iso_equity[rows, cols], risk.cross_equity[rows])
        ratio = np.where(ledger.system[rows], 0.0, ratio_of(pool_mm, equity))
        self._parts.append(
            {
                "time": np.full(rows.size, t),
                "account": rows,
                "contract": cols,
                "side": np.sign(lots),
                "qty": np.abs(lots) * ledger.lot[cols],
                "entry_price": ledger.entry[rows, cols],
                "isolated": iso,
                "equity": equity,
                "margin_ratio": ratio,
                "adl_lights": lights[rows, cols],
            }
        )

    def frame(self) -> pd.DataFrame:
        """All snapshots as one frame (columns ``ACCOUNT_COLUMNS``)."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=_ACCOUNT_DTYPES[c]) for c in ACCOUNT_COLUMNS})
        data = {k: np.concatenate([p[k] for p in self._parts]) for k in self._parts[0]}
        data["kind"] = self._kinds()[data["account"]]
        return pd.DataFrame(data, columns=ACCOUNT_COLUMNS)

    def _kinds(self) -> np.ndarray:
        m = self.model
        kinds = np.full(m.market.ledger.n_accounts, "exchange", dtype=object)
        kinds[m.market.funds.unique_accounts] = "insurance_fund"
        for account, kind in m.population.account_kinds().items():
            kinds[account] = kind
        return kinds


_ACCOUNT_DTYPES = {
    "time": "float64",
    "account": "int64",
    "kind": "object",
    "contract": "int64",
    "side": "int64",
    "qty": "float64",
    "entry_price": "float64",
    "isolated": "bool",
    "equity": "float64",
    "margin_ratio": "float64",
    "adl_lights": "int64",
}
