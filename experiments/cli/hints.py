"""Hints added to a refusal: "did you mean" for a mistyped name, and the TOML syntax of
``--set`` when a value looks like JSON.

The model refuses invalid input in one line (`model.scenario.ScenarioError`); the command line
knows what the user typed and adds the nearest valid names to that line.
"""

from __future__ import annotations

import argparse
import re

from experiments.run.suggest import did_you_mean

UNKNOWN_SETTING = re.compile(r"unknown setting '([^']+)'")
UNKNOWN_SCENARIO = re.compile(r"^scenario must be one of .* got '([^']+)'$")
JSON_VALUE = re.compile(r"""\(got '.*("\s*:|\{\s*")""")
TOML_HINT = (
    "VALUE was not valid TOML, so it was kept as text: write tables as {key=value, ...}, not "
    'JSON\'s {"key": value} (see cascade run --help)'
)


def setting_keys(scenario: str) -> list[str]:
    """Every dotted key of a scenario and every prefix of one (``population.leverage``)."""
    from model.scenario import ScenarioError, load_scenario

    try:
        flat = load_scenario(scenario).flat()
    except ScenarioError:
        return []
    keys: set[str] = set()
    for key in flat:
        parts = key.split(".")
        keys.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(keys)


def explain(message: str, args: argparse.Namespace) -> str:
    """The refusal ``message`` with a hint when one helps; else ``message`` unchanged."""
    from model.scenario import available_scenarios

    hint = ""
    if match := UNKNOWN_SCENARIO.match(message):
        hint = did_you_mean(match.group(1), available_scenarios())
    elif match := UNKNOWN_SETTING.search(message):
        scenario = getattr(args, "scenario", None) or getattr(args, "show", None)
        hint = did_you_mean(match.group(1), setting_keys(scenario or "flash-crash"))
    elif JSON_VALUE.search(message):
        hint = TOML_HINT
    return f"{message}; {hint}" if hint else message
