"""What the many-run commands show on the terminal: a progress bar (runs done, failures,
elapsed time, ETA) and tables with compact numbers that fit an 80-column terminal."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from experiments.batch.experiment import ProgressCallback


@contextmanager
def run_progress(console: Console, label: str) -> Iterator[ProgressCallback]:
    """A progress bar, and the callback that `run_experiment` drives it with."""
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} runs"),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        # hidden until the first runs report: a refusal before any run shows no empty bar
        task = bar.add_task(label, total=None, failed=0, visible=False)
        started = False

        def update(done: int, failed: int, total: int) -> None:
            nonlocal started
            if not started:
                # Runs resumed from the journal were not done now: the ETA counts from here.
                bar.reset(task, total=total, completed=done, failed=failed, visible=True)
                started = True
            bar.update(task, completed=done, total=total, failed=failed)

        yield update


SHORT_NAMES = {
    "liquidations_notional": "liquidated",
    "insurance_fund_min": "fund min",
    "adl_notional": "ADL notional",
    "adl_probability": "P(ADL)",
    "largest_cascade_notional": "largest cascade",
    "largest_cascade_liquidations": "its liquidations",
    "max_drawdown_pct": "drawdown %",
}


def compact(value: Any) -> str:
    """A number in at most about 7 characters (12.3M, 0.0412); anything else as text."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–" if value is None or value is pd.NA else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    size = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{value / scale:.3g}{suffix}"
    return str(value) if isinstance(value, int) else f"{value:.3g}"


def frame_table(frame: pd.DataFrame, title: str, text_columns: tuple[str, ...] = ()) -> Table:
    """A rich table of a frame: short headers, compact numbers, text columns left-aligned."""
    table = Table(title=title)
    for column in frame.columns:
        left = column in text_columns or not pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(
            SHORT_NAMES.get(str(column), str(column)), justify="left" if left else "right"
        )
    for row in frame.itertuples(index=False):
        table.add_row(*(compact(v) for v in row))
    return table
