"""The structured event log: every liquidation, ADL fill, insurance-fund takeover and offload.

Events are appended as small slotted records during a step and turned into a pandas frame after
the run (columns in docs/CONTRACTS.md). Kinds:

* ``liquidation``: one liquidation step on one position (``partial`` tells a partial reduction
  from a full close; ``style_step`` names the rule that fired, e.g. ``binance:ioc``;
  ``closed_by`` says whether the book filled it, the fund took it over at the bankruptcy price
  (ADL included), or the impact-free ablation closed it at the mark against an outside party);
* ``takeover``: the insurance fund (or backstop vault) taking a position at the bankruptcy price;
* ``offload``: the fund selling what it holds into the book;
* ``adl``: one auto-deleveraging fill against a counterparty, with its rank, the counterparty's
  UPNL on the lots closed and its effective leverage (position notional over the margin
  balance of its pool, at the mark, before the fill);
* ``haircut``: a winner's positive PnL taken in cash by a haircut ADL policy (no position closed);
* ``shortfall``: a loss handed to ADL; ``notional`` is the part the venue could not have covered
  itself (what ADL needs to socialise to keep the venue solvent);
* ``bad_debt``: a loss no fund and no counterparty could cover (recorded, never hidden);
* ``deficit``: the fund settling a negative balance left after a close.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields

import pandas as pd

KINDS = (
    "liquidation",
    "takeover",
    "offload",
    "adl",
    "haircut",
    "shortfall",
    "bad_debt",
    "deficit",
)


@dataclass(slots=True)
class Event:
    """One row of the event log."""

    kind: str
    time: float
    account: int
    contract: int
    side: int = 0  # +1 long / −1 short: the position being closed
    qty: float = 0.0  # base units
    notional: float = 0.0  # USDT at the fill (or bankruptcy) price
    mark_price: float = float("nan")
    bankruptcy_price: float = float("nan")
    fill_price: float = float("nan")
    fee: float = 0.0
    insurance_change: float = 0.0
    partial: bool = False
    style_step: str = ""
    counterparty: int = -1
    rank: float = float("nan")
    socialised: float = 0.0  # adl/haircut: winner's profit closed or haircut
    covered: float = 0.0  # adl/haircut: what the winner paid against the mark
    closed_by: str = ""  # liquidation: "book" (its order filled), "fund" (taken over), "outside"
    counterparty_upnl: float = float("nan")  # adl: the winner's UPNL at the mark on the lots
    counterparty_leverage: float = float("nan")  # adl: winner's position notional / its pool
    counterparty_contracts: int = 0  # adl: contracts the winner held positions in, before


COLUMNS = [f.name for f in fields(Event)]

# The events frame a run returns and writes (events.parquet): the log's columns with each
# liquidation's cascade after ``rank``. `model.cascades.find_cascades` adds it to a copy of the
# log's frame, since a cascade is only known once the run is over.
CASCADE_COLUMN = "cascade_id"
FRAME_COLUMNS = [
    *COLUMNS[: COLUMNS.index("rank") + 1],
    CASCADE_COLUMN,
    *COLUMNS[COLUMNS.index("rank") + 1 :],
]


class EventLog:
    """Append-only list of events."""

    def __init__(self) -> None:
        self.rows: list[Event] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, kind: str, time: float, account: int, contract: int, **values: object) -> Event:
        """Append one event and return it."""
        if kind not in KINDS:
            raise ValueError(f"event kind must be one of {KINDS}, got {kind!r}")
        event = Event(kind, time, account, contract, **values)  # type: ignore[arg-type]
        self.rows.append(event)
        return event

    def rows_since(self, start: int) -> Iterator[Event]:
        """Events appended after the first ``start`` ones."""
        return iter(self.rows[start:])

    def of_kind(self, kind: str) -> list[Event]:
        """Every event of one kind."""
        return [e for e in self.rows if e.kind == kind]

    def to_frame(self) -> pd.DataFrame:
        """The log as a frame (columns ``COLUMNS``, without the cascades, which
        `model.cascades.find_cascades` adds); the index is the event's position in the log."""
        if not self.rows:
            return pd.DataFrame({name: pd.Series(dtype=_dtype(name)) for name in COLUMNS})
        return pd.DataFrame([asdict(e) for e in self.rows], columns=COLUMNS)


def _dtype(name: str) -> str:
    if name in ("kind", "style_step", "closed_by"):
        return "object"
    if name in ("account", "contract", "side", "counterparty", "counterparty_contracts"):
        return "int64"
    if name == "partial":
        return "bool"
    return "float64"
