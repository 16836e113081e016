"""Which group a smoke check belongs to and the name it is reported under.

The groups are stated here once (`--only` takes them, the plugin selects by them); each
check states its own name with `@check`, so renaming a Python function changes nothing a
report, a test or a CI job reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "smoke_check"


class Group(StrEnum):
    """The check groups, in the order `--only` lists them."""

    PREFLIGHT = "preflight"
    CONNECTIVITY = "connectivity"
    SCOPING = "scoping"
    BUCKET_SETTINGS = "bucket settings"
    OBJECT_ROUND_TRIP = "object round trip"
    PIXELTABLE = "pixeltable"
    PIXELTABLE_B2 = "pixeltable b2"
    AUDIT = "audit"
    CLEANUP = "cleanup"


GROUPS: tuple[str, ...] = tuple(group.value for group in Group)


@dataclass(frozen=True)
class CheckId:
    """`group: name`, plus ` [parameter]` for a parametrized check; without a name, each
    parameter's id is the name (one check per row of a table, e.g. the Pixeltable steps)."""

    group: Group
    name: str | None = None

    def title(self, parameter: str | None = None) -> str:
        if self.name is None:
            if parameter is None:
                raise ValueError(f"a {self.group} check without a name must be parametrized")
            return f"{self.group}: {parameter}"
        suffix = f" [{parameter}]" if parameter is not None else ""
        return f"{self.group}: {self.name}{suffix}"


def check(group: Group, name: str | None = None) -> Callable[[F], F]:
    """Mark a function as a smoke check reported as `group: name`."""

    def mark(function: F) -> F:
        setattr(function, ATTRIBUTE, CheckId(group, name))
        return function

    return mark


def identity_of(function: Any) -> CheckId:
    found = getattr(function, ATTRIBUTE, None)
    if not isinstance(found, CheckId):
        raise TypeError(
            f"{getattr(function, '__qualname__', function)!r} has no check identity. Fix: "
            "decorate it with @check(Group.<GROUP>, 'name') from smoke.checks.identity"
        )
    return found
