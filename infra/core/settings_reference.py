"""The README's table of every stack setting, generated from the settings models.

`python -m infra schema --write` puts it between the two markers in README.md; a unit test
fails when that section is stale. Same source as the JSON Schema (`infra.core.stack_schema`):
the field descriptions, types, defaults and limits of `infra.core.stack_settings`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from infra.core.problems import NAMESPACE
from infra.core.stack_schema import REGENERATE
from infra.core.stack_settings import StackSettings

README_FILE = Path(__file__).resolve().parents[2] / "README.md"
BEGIN = f"<!-- BEGIN generated: stack settings ({REGENERATE}) -->"
END = "<!-- END generated: stack settings -->"
_LIMIT_WORDS = (("min_length", "at least"), ("ge", "from"), ("le", "up to"))
_NAMES = {str: ("text", "text"), int: ("whole number", "whole numbers"), bool: ("true/false",) * 2}


class MarkersMissing(ValueError):
    """The README has no place for the generated section."""


def _optional(annotation: Any) -> Any:
    """`X | None` as X: a missing value is shown by the default column."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _type_name(annotation: Any, *, plural: bool = False) -> str:
    annotation = _optional(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0], plural=True)}"
    if origin is dict:
        return f"mapping of name to {_type_name(args[1])}"
    if _is_model(annotation):
        return "mappings" if plural else "mapping"
    return _NAMES[annotation][plural]


def _limits(info: FieldInfo) -> str:
    """The limits pydantic enforces on the field itself (others are in its description)."""
    return ", ".join(
        f"{words} {getattr(rule, attribute)}"
        for rule in info.metadata  # pydantic's MinLen, Ge and Le constraint objects
        for attribute, words in _LIMIT_WORDS
        if getattr(rule, attribute, None) is not None
    )


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default is PydanticUndefined:  # a default_factory: a nested section, all defaults
        return "see below"
    value = info.default
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, dict)) and not value:
        return f"`{value!r}`"
    return f"`{value}`"


def _children(annotation: Any, path: str) -> tuple[type[BaseModel], str] | None:
    """The model one level down a field's type, and the path prefix of its fields."""
    annotation = _optional(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and _is_model(args[0]):
        return args[0], f"{path}[]."
    if origin is dict and _is_model(args[1]):
        return args[1], f"{path}.<role>."
    if _is_model(annotation):
        return annotation, f"{path}."
    return None


def _rows(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str, str, str]]:
    for name, info in model.model_fields.items():
        path = prefix + (info.alias or name)
        kind = _type_name(info.annotation)
        limits = _limits(info)
        yield (
            f"`{path}`",
            f"{kind}, {limits}" if limits else kind,
            _default(info),
            (info.description or "").replace("|", "\\|"),
        )
        nested = _children(info.annotation, path)
        if nested is not None:
            yield from _rows(*nested)


def settings_reference() -> str:
    """The Markdown table: one row per setting, nested settings under their section."""
    lines = ["| setting | type | default | what it does |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in _rows(StackSettings, f"{NAMESPACE}:")]
    return "\n".join(lines) + "\n"


def with_settings_reference(readme: str) -> str:
    """`readme` with the text between the markers replaced by the current table."""
    head, begin, rest = readme.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise MarkersMissing(f"the lines {BEGIN!r} and {END!r} (in that order)")
    return f"{head}{BEGIN}\n{settings_reference()}{END}{tail}"
