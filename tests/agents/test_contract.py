"""The agents' boundary: they see the market through the view and act through the gateway.

An agent module may import from `model` only the view, the gateway, the settings and the random
streams; it never imports the simulation, never reaches for the ledger or the exchange, and
every kind of trader implements ``act(view, gateway)``. The example of a new trader kind in
docs/CONTRACTS.md runs as written.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import agents
from agents.trader import Trader

ROOT = Path(__file__).resolve().parents[2]
AGENTS = sorted((ROOT / "agents").glob("*.py"))
# what an agent may import from the model: the view, the gateway, settings, random streams
ALLOWED = {"model.gateway", "model.view", "model.scenario", "model.settings", "model.randomness"}
# the market's internals: an agent reaching for one of these bypasses the view and gateway
FORBIDDEN_ATTRIBUTES = {"ledger", "exchange", "market_model", "liquidator", "funds", "_market"}


def model_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a `model` module in ``path``, TYPE_CHECKING included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "model":  # ``from model import pools``
                found += [(node.lineno, f"model.{a.name}") for a in node.names]
            elif node.module.startswith("model."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("model")]
    return found


def test_agent_modules_import_only_the_view_gateway_and_settings():
    bad = [
        f"{path.name}:{line} imports {module}"
        for path in AGENTS
        for line, module in model_imports(path)
        if module not in ALLOWED
    ]
    assert not bad, "agents reach past the view and gateway:\n" + "\n".join(bad)


def test_the_import_check_sees_the_imports_it_forbids(tmp_path):
    # the check itself: the forms an agent could use to reach the simulation or the ledger
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "from model import pools\n"
        "import model.ledger\n"
        "if TYPE_CHECKING:\n"
        "    from model.simulation import CascadeModel\n"
    )
    assert {m for _, m in model_imports(probe)} == {
        "model.pools",
        "model.ledger",
        "model.simulation",
    }


def test_no_agent_reaches_for_the_ledger_or_the_exchange():
    bad = []
    for path in AGENTS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
                bad.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not bad, "agents read the market's internals:\n" + "\n".join(bad)


def trader_kinds() -> list[type[Trader]]:
    """Every Trader subclass defined in the agents package."""
    import importlib

    for path in AGENTS:
        importlib.import_module(f"agents.{path.stem}")
    seen: list[type[Trader]] = []
    todo = [Trader]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith(agents.__name__ + ".") and sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


def test_every_trader_kind_implements_the_one_contract():
    from agents.spot_maker import SpotMaker
    from agents.spot_trader import SpotTrader

    kinds = trader_kinds()
    assert len(kinds) >= 8  # makers, arbitrageurs, noise, momentum, leveraged, carry, ...
    for kind in [*kinds, SpotMaker, SpotTrader]:  # spot agents: the same, with a spot gateway
        params = list(inspect.signature(kind.act).parameters)
        assert params == ["self", "view", "gateway"], f"{kind.__name__}.act{params}"


def contract_examples() -> list[str]:
    """The Python blocks of docs/CONTRACTS.md's trader-contract section."""
    text = (ROOT / "docs" / "CONTRACTS.md").read_text()
    section = text.split("**The trader contract.**", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_documented_new_trader_kind_runs():
    definition, usage = contract_examples()
    namespace: dict[str, object] = {}
    exec(compile(definition, "CONTRACTS.md", "exec"), namespace)  # noqa: S102 (the docs)
    exec(compile(usage, "CONTRACTS.md", "exec"), namespace)  # noqa: S102 (a flash crash)
    model = namespace["model"]
    (buyer,) = model.population.joined  # type: ignore[attr-defined]
    assert buyer.kind == "dip_buyer"
    assert buyer.position(0) > 0  # it bought the crash, through its gateway
    assert not model.market.audit()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["ledger", "exchange"])
def test_a_trader_holds_no_handle_on_the_market(build, name):
    model = build("calm")
    for agent in model.agents:
        assert not hasattr(agent, name)
