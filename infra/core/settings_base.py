"""Base classes shared by every configuration and plan model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


def rule_error(problem: str, fix: str) -> PydanticCustomError:
    """A validation error that carries its own fix for the report."""
    return PydanticCustomError("b2_rule", "{problem}", {"problem": problem, "fix": fix})


class ConfigModel(BaseModel):
    """camelCase in YAML, snake_case in Python, unknown keys refused, no coercion."""

    model_config = ConfigDict(
        alias_generator=to_camel, extra="forbid", frozen=True, strict=True, populate_by_name=True
    )


class PlanModel(BaseModel):
    """Plans are immutable values."""

    model_config = ConfigDict(frozen=True, extra="forbid")
