"""Every run and experiment directory says where it came from: the resolved scenario as TOML,
the command line, the version and git commit, the seed with its spawn key; default directory
names carry the overrides."""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from experiments.batch.montecarlo import monte_carlo
from experiments.cli import main
from experiments.cli.main import build_parser, parse_args
from experiments.cli.run import resolve
from experiments.run.provenance import (
    PROVENANCE_FILE,
    SCENARIO_FILE,
    git_commit,
    overrides_tag,
    scenario_toml,
)
from model.scenario import available_scenarios, load_scenario

ROOT = Path(__file__).resolve().parents[3]
SMALL = {"population.leveraged": 5, "duration": 10.0, "index.shocks": []}
SMALL_ARGS = ["--set", "population.leveraged=5", "--set", "duration=10", "--set", "index.shocks=[]"]


def resolved(scenario):
    """``scenario`` with its price mode written out, as ``scenario.toml`` records it."""
    return scenario.with_overrides({"prices.makers_know_value": not scenario.flow_prices})


@pytest.mark.parametrize("name", available_scenarios())
def test_scenario_toml_loads_back_to_the_same_scenario(tmp_path, name):
    scenario = load_scenario(name, {"population.max_leverage": 20})
    path = tmp_path / SCENARIO_FILE
    path.write_text(scenario_toml(scenario))
    loaded = load_scenario(path)
    assert loaded == resolved(scenario) and loaded.flow_prices == scenario.flow_prices
    told = load_scenario(name, {"index.mode": "exogenous"})  # a scripted path: told the value
    path.write_text(scenario_toml(told))
    assert load_scenario(path).prices.makers_know_value is True


def test_a_run_directory_records_scenario_command_version_commit_and_seed(tmp_path):
    out = tmp_path / "run"
    assert main(["run", *SMALL_ARGS, "--seed", "3", "--no-plots", "--out", str(out)]) == 0
    expected = load_scenario("flash-crash", {**SMALL, "seed": 3})
    assert load_scenario(out / SCENARIO_FILE) == resolved(expected)
    record = json.loads((out / PROVENANCE_FILE).read_text())
    assert record["command"] == " ".join(
        ["cascade", "run", *SMALL_ARGS, "--seed", "3", "--no-plots", "--out", str(out)]
    ).replace("index.shocks=[]", "'index.shocks=[]'")
    assert record["version"] == metadata.version("perp-cascade")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert record["git"]["commit"] == head
    assert record["seed"] == {"entropy": 3, "spawn_key": []}
    # the scenario.toml runs again to the same summary (wall time aside)
    again = tmp_path / "again"
    code = main(["run", "--scenario", str(out / SCENARIO_FILE), "--no-plots", "--out", str(again)])
    assert code == 0
    first, second = (json.loads((d / "summary.json").read_text()) for d in (out, again))
    first.pop("wall_seconds")
    second.pop("wall_seconds")
    first.pop("scenario")
    second.pop("scenario")
    assert first == second


def test_no_commit_is_claimed_outside_a_git_checkout(tmp_path):
    assert git_commit(tmp_path) is None


def _default_out(argv: list[str]) -> Path:
    args = parse_args(build_parser(), ["run", *argv])
    return resolve(args)[2]


def test_the_default_run_directory_names_the_overrides():
    plain = _default_out([])
    assert plain == Path("runs/flash-crash-1")
    assert _default_out(["--seed", "4"]) == Path("runs/flash-crash-4")
    a = _default_out(["--set", "population.max_leverage=20"])
    b = _default_out(["--set", "population.max_leverage=50"])
    assert (
        a != b and a.name.startswith("flash-crash-1-set-") and b.name.startswith("flash-crash-1-")
    )
    assert a == _default_out(["--set", "population.max_leverage=20"])  # stable
    assert overrides_tag({}) == ""


def test_the_default_experiment_directory_names_the_overrides():
    from experiments.cli.montecarlo import default_out

    plain = default_out("mc", "flash-crash", {}, None)
    varied = default_out("mc", "flash-crash", {"population.max_leverage": 20}, None)
    assert plain == Path("runs/mc-flash-crash-1")
    assert varied.name == f"mc-flash-crash-1-{overrides_tag({'population.max_leverage': 20})}"


def test_an_experiment_directory_records_its_provenance_and_each_resume(tmp_path):
    out = tmp_path / "mc"
    monte_carlo("flash-crash", 2, out, overrides=SMALL, seed=5, workers=1, command="first")
    assert load_scenario(out / SCENARIO_FILE) == resolved(load_scenario("flash-crash", SMALL))
    record = json.loads((out / PROVENANCE_FILE).read_text())
    assert record["command"] == "first"
    assert record["seed"]["entropy"] == 5 and record["seed"]["spawn_key"] == []
    monte_carlo(
        "flash-crash", 2, out, overrides=SMALL, seed=5, workers=1, resume=True, command="again"
    )
    record = json.loads((out / PROVENANCE_FILE).read_text())
    assert record["command"] == "first"
    assert [r["command"] for r in record["resumed"]] == ["again"]


def test_kept_series_of_an_experiment_run_record_their_spawn_key(tmp_path):
    out = tmp_path / "mc"
    monte_carlo("flash-crash", 2, out, overrides=SMALL, seed=5, workers=1, keep_series=True)
    record = json.loads((out / "runs" / "1" / PROVENANCE_FILE).read_text())
    assert record["seed"] == {"entropy": 5, "spawn_key": [1]}
    assert (out / "runs" / "1" / SCENARIO_FILE).is_file()
