"""The README and the manual (docs/) are the user's guide: their examples run, and their
tables name what exists."""

import re
import shlex
from pathlib import Path

import pytest

from experiments.cli import main
from experiments.run.metrics import SUMMARY_FIELDS
from model.scenario import available_scenarios
from model.venue import available_venues

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
# the pages whose Python examples are run here: the README's and the Python API page's
EXAMPLE_PAGES = {"README.md": README, "docs/python-api.md": (DOCS / "python-api.md").read_text()}
EXAMPLES = [
    (f"{name}:{i}", code)
    for name, text in EXAMPLE_PAGES.items()
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL))
]


@pytest.mark.parametrize("where, code", EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_python_examples_run(where, code):
    exec(compile(code, where, "exec"), {})  # noqa: S102 - running the manual is the test


def test_there_are_python_examples():
    assert any(where.startswith("README.md") for where, _ in EXAMPLES)
    assert sum(where.startswith("docs/") for where, _ in EXAMPLES) >= 2


def test_every_summary_field_is_explained():
    outputs = (DOCS / "outputs.md").read_text()
    for field in SUMMARY_FIELDS:
        assert f"| `{field}` |" in outputs, field


def test_every_preset_is_listed():
    scenarios = (DOCS / "scenarios.md").read_text()
    for name in available_scenarios() + available_venues():
        assert f"`{name}`" in scenarios, name


def test_the_readme_names_every_scenario_preset():
    for name in available_scenarios():
        assert f"`{name}`" in README, name


REFUSAL = re.compile(r"^\$ (cascade .*)\n(error: .*)$", flags=re.MULTILINE)
ERROR_EXAMPLES = sorted(
    {pair for text in (README, (DOCS / "running.md").read_text()) for pair in REFUSAL.findall(text)}
)


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
    assert REFUSAL.search(README)


def test_the_readme_stays_short():
    assert len(README.splitlines()) <= 300
