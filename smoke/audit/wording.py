"""How values and remedies are worded in findings, shared by every group of checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

NONE = "(none)"


def immutable_key_fix(role: str, key_id: str) -> str:
    return (
        "B2 keys cannot change after creation, so this credential is not the key the plan "
        f"created (a stale or hand-made key, id {key_id}). Take the {role!r} role's credential "
        "from `pulumi stack output --show-secrets` (run `pulumi refresh` and `pulumi up` first "
        "if the planned key is gone), update every consumer of it (CI secrets), then delete "
        "the stray key"
    )


def caps_text(capabilities: Iterable[str]) -> str:
    return ", ".join(sorted(capabilities)) or NONE


def prefix_text(prefix: str | None) -> str:
    return repr(prefix) if prefix else "(none: every object name)"


def days_text(value: int | None) -> str:
    return NONE if value is None else f"{value} days"


def when_text(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")
