"""An experiment's directory: its definition, and a journal of the runs that have finished.

``experiment.json`` holds what defines the runs (scenario, root seed, run count, grid or
parameters). ``journal.jsonl`` gets one JSON line per finished run, written and flushed as the
run finishes, so an interrupted experiment loses only the runs in flight. Resuming reads the
journal back, drops a last line cut short by the interruption, and refuses a directory whose
definition differs from the one asked for, so results of two experiments are never mixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from experiments.run.outdir import check_writable
from model.scenario import ScenarioError

DEFINITION_FILE = "experiment.json"
JOURNAL_FILE = "journal.jsonl"

# Recorded for the reader but not compared on resume: the same runs may be asked for with a
# preset's name or its path, or with overrides that resolve to the same settings.
INFORMATIONAL_KEYS = ("scenario", "overrides")


class ExperimentError(ScenarioError):
    """An experiment that cannot start: bad options, or an output directory that does not fit.

    A `ScenarioError`, so the command line reports it like any other invalid input.
    """


def normalized(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as it reads back from JSON (tuples become lists, keys strings)."""
    result: dict[str, Any] = json.loads(json.dumps(definition))
    return result


def prepare(out: Path, definition: dict[str, Any], *, resume: bool) -> list[dict[str, Any]]:
    """Make ``out`` ready for the experiment and return the records it already holds.

    Args:
        out: the experiment's directory.
        definition: what defines the runs (written to ``experiment.json``).
        resume: continue the experiment stored in ``out``; without it ``out`` must be empty.

    Raises:
        ExperimentError: ``out`` is not empty without ``resume``, holds no experiment, or holds
            a different one.
        ScenarioError: ``out`` is a file, or cannot be written.
    """
    definition = normalized(definition)
    check_writable(out)
    stored_path = out / DEFINITION_FILE
    if resume and stored_path.is_file():
        stored = json.loads(stored_path.read_text())
        extended = _extends(stored, definition)
        differences = _differences(
            stored if not extended else {**stored, "runs": definition["runs"]}, definition
        )
        if differences:
            raise ExperimentError(
                f"--resume: {out} holds a different experiment ({'; '.join(differences)}); "
                "repeat the options it was started with, or choose another --out"
            )
        if extended:  # a Monte Carlo with more runs: the runs there keep their seeds
            stored_path.write_text(json.dumps(definition, indent=2) + "\n")
        return read_journal(out / JOURNAL_FILE, repair=True)
    if out.exists() and any(out.iterdir()):
        if resume:
            raise ExperimentError(f"--resume: {out} holds no {DEFINITION_FILE}, nothing to resume")
        raise ExperimentError(
            f"--out {out}: is not empty (an earlier result?); pass --resume to continue the "
            "experiment there, or choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    stored_path.write_text(json.dumps(definition, indent=2) + "\n")
    return []


def _extends(stored: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether ``wanted`` is ``stored`` with more runs, and may extend it.

    Only a Monte Carlo: run ``i`` uses seed ``SeedSequence(root).spawn(runs)[i]``, which does not
    depend on ``runs``, so the runs already there stay what they are. In a sweep or sensitivity
    analysis run ``point * runs + i`` would be renumbered.
    """
    kinds = {stored.get("kind"), wanted.get("kind")}
    runs = (stored.get("runs"), wanted.get("runs"))
    return (
        kinds == {"montecarlo"} and all(isinstance(r, int) for r in runs) and runs[1] > runs[0]  # type: ignore[operator]
    )


def _differences(stored: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """What differs between two definitions, in words, most telling first."""
    out = []
    for key in sorted(set(stored) | set(wanted)):
        if key in INFORMATIONAL_KEYS or stored.get(key) == wanted.get(key):
            continue
        if key == "scenario_settings":
            there, here = _flat(stored.get(key) or {}), _flat(wanted.get(key) or {})
            keys = [k for k in sorted(set(there) | set(here)) if there.get(k) != here.get(k)]
            out += [f"{k}: {there.get(k)!r} there, {here.get(k)!r} now" for k in keys[:5]]
            if len(keys) > 5:
                out.append(f"and {len(keys) - 5} more settings")
        elif key == "points_sha256":
            out.append("the parameter points differ (other sampling, or another SALib/SciPy)")
        elif key == "runs" and stored.get("kind") == "montecarlo":
            out.append(
                f"runs: {stored.get(key)!r} there, {wanted.get(key)!r} now (a Monte Carlo can "
                "be extended with more --runs, never shortened)"
            )
        else:
            out.append(f"{key}: {stored.get(key)!r} there, {wanted.get(key)!r} now")
    return out


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``dotted.key -> value``, list items numbered."""
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list) and tree and all(isinstance(x, dict) for x in tree):
        items = enumerate(tree)  # type: ignore[assignment]
    else:
        return {prefix[:-1]: tree}
    out: dict[str, Any] = {}
    for key, value in items:
        out.update(_flat(value, f"{prefix}{key}."))
    return out


def read_journal(path: Path, *, repair: bool = False) -> list[dict[str, Any]]:
    """The records in a journal, in the order they were written.

    A last line without its newline was cut short by an interruption: it is dropped unless it
    is a whole record. With ``repair`` the file is cut back to its last whole line, so the next
    record does not land on the end of a broken one.

    Raises:
        ExperimentError: a line other than the last is not a record (the file was edited).
    """
    if not path.is_file():
        return []
    data = path.read_bytes()
    records: list[dict[str, Any]] = []
    keep = 0  # bytes up to the end of the last whole line
    start = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        end = start + len(line)
        has_newline = end < len(data)
        if line.strip():
            record = _parse(line)
            if record is None:
                if has_newline:
                    raise ExperimentError(
                        f"{path} line {number} is not a run record: {line[:80]!r}"
                    )
                break  # the line an interruption cut short
            records.append(record)
        keep = end + 1 if has_newline else end
        start = end + 1
    if repair and (keep != len(data) or not data.endswith(b"\n")) and data:
        with path.open("r+b") as f:
            f.truncate(keep)
            if keep and data[keep - 1 : keep] != b"\n":
                f.seek(keep)
                f.write(b"\n")
    return records


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("run"), int):
        return None
    return record


class Journal:
    """Appends one JSON line per finished run, flushed at once.

    Flushing hands each line to the operating system as the run finishes, so killing the
    experiment loses nothing already journaled.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("a", encoding="utf-8")

    def append(self, record: dict[str, Any]) -> None:
        """Write one run's record."""
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
