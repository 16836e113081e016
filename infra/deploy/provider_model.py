"""What the B2 provider sends to B2 for the inputs the program declares (pure, no I/O).

From the provider's Python bindings (shared/reference/pulumi-b2.md, "What the provider
does with the inputs"): unset attributes travel as zero values and lifecycle day counts
of 0 become null; a bucket is created without its default retention, which a second call
(an update) then sets; the lock flag is only sent at creation (changing it would replace
the bucket); an omitted default retention sends nothing, so B2 keeps what it has; an
encryption mode without an algorithm gets AES256. Every key input forces a new key.
Inputs are the declared properties in the provider's wire names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.core import b2_facts

LIFECYCLE_DAYS = (
    "daysFromUploadingToHiding",
    "daysFromHidingToDeleting",
    "daysFromStartingToCancelingUnfinishedLargeFiles",
)


@dataclass(frozen=True)
class Retention:
    mode: str
    duration: int
    unit: str


@dataclass(frozen=True)
class BucketSettings:
    """A b2_create_bucket / b2_update_bucket request, in B2's field names."""

    name: str
    bucket_type: str
    bucket_info: Mapping[str, str]
    cors_rules: tuple[Mapping[str, Any], ...]
    lifecycle_rules: tuple[Mapping[str, Any], ...]
    encryption: tuple[str, str] | None  # (mode, algorithm)
    lock_enabled: bool
    retention: Retention | None  # None: nothing sent


@dataclass(frozen=True)
class KeyRequest:
    """A b2_create_key request."""

    key_name: str
    capabilities: tuple[str, ...]
    bucket_ids: tuple[str, ...] | None
    name_prefix: str | None
    valid_duration_seconds: int | None


def _days(value: Any) -> int | None:
    return int(value) if value else None  # zero and unset are both null for B2


def _lifecycle(rules: Sequence[Mapping[str, Any]] | None) -> tuple[Mapping[str, Any], ...]:
    return tuple(
        {"fileNamePrefix": rule.get("fileNamePrefix") or ""}
        | {name: _days(rule.get(name)) for name in LIFECYCLE_DAYS}
        for rule in rules or ()
    )


def _cors(rules: Sequence[Mapping[str, Any]] | None) -> tuple[Mapping[str, Any], ...]:
    return tuple(
        {
            "corsRuleName": rule["corsRuleName"],
            "allowedOrigins": list(rule.get("allowedOrigins") or []),
            "allowedOperations": list(rule.get("allowedOperations") or []),
            "allowedHeaders": list(rule.get("allowedHeaders") or []),
            "exposeHeaders": list(rule.get("exposeHeaders") or []),
            "maxAgeSeconds": int(rule.get("maxAgeSeconds") or 0),
        }
        for rule in rules or ()
    )


def _encryption(setting: Mapping[str, Any] | None) -> tuple[str, str] | None:
    mode = (setting or {}).get("mode")
    if not mode:
        return None
    return str(mode), str((setting or {}).get("algorithm") or b2_facts.SSE_B2_ALGORITHM)


def _retention(lock: Mapping[str, Any]) -> Retention | None:
    retention = lock.get("defaultRetention")
    if not retention:
        return None
    period = retention.get("period") or {}
    return Retention(
        mode=str(retention["mode"]), duration=int(period["duration"]), unit=str(period["unit"])
    )


def bucket_settings(inputs: Mapping[str, Any]) -> BucketSettings:
    """The declared bucket as B2 receives it."""
    locks = inputs.get("fileLockConfigurations") or [{}]
    lock = locks[0] or {}
    return BucketSettings(
        name=str(inputs["bucketName"]),
        bucket_type=str(inputs["bucketType"]),
        bucket_info=dict(inputs.get("bucketInfo") or {}),
        cors_rules=_cors(inputs.get("corsRules")),
        lifecycle_rules=_lifecycle(inputs.get("lifecycleRules")),
        encryption=_encryption(inputs.get("defaultServerSideEncryption")),
        lock_enabled=bool(lock.get("isFileLockEnabled")),
        retention=_retention(lock),
    )


def key_request(inputs: Mapping[str, Any]) -> KeyRequest:
    """The declared key as b2_create_key receives it."""
    bucket_ids = inputs.get("bucketIds") or ([inputs["bucketId"]] if inputs.get("bucketId") else [])
    return KeyRequest(
        key_name=str(inputs["keyName"]),
        capabilities=tuple(inputs.get("capabilities") or ()),
        bucket_ids=tuple(bucket_ids) or None,
        name_prefix=inputs.get("namePrefix") or None,
        valid_duration_seconds=int(inputs.get("validDurationInSeconds") or 0) or None,
    )


def key_needs_replacement(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Every key input is force-new: any difference replaces the key."""
    return key_request(before) != key_request(after)
