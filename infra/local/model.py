"""What a local deployment hands to its users: endpoint, bucket names, per-role credentials.

Plain values only; the server processes and containers live in their own modules.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass

from infra.core.runtime_env import KeyPair

ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
ACCESS_KEY_LENGTH = 20
SECRET_BYTES = 30


class LocalServerError(Exception):
    """A local S3 server could not be found, started, configured or stopped."""


@dataclass(frozen=True)
class LocalDeployment:
    """A running local S3 server with the stack plan applied to it."""

    backend: str
    endpoint: str
    region: str
    bucket: str
    other_bucket: str
    credentials: Mapping[str, KeyPair]
    admin: KeyPair
    unenforced: frozenset[str]
    notes: tuple[str, ...]
    server_pid: int | None  # the `weed` process (seaweedfs backend)
    container_id: str | None = None  # the container (container backend)

    @property
    def all_secrets(self) -> tuple[str, ...]:
        """Every secret of this deployment, for redacting logs and messages."""
        roles = (c.secret_access_key for c in self.credentials.values())
        return (self.admin.secret_access_key, *roles)


def new_credentials(prefix: str = "PXB2") -> KeyPair:
    """A random key pair for one run (never reused, never derived from the plan)."""
    body = "".join(
        secrets.choice(ACCESS_KEY_ALPHABET) for _ in range(ACCESS_KEY_LENGTH - len(prefix))
    )
    return KeyPair(prefix + body, secrets.token_urlsafe(SECRET_BYTES))
