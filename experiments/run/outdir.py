"""Output directories, checked before anything runs so a finished run is never lost to them.

A run or experiment only starts when its ``--out`` can take its files: the path is a directory
or can be made one (no part of it is a file), and the place it will be written is writable.
Checking creates nothing: the directory itself is made when the first file is written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from model.scenario import ScenarioError


def check_writable(out: Path, option: str = "--out") -> None:
    """Raise `ScenarioError` unless ``out`` is, or can be made, a writable directory.

    Nothing is created; a probe file in the nearest existing folder is made and removed at once
    (permission bits alone do not tell, e.g. for root or a read-only filesystem).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"{option} {out}: is a file, not a directory; choose a directory")
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise ScenarioError(
            f"{option} {out}: {existing} is a file, so no directory can be made there; "
            "choose a directory"
        )
    try:
        if not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(f"no write permission in {existing}")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError(
            f"{option} {out}: cannot write in {existing} ({reason}); choose a writable directory"
        ) from None


def check_run_out(out: Path, force: bool, files: Iterable[str]) -> None:
    """Raise `ScenarioError` unless ``out`` can take a run's ``files``.

    A directory that already holds something is an earlier result (or someone's files): it is
    refused unless ``force``, and then the run's own files are replaced (see `clear_run_files`).
    """
    check_writable(out)
    if out.is_dir() and any(out.iterdir()):
        if not force:
            held = sorted(p.name for p in out.iterdir())
            shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
            raise ScenarioError(
                f"--out {out}: is not empty (holds {shown}: an earlier result?); "
                "pass --force to overwrite it, or choose another --out"
            )
        for name in files:
            target = out / name
            if target.is_dir():
                raise ScenarioError(
                    f"--out {out}: {name} is a directory, so it cannot be overwritten; "
                    "choose another --out"
                )


def clear_run_files(out: Path, files: Iterable[str]) -> None:
    """Remove a run's own files left by an earlier run (``--force``), so none goes stale.

    Only the names a run writes are removed; anything else in the directory is left alone.
    """
    for name in files:
        (out / name).unlink(missing_ok=True)
