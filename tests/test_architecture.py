"""The project's import structure (issue 24): no import cycles among its own modules, and agents
meet the market through narrow interfaces rather than the whole simulation.

The graph is read from the source with `ast`, so it sees every import: at module level, inside
functions, and under ``if TYPE_CHECKING:`` (a type-only import is still a dependency a reader
has to follow, and the circle it closes is the one that breaks first when code moves).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("model", "agents", "experiments")

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    """Dotted name of a source file under ``ROOT`` (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imported_modules(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules an import statement anywhere in ``tree`` names: ``import a.b`` names
    ``a.b``; ``from a import b`` names the submodule ``a.b`` when there is one, else ``a``
    (b is then a name defined in ``a``)."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: anchored at this module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in names if name in known and name != module}


def import_graph() -> Graph:
    """Module → the project modules it imports."""
    modules = project_modules()
    known = set(modules)
    return {
        name: imported_modules(
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path)),
            name,
            path.name == "__init__.py",
            known,
        )
        for name, path in modules.items()
    }


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle as a list of modules (first repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph()


def test_the_graph_sees_the_project(graph):
    """A sanity check of the reader: it finds the modules and the imports it must, including
    those under TYPE_CHECKING."""
    assert {"model.simulation", "model.liquidation.engine", "experiments.run.runner"} <= set(graph)
    assert "model.liquidation.styles" in graph["model.liquidation.engine"]
    assert "model.simulation" in graph["experiments.run.runner"]
    assert "model.liquidation.binance" in graph["model.liquidation.styles"]


def test_find_cycle_reports_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle(graph):
    """The whole project imports in one direction: experiments → model.simulation → agents →
    the model's view, gateway and settings → the exchange core (TYPE_CHECKING imports count)."""
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_agents_do_not_import_the_simulation(graph):
    """Agents meet the market through narrow interfaces, not `model.simulation` (not even for
    types under TYPE_CHECKING)."""
    offenders = sorted(
        m for m, ts in graph.items() if m.startswith("agents") and "model.simulation" in ts
    )
    assert offenders == [], f"agents importing model.simulation: {offenders}"


def test_the_cycle_check_sees_a_cycle_through_type_checking_imports(graph):
    """The check would catch a circle the old way in: the recorder naming the simulation for
    its types while the simulation builds the recorder."""
    with_circle = {m: set(ts) for m, ts in graph.items()}
    with_circle["model.recorder"].add("model.simulation")
    assert find_cycle(with_circle) is not None
