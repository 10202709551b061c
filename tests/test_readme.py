"""The README is the user's manual: its examples run and its tables name what exists."""

import re
from pathlib import Path

import pytest

from experiments.metrics import SUMMARY_FIELDS
from model.scenario import available_scenarios
from model.venue import available_venues

README = (Path(__file__).parents[1] / "README.md").read_text()
EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_python_examples_run(code):
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - running the manual is the test


def test_there_are_python_examples():
    assert len(EXAMPLES) >= 2


def test_every_summary_field_is_explained():
    for field in SUMMARY_FIELDS:
        assert f"| `{field}` |" in README, field


def test_every_preset_is_listed():
    for name in available_scenarios() + available_venues():
        assert f"`{name}`" in README, name
