"""Checking out a revision beside the current tree for side-by-side comparisons."""

import subprocess

import pytest

from experiments.perf.worktree import ROOT, checkout


def _worktrees() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_a_revision_is_checked_out_and_removed_afterwards():
    with checkout("HEAD") as tree:
        assert (tree / "model" / "orderbook.py").is_file()
        assert str(tree) in _worktrees()
    assert not tree.exists()
    assert str(tree) not in _worktrees()


def test_the_worktree_is_removed_when_the_work_fails():
    with pytest.raises(ZeroDivisionError), checkout("HEAD") as tree:
        1 / 0  # noqa: B018
    assert not tree.exists()


def test_an_unknown_revision_is_one_clear_error():
    with (
        pytest.raises(RuntimeError, match="cannot check out 'no-such-rev'"),
        checkout("no-such-rev"),
    ):
        pass
