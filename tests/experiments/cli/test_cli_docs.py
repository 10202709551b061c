"""docs/cli.md, the command line's reference, names every sub-command and option the parser has,
and its examples are what the command accepts and prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from experiments.cli.main import SET_EXAMPLES, build_parser, chosen_command, main
from experiments.cli.report import report_modules

DOCS = (Path(__file__).parents[3] / "docs" / "cli.md").read_text()
BLOCKS = re.findall(r"```\n(.*?)```", DOCS, flags=re.DOTALL)
COMMANDS = [line for block in BLOCKS for line in block.splitlines() if line.startswith("cascade ")]
REFUSALS = re.findall(r"^\$ (cascade .*)\n(error: .*)$", DOCS, flags=re.MULTILINE)
PASSED_ON = ("report", "bench")  # their words go to the tool's own parser


def _subparsers() -> dict[str, object]:
    action = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    return dict(action.choices)  # type: ignore[arg-type]


def test_every_sub_command_has_its_section():
    for name in _subparsers():
        assert f"## `cascade {name}`" in DOCS, name


def test_every_report_is_listed():
    for name in report_modules():
        assert f"`cascade report {name}`" in DOCS, name


def test_every_option_of_every_sub_command_is_documented():
    missing = []
    for name, parser in _subparsers().items():
        for action in parser._actions:  # type: ignore[attr-defined]
            for option in action.option_strings:
                if option not in ("-h", "--help") and f"`{option}" not in DOCS:
                    missing.append(f"{name} {option}")
    assert missing == []


def test_the_set_examples_are_the_parsers():
    for example, _ in SET_EXAMPLES:
        assert f"`--set {example}`" in DOCS, example


def test_there_are_examples():
    assert len(COMMANDS) >= 15 and len(REFUSALS) >= 3


@pytest.mark.parametrize("line", COMMANDS)
def test_every_example_command_parses(line):
    words = shlex.split(line.split(" > ")[0])[1:]
    command = chosen_command(words)
    if command in PASSED_ON:
        assert command == "bench" or words[1] in report_modules()
        return
    if "--help" in words:
        return
    build_parser(words).parse_args(words)  # exits on anything the parser refuses


@pytest.mark.parametrize("line, error", REFUSALS, ids=[c for c, _ in REFUSALS])
def test_the_documented_refusals_are_what_the_command_prints(
    line, error, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split(line)[1:]) == 2
    printed = capsys.readouterr().err.strip()
    pattern = ".*".join(re.escape(part) for part in error.split("[...]"))
    assert re.fullmatch(pattern, printed), printed
