"""Where a run or an experiment came from, written next to its results.

Every run and experiment directory holds ``scenario.toml`` (the fully resolved scenario: venue,
tiers and every default written out, so it runs again as ``--scenario DIR/scenario.toml`` even
after a preset changes) and ``provenance.json`` (the command line, the package version, the git
commit of the source when there is one, and the seed with its spawn key).

A seed is recorded as NumPy's `SeedSequence` is built: ``entropy`` (the root seed) and
``spawn_key`` (empty for ``cascade run --seed S``; ``[i]`` for run ``i`` of an experiment, which
uses ``SeedSequence(root).spawn(runs)[i]``, the same as ``SeedSequence(root, spawn_key=(i,))``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from model.scenario import Scenario

SCENARIO_FILE = "scenario.toml"
PROVENANCE_FILE = "provenance.json"
PACKAGE = "perp-cascade"
SOURCE = Path(__file__).resolve().parents[2]


def scenario_toml(scenario: Scenario) -> str:
    """The scenario with every setting resolved, as TOML that loads back to the same scenario.

    TOML has no null: a setting that is None is left out, which loads back as its default (None).
    ``prices.makers_know_value`` is written as it was resolved (true: the makers were told the
    value).
    """
    tree = scenario.model_dump(mode="json")
    # the price mode as it ran, not "unset": the file runs the same if the default changes
    tree["prices"]["makers_know_value"] = not scenario.flow_prices
    return tomli_w.dumps(_without_none(tree))


def _without_none(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _without_none(v) for k, v in tree.items() if v is not None}
    if isinstance(tree, list):
        return [_without_none(v) for v in tree]
    return tree


def overrides_tag(overrides: dict[str, Any]) -> str:
    """A short, stable name for a set of ``--set`` overrides (empty when there are none).

    Default output directories carry it, so runs with other settings never share a directory.
    """
    if not overrides:
        return ""
    text = json.dumps(overrides, sort_keys=True, default=str)
    return "set-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed: ``cascade ...`` for the CLI, else this process's own arguments."""
    if argv is not None:
        return shlex.join(["cascade", *argv])
    return shlex.join([Path(sys.argv[0]).name or "python", *sys.argv[1:]])


def git_commit(source: Path = SOURCE) -> dict[str, Any] | None:
    """The commit the source was checked out at and whether it had local changes; None outside
    a git checkout (e.g. an installed wheel)."""
    if not (source / ".git").exists():
        return None
    try:
        head = _git(source, "rev-parse", "HEAD")
        dirty = bool(_git(source, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": head, "dirty": dirty}


def _git(source: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(source), *args], capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout.strip()


def seed_record(seed: int | np.random.SeedSequence) -> dict[str, Any]:
    """``{"entropy": root, "spawn_key": [...]}``: enough to rebuild the run's generator."""
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": int(seed.entropy), "spawn_key": [int(k) for k in seed.spawn_key]}  # type: ignore[arg-type]
    return {"entropy": int(seed), "spawn_key": []}


def provenance(command: str | None, seed: dict[str, Any]) -> dict[str, Any]:
    """What ``provenance.json`` holds for one invocation."""
    try:
        version: str | None = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        version = None
    return {
        "command": command if command is not None else command_line(),
        "version": version,
        "git": git_commit(),
        "seed": seed,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": _version("mesa"),
        "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def write_provenance(
    out: Path, scenario: Scenario, command: str | None, seed: dict[str, Any]
) -> None:
    """Write ``scenario.toml`` and ``provenance.json`` into ``out``.

    An experiment that is resumed keeps its first record and adds the new command under
    ``resumed``, so every invocation that wrote runs into the directory is listed.
    """
    out.mkdir(parents=True, exist_ok=True)
    record = provenance(command, seed)
    path = out / PROVENANCE_FILE
    if path.is_file():
        first = json.loads(path.read_text())
        first.setdefault("resumed", []).append(record)
        record = first
    else:
        (out / SCENARIO_FILE).write_text(scenario_toml(scenario))
    path.write_text(json.dumps(record, indent=2) + "\n")


def read_provenance(out: Path) -> dict[str, Any]:
    """The ``provenance.json`` of a run or experiment directory."""
    result: dict[str, Any] = json.loads((out / PROVENANCE_FILE).read_text())
    return result
