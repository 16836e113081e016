"""The rules GitHub and GitLab apply to what a stack pushes into them, in one place.

Limits, name rules and GitLab's masking rule, so the settings, the validation and the
Pulumi shell agree. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# GitHub: [A-Za-z0-9_], not starting with a digit or GITHUB_; names are case-insensitive.
GITHUB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GITHUB_RESERVED_PREFIX = "GITHUB_"
GITHUB_MAX_ENVIRONMENT_SECRETS = 100
GITHUB_MAX_ENVIRONMENT_VARIABLES = 100
GITHUB_MAX_REVIEWERS = 6  # users and teams together
GITHUB_ENVIRONMENT_NAME_MAX = 255
GITHUB_WAIT_TIMER_MAX_MINUTES = 43_200  # 30 days
# owner: 1-39 letters, digits, '-' (not first or last); repository: letters, digits, . _ -
GITHUB_REPOSITORY = re.compile(
    r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)/(?P<name>[A-Za-z0-9._-]{1,100})$"
)
# GitLab: a numeric project id, or the full path group[/subgroup...]/project.
GITLAB_PROJECT = re.compile(
    r"^(?:\d+|[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+)$"
)
GITLAB_KEY = re.compile(r"^[A-Za-z0-9_]{1,255}$")
GITLAB_ALL_ENVIRONMENTS = "*"
# GitLab refuses `masked` unless the value is >= 8 characters, all from the RFC 4648 base64
# and base64url alphabets (incl. '=' padding) plus '@', ':', '.', '~' (Ci::Maskable::REGEX,
# the rule for masked variables that are expanded; newer GitLab relaxes it for raw ones, which
# older self-managed instances do not, so the strict rule is checked).
GITLAB_MASK_MIN_LENGTH = 8
GITLAB_MASK_ALPHABET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + "+/=_-" + "@:.~"
)


@dataclass(frozen=True)
class ValueFormat:
    """The shape of a value that is only known after `pulumi up` creates it."""

    description: str
    min_length: int
    alphabet: frozenset[str]


def unmaskable_reason(
    length: int, characters: Iterable[str], *, actual: bool = False
) -> str | None:
    """Why GitLab would refuse to mask a value of this length and these characters, or None.

    `actual` words it for a real value rather than a format; it never quotes characters.
    """
    outside = len(set(characters) - GITLAB_MASK_ALPHABET)
    reasons = []
    if length < GITLAB_MASK_MIN_LENGTH:
        size = "it is" if actual else "it can be"
        reasons.append(f"{size} {length} characters long, GitLab needs at least 8")
    if outside:
        has = "it contains" if actual else "it can contain"
        reasons.append(
            f"{has} {outside} distinct character(s) outside GitLab's maskable alphabet "
            "(base64 plus @ : . ~)"
        )
    return "; ".join(reasons) or None


def format_unmaskable_reason(value_format: ValueFormat) -> str | None:
    return unmaskable_reason(value_format.min_length, value_format.alphabet)


def value_unmaskable_reason(value: str) -> str | None:
    """The same check on an actual value; the reason never quotes the value."""
    return unmaskable_reason(len(value), value, actual=True)
