"""Every research notebook runs top to bottom (in its fast CI mode) without error."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    # Notebooks read CASCADE_FAST to shrink horizons and seed counts in CI.
    monkeypatch.setenv("CASCADE_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ should hold at least one research notebook"
    assert os.path.isdir(NOTEBOOKS[0].parent)
