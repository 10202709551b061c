"""The README is the user's manual: its examples run and its tables name what exists."""

import re
import shlex
from pathlib import Path

import pytest

from experiments.cli import main
from experiments.run.metrics import SUMMARY_FIELDS
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


ERROR_EXAMPLES = re.findall(r"^\$ (cascade .*)\n(error: .*)$", README, flags=re.MULTILINE)


@pytest.mark.parametrize("command, error", ERROR_EXAMPLES, ids=[c for c, _ in ERROR_EXAMPLES])
def test_documented_refusals_are_what_the_command_prints(
    command, error, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code = main(shlex.split(command)[1:])
    assert code == 2
    assert capsys.readouterr().err == error + "\n"
    assert not any(tmp_path.iterdir())  # nothing written


def test_there_are_documented_refusals():
    assert len(ERROR_EXAMPLES) >= 2
