"""Every research notebook runs top to bottom in its fast CI mode, stands on its own (a title),
writes nothing into the repository, and is what `make notebooks` runs."""

from pathlib import Path

import nbformat
import pytest

from experiments.notebooks import execute, notebook_paths

ROOT = Path(__file__).parents[2]
FOLDER = ROOT / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def _repo_entries() -> set[str]:
    # where a notebook could leave files: the repository's top level and notebooks/
    return {p.name for p in ROOT.iterdir()} | {f"notebooks/{p.name}" for p in FOLDER.iterdir()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode_and_leaves_no_files(path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    before = _repo_entries()
    done = execute(path, fast=True, save=False)
    assert done.wall > 0
    assert _repo_entries() - before == set()


def test_make_notebooks_runs_every_notebook_the_tests_run():
    assert len(NOTEBOOKS) >= 6
    assert notebook_paths([FOLDER]) == NOTEBOOKS
    assert not list(FOLDER.glob("*/*.ipynb")), "a notebook in a subfolder would be neither"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_stands_on_its_own(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "a title first"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "a python3 kernelspec"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "CASCADE_FAST" in code, "the notebook needs a fast mode for the tests"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert "\\n" not in cell.source, "a markdown cell shows a literal \\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_outputs_hold_no_error_or_warning(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error"
            if output.output_type == "stream" and output.name == "stderr":
                assert "Warning" not in output.text, output.text


def test_the_tutorial_lists_every_notebook():
    tutorial = (ROOT / "docs" / "tutorial.md").read_text()
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in tutorial, path.name
