"""Kept so that ``python -m experiments.adl_study`` and older imports keep working; the study is
`experiments.reports.adl_study`."""

from experiments.reports.adl_study import (
    POLICY_KEY,
    STUDY_FIELDS,
    minimal_is_least,
    paired_over_utilisation,
    policy_plot,
    policy_table,
)

__all__ = [
    "POLICY_KEY",
    "STUDY_FIELDS",
    "minimal_is_least",
    "paired_over_utilisation",
    "policy_plot",
    "policy_table",
]
