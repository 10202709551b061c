"""Dotted-key overrides of a settings tree (``--set population.max_leverage=20``) and the
readable errors of a settings model.

Everything here works on plain dicts and takes the root settings model as an argument, so the
scenario (`model.scenario`) uses it without it importing the scenario back.
"""

from __future__ import annotations

import tomllib
from typing import Any

from pydantic import BaseModel, ValidationError

from model.settings import ScenarioError


def parse_value(text: str) -> Any:
    """Parse an override value as TOML (numbers, booleans, lists), else keep it as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn ``["a.b=1", ...]`` into ``{"a.b": 1}`` with a clear error on malformed items."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set expects dotted.key=value, got {pair!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def set_dotted(data: dict[str, Any], key: str, value: Any, schema: type[BaseModel]) -> None:
    """Set ``key`` (dotted, list items by index) in ``data`` to ``value``; a key that is neither
    in ``data`` nor a field of ``schema`` (the root settings model) is refused."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        prefix = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = node[_list_index(node, part, prefix)]
            continue
        if part not in node:
            if part not in _known_children(schema, parts[:i]):
                raise ScenarioError(f"unknown setting {key!r}: no {prefix!r} in the scenario")
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[_list_index(node, last, key)] = value
    elif isinstance(node, dict):
        if last not in node and last not in _known_children(schema, parts[:-1]):
            raise ScenarioError(f"unknown setting {key!r}")
        node[last] = value
    else:
        raise ScenarioError(f"unknown setting {key!r}: {'.'.join(parts[:-1])!r} is a value")


def _list_index(node: list[Any], part: str, key: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(f"{key!r}: index must be 0..{len(node) - 1}, got {part!r}")
    return int(part)


def _known_children(schema: type[BaseModel], path: list[str]) -> set[str]:
    """Field names the schema allows under a dotted path (for defaults absent from a preset)."""
    model: Any = schema
    for part in path:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return set()
        model = _model_of(field.annotation)
        if model is None:
            return set()
    return set(model.model_fields)


def refuse_bools(data: Any, model: Any, prefix: str = "") -> None:
    """Refuse ``true``/``false`` given for a number (pydantic would read them as 1 and 0)."""
    if not isinstance(data, dict):
        return
    for name, value in data.items():
        field = model.model_fields.get(name)
        if field is None:
            continue  # pydantic reports unknown fields
        key = f"{prefix}{name}"
        annotation = field.annotation
        sub = _model_of(annotation)
        if isinstance(value, bool) and bool not in _types_of(annotation):
            if _types_of(annotation) & {int, float}:
                raise ScenarioError(f"invalid scenario: {key}: must be a number, got {value!r}")
        elif sub is not None and isinstance(value, dict):
            refuse_bools(value, sub, f"{key}.")
        elif sub is not None and isinstance(value, list):
            for i, item in enumerate(value):
                refuse_bools(item, sub, f"{key}.{i}.")


def _types_of(annotation: Any) -> set[Any]:
    """The plain types an annotation allows (``float | None`` -> {float, NoneType})."""
    args = getattr(annotation, "__args__", None)
    if args is None:
        return {annotation}
    return {t for arg in args for t in _types_of(arg)}


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = (
            deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(tree, list) and tree and all(isinstance(x, dict) for x in tree):
        out = {}
        for i, v in enumerate(tree):
            out.update(flatten(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: tree}


def explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "scenario"
        got = err.get("input")
        got_text = "" if isinstance(got, dict | list) else f" (got {got!r})"
        msg = err["msg"].removeprefix("Value error, ")
        if not err["loc"]:  # a check across fields: its message names the field itself
            lines.append(msg)
        else:
            lines.append(f"{loc}: {msg}{got_text}")
    return "invalid scenario: " + "; ".join(lines)
