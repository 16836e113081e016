"""Which keys the audit authorises with, from the environment or a JSON file.

Secrets are wrapped so that no repr, log line or error message can show them;
problems name the variable or file entry, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.core.redaction import MASK

ACCOUNT_KEY_ID = "B2_APPLICATION_KEY_ID"
ACCOUNT_KEY = "B2_APPLICATION_KEY"
ROLE_VARIABLE_PREFIX = "PXB2_"


class CredentialError(Exception):
    """The audit cannot start: every problem is listed, by variable or entry name."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class Secret:
    """A secret string that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class KeyCredential:
    key_id: str
    secret: Secret = field(repr=False)
    source: str  # where it came from, for messages: variable names or file entry


@dataclass(frozen=True)
class AuditCredentials:
    roles: Mapping[str, KeyCredential]
    account: KeyCredential | None

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for the report's last-line redaction."""
        found = [c.secret.reveal() for c in self.roles.values()]
        if self.account is not None:
            found.append(self.account.secret.reveal())
        return tuple(s for s in found if s)


def role_variables(role: str) -> tuple[str, str]:
    """`PXB2_<ROLE>_KEY_ID`, `PXB2_<ROLE>_KEY` (upper-case, '-' becomes '_')."""
    stem = ROLE_VARIABLE_PREFIX + role.upper().replace("-", "_")
    return f"{stem}_KEY_ID", f"{stem}_KEY"


def _pair(env: Mapping[str, str], id_name: str, key_name: str) -> tuple[str | None, str | None]:
    return (env.get(id_name) or None), (env.get(key_name) or None)


def parse_keys_document(
    document: object, source: str, roles: Iterable[str]
) -> dict[str, KeyCredential]:
    """A `{role: {"keyId": ..., "key": ...}}` mapping; unknown roles and bad entries are errors."""
    if not isinstance(document, Mapping):
        raise CredentialError([f"{source}: expected a JSON object mapping role -> {{keyId, key}}"])
    known = set(roles)
    problems: list[str] = []
    found: dict[str, KeyCredential] = {}
    for role, entry in document.items():
        where = f"{source}[{role!r}]"
        if role not in known:
            problems.append(
                f"{where}: the plan has no role {role!r} (roles: {', '.join(sorted(known))})"
            )
            continue
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: expected an object with keyId and key")
            continue
        key_id, secret = entry.get("keyId"), entry.get("key")
        if isinstance(key_id, str) and key_id and isinstance(secret, str) and secret:
            found[role] = KeyCredential(key_id, Secret(secret), where)
            continue
        missing = [
            n for n, v in (("keyId", key_id), ("key", secret)) if not isinstance(v, str) or not v
        ]
        problems.append(f"{where}: missing or empty {', '.join(missing)} (text values)")
    if problems:
        raise CredentialError(problems)
    return found


def read_keys_file(path: Path, roles: Iterable[str]) -> dict[str, KeyCredential]:
    """Read --keys-json; the JSON error position is reported, never the file's content."""
    try:
        text = path.read_text()
    except OSError as error:
        raise CredentialError([f"--keys-json {path}: cannot read it ({error.strerror})"]) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CredentialError(
            [f"--keys-json {path}: not valid JSON at line {error.lineno}, column {error.colno}"]
        ) from None
    return parse_keys_document(document, f"--keys-json {path}", roles)


def credentials_from(
    env: Mapping[str, str],
    roles: Iterable[str],
    from_file: Mapping[str, KeyCredential] | None = None,
) -> AuditCredentials:
    """Role keys (file entries first, then variables) and the optional account key."""
    problems: list[str] = []
    chosen: dict[str, KeyCredential] = {}
    for role in roles:
        if from_file and role in from_file:
            chosen[role] = from_file[role]
            continue
        id_name, key_name = role_variables(role)
        key_id, secret = _pair(env, id_name, key_name)
        if key_id and secret:
            chosen[role] = KeyCredential(key_id, Secret(secret), f"{id_name}/{key_name}")
            continue
        missing = [n for n, v in ((id_name, key_id), (key_name, secret)) if not v]
        problems.append(f"role {role!r}: set {' and '.join(missing)} (or give --keys-json)")
    key_id, secret = _pair(env, ACCOUNT_KEY_ID, ACCOUNT_KEY)
    account = None
    if key_id and secret:
        account = KeyCredential(key_id, Secret(secret), f"{ACCOUNT_KEY_ID}/{ACCOUNT_KEY}")
    elif key_id or secret:
        missing_name = ACCOUNT_KEY if key_id else ACCOUNT_KEY_ID
        problems.append(
            f"the optional account key is half set: set {missing_name} too, or unset both "
            f"{ACCOUNT_KEY_ID} and {ACCOUNT_KEY}"
        )
    if problems:
        raise CredentialError(problems)
    return AuditCredentials(roles=chosen, account=account)
