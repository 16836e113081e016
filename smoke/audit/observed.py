"""What B2 reported, as plain values: the reader fills these, the comparison reads them.

Kept free of b2sdk types so the comparison core can be tested without B2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Unreadable:
    """A value the audit could not observe, and why (becomes a skipped check, never a pass)."""

    reason: str


@dataclass(frozen=True)
class BucketRef:
    """One entry of a key's bucket restriction; `name` is None once that bucket is deleted."""

    bucket_id: str
    name: str | None


@dataclass(frozen=True)
class ObservedRoleKey:
    """What B2 said when the audit authorised with one role's key."""

    role: str
    key_id: str
    auth_error: str | None = None
    capabilities: frozenset[str] = frozenset()
    buckets: tuple[BucketRef, ...] | None = None  # None: reaches every bucket
    name_prefix: str | None = None

    @property
    def authorised(self) -> bool:
        return self.auth_error is None


@dataclass(frozen=True)
class ListedKey:
    """One entry of `b2_list_keys` (needs an account-level key with listKeys)."""

    key_id: str
    key_name: str
    capabilities: frozenset[str]
    bucket_ids: tuple[str, ...] | None  # None: reaches every bucket
    name_prefix: str | None
    expires_at: datetime | None

    def reaches(self, bucket_id: str | None) -> bool:
        return self.bucket_ids is None or (bucket_id is not None and bucket_id in self.bucket_ids)


@dataclass(frozen=True)
class ObservedLifecycleRule:
    file_name_prefix: str
    days_from_uploading_to_hiding: int | None
    days_from_hiding_to_deleting: int | None
    days_from_starting_to_canceling_unfinished_large_files: int | None


@dataclass(frozen=True)
class ObservedCorsRule:
    cors_rule_name: str
    allowed_origins: tuple[str, ...]
    allowed_operations: tuple[str, ...]
    allowed_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age_seconds: int | None


@dataclass(frozen=True)
class ObservedEncryption:
    mode: str  # "SSE-B2" | "none" (B2's null mode is normalised to "none")
    algorithm: str | None


@dataclass(frozen=True)
class ObservedFileLock:
    enabled: bool
    mode: str | None  # governance | compliance | None
    duration: int | None
    unit: str | None  # days | years


@dataclass(frozen=True)
class ObservedBucket:
    name: str
    bucket_id: str
    bucket_type: str
    bucket_info: tuple[tuple[str, str], ...]
    lifecycle: tuple[ObservedLifecycleRule, ...]
    cors: tuple[ObservedCorsRule, ...]
    encryption: ObservedEncryption | Unreadable
    file_lock: ObservedFileLock | Unreadable
    read_with: str  # which credential(s) the settings were read with, for the report


@dataclass(frozen=True)
class BucketAbsent:
    """A key that may see the bucket looked for it by name and B2 returned nothing."""

    looked_with: str


@dataclass(frozen=True)
class ObservedState:
    bucket_name: str
    observed_at: datetime
    bucket: ObservedBucket | BucketAbsent | Unreadable
    role_keys: tuple[ObservedRoleKey, ...] = ()
    account_keys: tuple[ListedKey, ...] | Unreadable = field(
        default_factory=lambda: Unreadable("no account-level key was given")
    )
    audit_key_id: str | None = None  # the account-level key the audit itself used

    def role_key(self, role: str) -> ObservedRoleKey | None:
        for key in self.role_keys:
            if key.role == role:
                return key
        return None

    @property
    def bucket_id(self) -> str | None:
        """The bucket's id, from the bucket itself or from a role key restricted to it."""
        if isinstance(self.bucket, ObservedBucket):
            return self.bucket.bucket_id
        for key in self.role_keys:
            for ref in key.buckets or ():
                if ref.name is not None and ref.name.casefold() == self.bucket_name.casefold():
                    return ref.bucket_id
        return None
