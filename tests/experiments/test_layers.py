"""The layers of `experiments`: importing a library module leaves matplotlib's backend alone, and
each layer imports only the layers above it."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import experiments

PACKAGE = Path(experiments.__file__).parent
# A layer may import from the layers listed before it, never after.
ORDER = ["run", "reports", "batch", "dashboard", "cli"]


def library_modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages([str(PACKAGE)], "experiments.")
        if not m.ispkg and not m.name.endswith("__main__")  # running a command is not importing
    ]


def test_importing_any_module_keeps_the_backend() -> None:
    names = library_modules()
    assert "experiments.run.plots" in names and "experiments.cli.main" in names
    code = (
        "import importlib, matplotlib\n"
        "matplotlib.use('svg')\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(matplotlib.get_backend())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "svg"


def test_the_cli_chooses_agg() -> None:
    code = (
        "import matplotlib\n"
        "matplotlib.use('svg')\n"
        "from experiments.cli import main\n"
        "main(['scenarios'])\n"
        "print(matplotlib.get_backend())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1].lower() == "agg"


def _imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "experiments" and len(parts) > 1:
                layers.add(parts[1])
    return layers


def test_layers_import_only_the_layers_above() -> None:
    wrong = []
    for rank, layer in enumerate(ORDER):
        allowed = set(ORDER[: rank + 1])
        for path in sorted((PACKAGE / layer).glob("*.py")):
            below = _imported_layers(path) & set(ORDER) - allowed
            if below:
                wrong.append(f"{layer}/{path.name} imports {sorted(below)}")
    assert wrong == []
