"""The settings reference, generated from the scenario's pydantic models.

Every setting a scenario holds, by the dotted key that ``--set`` takes, with its type, default,
allowed range and meaning (the field's description). The docs build calls `settings_markdown`
(``docs/hooks.py``), so the page cannot fall behind the models.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from model.scenario import Scenario

# "spec §N" in a description is a section of the exchange-mechanics page
SPEC_SECTIONS = {
    "1": "maintenance-margin-tiers",
    "2": "trigger-liquidation-price-and-bankruptcy-price",
    "3": "the-liquidation-sequence-of-each-venue",
    "4": "the-insurance-fund",
    "5": "auto-deleveraging-adl",
    "6": "mark-price-index-and-funding",
    "7": "the-event-of-2025-10-10",
}
SPEC_REF = re.compile(r"spec §(\d)")
# Meanings of the fields whose pydantic Field has no description (a description added in
# model/ takes precedence over these)
MEANINGS = {
    "name": "the scenario's name (a preset's name)",
    "description": "one line saying what the scenario is",
    "venue.name": "the venue preset's name",
    "venue.description": "one line about the venue's rules",
    "venue.maker_fee": "fee on the notional of fills of resting orders (negative: a rebate)",
    "venue.taker_fee": "fee on the notional of fills of orders that take liquidity",
    "venue.mark.method": "the mark price: Binance's or Hyperliquid's median of three, the last "
    "trade, or the index (spec §6)",
    "venue.insurance.scope": "one fund per contract, or one fund shared by all (spec §4)",
    "venue.adl.price": "the price ADL closes at: the bankruptcy price, the mark, or the previous "
    "index (oracle) price (spec §5)",
    "venue.adl.ranking": "who ADL closes first, or how the loss is shared (spec §5; see the "
    "[ADL policy study](adl-policies.md))",
    "contracts.N.symbol": "the contract's name",
    "population.market_makers": "number of market makers (each quotes every contract)",
    "population.noise": "number of noise traders on the perpetual",
    "population.leveraged": "number of leveraged traders (the crowd)",
    "population.momentum": "number of momentum traders",
    "population.arbitrageurs": "number of basis arbitrageurs",
    "population.whales": "number of whales: large leveraged traders in higher margin tiers",
    "population.defences.stop_loss_share": "share of leveraged traders with a stop-loss",
    "population.defences.topup_share": "share of leveraged traders who top up their margin from "
    "a reserve",
    "population.defences.reduce_share": "share of leveraged traders who cut their position at "
    "a margin-ratio threshold",
    "population.herding.mean_degree": "average number of neighbours on the herding network",
}
BOUNDS = (
    (annotated_types.Gt, "gt", "> {}"),
    (annotated_types.Ge, "ge", "≥ {}"),
    (annotated_types.Lt, "lt", "< {}"),
    (annotated_types.Le, "le", "≤ {}"),
    (annotated_types.MinLen, "min_length", "at least {} items"),
    (annotated_types.MaxLen, "max_length", "at most {} items"),
)


def _link_spec(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        anchor = SPEC_SECTIONS.get(match.group(1))
        return f"[exchange mechanics](exchange-mechanics.md#{anchor})" if anchor else match[0]

    return SPEC_REF.sub(link, text)


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The pydantic model a field holds (and whether it is a list of them), else (None, False)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    return None, False


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{v}`" for v in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if annotation is type(None):
        return "none"
    return getattr(annotation, "__name__", str(annotation))


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return "(table)"
    if isinstance(value, float) and abs(value) >= 1e4 and value == int(value):
        return f"`{int(value):,}`"
    if isinstance(value, float):
        return f"`{value:.6g}`"
    return f"`{value!r}`" if value is not None else "`None`"


def _number(value: Any) -> str:
    if isinstance(value, float) and value == int(value):
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _constraints(info: FieldInfo) -> str:
    parts = [
        template.format(_number(getattr(item, attr)))
        for item in info.metadata
        for kind, attr, template in BOUNDS
        if isinstance(item, kind)
    ]
    return ", ".join(parts) or "—"


def _rows(model: type[BaseModel], prefix: str, sections: list[str]) -> list[str]:
    rows: list[str] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        nested, is_list = _model_of(info.annotation)
        if nested is not None:
            label = f"{key}.N" if is_list else key
            _section(nested, f"{label}.", sections, title=label, many=is_list)
            continue
        text = info.description or MEANINGS.get(key, "—")
        meaning = _link_spec(text.replace("|", "\\|")) if text != "—" else text
        rows.append(
            f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | "
            f"{_constraints(info)} | {meaning} |"
        )
    return rows


def _section(
    model: type[BaseModel], prefix: str, sections: list[str], title: str, many: bool = False
) -> None:
    doc = _link_spec((model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "))
    place = len(sections)
    sections.append("")  # this section goes before the nested ones it finds
    rows = _rows(model, prefix, sections)
    lines = [f"## `{title}`", "", doc, ""]
    if many:
        lines += [f"A list: `{title}` is item N (0 first).", ""]
    if rows:
        lines += ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|", *rows]
    sections[place] = "\n".join(lines) + "\n"


def settings_markdown() -> str:
    """The whole settings reference page as Markdown."""
    sections: list[str] = []
    _section(Scenario, "", sections, title="scenario (top level)")
    intro = (
        "# Settings reference\n\n"
        "Every setting of a scenario, by the dotted key that `--set KEY=VALUE` overrides on "
        "every command (and that `CascadeModel(**{key: value})` takes). This page is generated "
        "from the pydantic models in `model/scenario.py` and `model/venue.py` when the docs are "
        "built, so it lists exactly what the code accepts.\n\n"
        "Defaults are those of a bare scenario; a preset (`--scenario NAME`) sets many of them "
        "itself, and `--set venue=NAME` loads a venue preset whose rules replace the `venue.*` "
        "defaults. `cascade scenarios --show NAME` prints a preset with every key resolved. "
        "Numbers must be finite (no `nan` or `inf`), and a value outside its allowed range is "
        "refused before anything runs.\n"
    )
    return intro + "\n" + "\n".join(sections)
