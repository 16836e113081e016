"""Bucket settings visible over S3: versioning and the object lock configuration."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from infra.core.s3_operations import Operation
from smoke.checks.gate import require_operation, require_preflight
from smoke.checks.identity import Group, check
from smoke.context import SmokeContext

NO_LOCK_CODES = ("ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound")


def _plan_or_skip(ctx: SmokeContext):
    if ctx.target.plan is None:
        pytest.skip("not verifiable: no stack plan given (use --stack or --plan-file)")
    return ctx.target.plan


@check(Group.BUCKET_SETTINGS, "versioning")
def check_versioning(ctx: SmokeContext) -> None:
    require_preflight(ctx)
    plan = _plan_or_skip(ctx)
    require_operation(ctx, Operation.GET_BUCKET_VERSIONING, "reading the versioning state")
    status = ctx.client().get_bucket_versioning(Bucket=ctx.target.bucket).get("Status")
    expected = "Enabled" if plan.bucket.versioning_enabled else None
    assert status == expected, (
        f"versioning is {status!r}, expected {expected!r} (B2 keeps every version). Fix: the "
        "endpoint may not be the stack's B2 bucket"
    )


@check(Group.BUCKET_SETTINGS, "object lock")
def check_object_lock(ctx: SmokeContext, note) -> None:
    require_preflight(ctx)
    plan = _plan_or_skip(ctx)
    require_operation(
        ctx, Operation.GET_OBJECT_LOCK_CONFIGURATION, "reading the object lock configuration"
    )
    lock = plan.object_lock
    try:
        config = ctx.client().get_object_lock_configuration(Bucket=ctx.target.bucket)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code not in NO_LOCK_CODES:
            raise
        assert not lock.enabled, (
            "the bucket has no object lock, but the plan enables it. Fix: enable file lock on "
            "the bucket (B2 allows it once), then `pulumi refresh`"
        )
        note("no object lock, as planned")
        return
    actual = config.get("ObjectLockConfiguration", {})
    enabled = actual.get("ObjectLockEnabled") == "Enabled"
    assert enabled == lock.enabled, f"object lock enabled={enabled}, planned {lock.enabled}"
    rule = actual.get("Rule", {}).get("DefaultRetention", {})
    if lock.default_retention_active and lock.period and lock.mode:
        planned = (lock.mode.upper(), lock.period.days)
        days = rule.get("Days") or (rule.get("Years", 0) * 365)
        assert (rule.get("Mode"), days) == planned, (
            f"default retention is {rule.get('Mode')} {days} days, planned {planned[0]} "
            f"{planned[1]} days. Fix: run `pulumi up` to restore the bucket's settings"
        )
        note(f"object lock {planned[0]} {planned[1]} days, as planned")
    else:
        assert not rule, f"default retention {rule} is set but the plan has none"
