"""Base classes shared by every configuration and plan model."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


def rule_error(problem: str, fix: str) -> PydanticCustomError:
    """A validation error that carries its own fix for the report."""
    return PydanticCustomError("b2_rule", "{problem}", {"problem": problem, "fix": fix})


def names_from(allowed: Iterable[str], description: str) -> Any:
    """A non-empty list of names that the schema limits to `allowed`, so editors complete them
    (the model's own validator gives the sentence that names a wrong one)."""
    return Field(
        min_length=1, description=description, json_schema_extra={"items": {"enum": list(allowed)}}
    )


def optional_in_range(low: int, high: int, description: str) -> Any:
    """An optional whole number whose B2 range the schema states, so editors flag it (the
    model's own validator gives the sentence)."""
    return Field(
        default=None, description=description, json_schema_extra={"minimum": low, "maximum": high}
    )


def schema_pattern(rule: re.Pattern[str]) -> dict[str, str]:
    """A rule's regex as a JSON Schema `pattern`: editors run ECMA regexes, which spell
    named groups differently, so the names are dropped (the match is the same)."""
    return {"pattern": re.sub(r"\(\?P<\w+>", "(", rule.pattern)}


class ConfigModel(BaseModel):
    """camelCase in YAML, snake_case in Python, unknown keys refused, no coercion."""

    model_config = ConfigDict(
        alias_generator=to_camel, extra="forbid", frozen=True, strict=True, populate_by_name=True
    )


class PlanModel(BaseModel):
    """Plans are immutable values."""

    model_config = ConfigDict(frozen=True, extra="forbid")
