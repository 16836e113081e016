"""Configuration problems: each names the field, the bad value and the fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NAMESPACE = "pixeltable-b2"
_MISSING = object()
_HIDDEN = object()
# Unknown settings with these words in their name may hold a pasted credential.
_SECRET_LIKE_NAME = re.compile(r"key|secret|token|passw|credential", re.IGNORECASE)


def show_value(value: Any) -> str:
    """A short, readable rendering of a config value for an error message."""
    if value is _MISSING:
        return "(missing)"
    if value is _HIDDEN:
        return "(value not shown: the name suggests a credential)"
    text = repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a stack's configuration."""

    path: str
    value: Any
    problem: str
    fix: str

    def render(self) -> str:
        return f"{self.path} = {show_value(self.value)}: {self.problem}. Fix: {self.fix}"


MISSING = _MISSING


def unknown_setting_value(name: Any, value: Any) -> Any:
    """The value to report for an unknown setting: hidden when it may be a secret."""
    return _HIDDEN if _SECRET_LIKE_NAME.search(str(name)) else value


def field_path(section: str, loc: tuple[Any, ...] = ()) -> str:
    """`pixeltable-b2:keys.app.capabilities` style paths, `[i]` for list items."""
    text = f"{NAMESPACE}:{section}"
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


class PlanError(Exception):
    """Raised with every problem found at once, never just the first."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{self.source}: {count} configuration problem{'s' if count != 1 else ''}"
        return "\n".join([head + ":", *(f"  - {p.render()}" for p in self.problems)])
