"""The Monte Carlo report's crash section: quantiles of the crash measures, only with a trigger."""

import numpy as np
import pandas as pd

from experiments.reports.distributions import crash_section
from experiments.run.crash import CRASH_FIELDS


def runs(trigger: bool) -> pd.DataFrame:
    """Four finished runs; with ``trigger`` their crash measures are numbers, else NaN."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"status": ["ok"] * 4})
    for field in CRASH_FIELDS:
        frame[field] = rng.uniform(1, 2, 4) if trigger else np.nan
    return frame


def test_the_crash_section_lists_every_crash_measure_with_its_quantiles():
    lines = crash_section(runs(trigger=True))
    assert lines[0] == "## The crash, from its trigger"
    table = "\n".join(lines)
    assert all(f"| {field} | 4 |" in table for field in CRASH_FIELDS)  # 4 runs each


def test_runs_without_a_trigger_get_no_crash_section():
    assert crash_section(runs(trigger=False)) == []
