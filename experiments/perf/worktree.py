"""An older revision of this repository, checked out for a side-by-side comparison.

The speed benchmark and the before/after comparison of summary distributions both run the
current tree and a revision REV in separate processes. `checkout` gives REV's tree in a
temporary git worktree and removes it afterwards, whatever happens in between.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def checkout(rev: str, root: Path = ROOT) -> Iterator[Path]:
    """Check ``rev`` out (detached) in a temporary worktree of ``root``; yields its path."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        done = subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", str(tree), rev],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"cannot check out {rev!r}: {done.stderr.strip()}")
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "-C", str(root), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
                check=False,
            )
            shutil.rmtree(tree, ignore_errors=True)
