"""Remove what a run wrote, except what object lock keeps; say what stays and why."""

from __future__ import annotations

import contextlib
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.core.s3_operations import Operation, capability_for
from smoke.context import LockedObject, SmokeContext

VERSION_DELETE = capability_for(Operation.DELETE_OBJECT_VERSION)
HIDE = capability_for(Operation.DELETE_OBJECT)


def _versions_under(client: Any, bucket: str, prefix: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.append((entry["Key"], entry.get("VersionId") or "null"))
    return found


def _retention(client: Any, bucket: str, key: str, version: str) -> str | None:
    """The retain-until date if the version is under retention, else None."""
    try:
        head = client.head_object(Bucket=bucket, Key=key, VersionId=version)
    except ClientError:
        return None
    until = head.get("ObjectLockRetainUntilDate")
    return until.isoformat() if until else None


def remove_run_objects(context: SmokeContext) -> None:
    """Delete every version the run created; idempotent."""
    if context.cleaned_up:
        return
    context.cleaned_up = True
    if not context.preflight_passed:
        return
    client = context.client()
    bucket = context.target.bucket
    candidates: set[tuple[str, str, str]] = set()
    # Without the listing capability the listing fails: fall back to what the run remembers writing.
    with contextlib.suppress(ClientError, BotoCoreError):
        listed = _versions_under(client, bucket, context.run_prefix)
        candidates |= {(bucket, key, version) for key, version in listed}
    for (b, key), versions in context.names.written.items():
        candidates |= {(b, key, v) for v in versions}
    plan = context.target.plan
    lock_on = bool(plan and plan.object_lock.enabled)
    key_plan = context.target.key_plan
    if key_plan is not None and not key_plan.can(VERSION_DELETE):
        _hide_only(context, client, {(b, k) for b, k, _ in candidates})
        return
    for b, key, version in sorted(candidates):
        until = _retention(client, b, key, version) if lock_on else None
        if until:
            context.locked.append(LockedObject(key, version, until))
            continue
        try:
            client.delete_object(Bucket=b, Key=key, VersionId=version)
        except (ClientError, BotoCoreError):
            context.leftovers.append(f"{b}/{key}")


def _hide_only(context: SmokeContext, client: Any, objects: set[tuple[str, str]]) -> None:
    """Without the version-delete capability a B2 delete is a hide; lifecycle rules remove
    the versions."""
    for bucket, key in sorted(objects):
        try:
            client.delete_object(Bucket=bucket, Key=key)
        except (ClientError, BotoCoreError):
            context.leftovers.append(f"{bucket}/{key}")
        else:
            context.hidden.append(key)
