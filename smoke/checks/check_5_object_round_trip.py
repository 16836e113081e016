"""Object round trip on a per-run object: put, head, get, list, presigned GET, delete."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from botocore.exceptions import ClientError

from infra.core.s3_operations import Operation
from smoke.checks.gate import require_operation, require_preflight
from smoke.checks.identity import Group, check
from smoke.context import SmokeContext

SIZE = 256 * 1024
PRESIGN_SECONDS = 300
HTTP_TIMEOUT = 10


def _payload(run_id: str) -> bytes:
    seed = hashlib.sha256(run_id.encode()).digest()
    return (seed * (SIZE // len(seed) + 1))[:SIZE]


def _key(ctx: SmokeContext) -> str:
    return f"{ctx.run_prefix}round-trip/object.bin"


def _require_put(ctx: SmokeContext) -> None:
    require_preflight(ctx)
    require_operation(ctx, Operation.PUT_OBJECT, "the round trip")
    if ctx.round_trip_version is None:
        pytest.skip("not run: the put failed")


@check(Group.OBJECT_ROUND_TRIP, "put")
def check_put(ctx: SmokeContext) -> None:
    require_preflight(ctx)
    require_operation(ctx, Operation.PUT_OBJECT, "the round trip")
    body = _payload(ctx.run_id)
    response = ctx.client().put_object(Bucket=ctx.target.bucket, Key=_key(ctx), Body=body)
    version = response.get("VersionId")
    ctx.names.remember(ctx.target.bucket, _key(ctx), version)
    ctx.round_trip_version = version or "null"


@check(Group.OBJECT_ROUND_TRIP, "head")
def check_head(ctx: SmokeContext) -> None:
    _require_put(ctx)
    head = ctx.client().head_object(Bucket=ctx.target.bucket, Key=_key(ctx))
    assert head["ContentLength"] == SIZE, f"HEAD says {head['ContentLength']} bytes, put {SIZE}"


@check(Group.OBJECT_ROUND_TRIP, "get with checksum")
def check_get_with_checksum(ctx: SmokeContext) -> None:
    _require_put(ctx)
    require_operation(ctx, Operation.GET_OBJECT, "reading the object back")
    body = ctx.client().get_object(Bucket=ctx.target.bucket, Key=_key(ctx))["Body"].read()
    expected = hashlib.sha256(_payload(ctx.run_id)).hexdigest()
    actual = hashlib.sha256(body).hexdigest()
    assert actual == expected, f"downloaded bytes differ: sha256 {actual[:12]} != {expected[:12]}"


@check(Group.OBJECT_ROUND_TRIP, "list")
def check_list(ctx: SmokeContext) -> None:
    _require_put(ctx)
    require_operation(ctx, Operation.LIST_OBJECTS, "listing")
    listed = ctx.client().list_objects_v2(Bucket=ctx.target.bucket, Prefix=ctx.run_prefix)
    keys = {o["Key"] for o in listed.get("Contents", [])}
    assert _key(ctx) in keys, f"ListObjectsV2 under {ctx.run_prefix!r} does not show the object"


@check(Group.OBJECT_ROUND_TRIP, "presigned get")
def check_presigned_get(ctx: SmokeContext) -> None:
    _require_put(ctx)
    require_operation(ctx, Operation.GET_OBJECT, "a presigned download")
    url = ctx.client().generate_presigned_url(
        "get_object",
        Params={"Bucket": ctx.target.bucket, "Key": _key(ctx)},
        ExpiresIn=PRESIGN_SECONDS,
    )
    assert "X-Amz-Signature=" in url, "the presigned URL is not SigV4"
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
        body = response.read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(_payload(ctx.run_id)).digest(), (
        "the presigned GET returned different bytes"
    )


@check(Group.OBJECT_ROUND_TRIP, "delete")
def check_delete(ctx: SmokeContext, note) -> None:
    _require_put(ctx)
    plan = ctx.target.plan
    key = _key(ctx)
    if plan is not None and plan.object_lock.default_retention_active:
        head = ctx.client().head_object(Bucket=ctx.target.bucket, Key=key)
        until = head.get("ObjectLockRetainUntilDate")
        assert until is not None, (
            "the bucket's default retention did not lock the new object. Fix: check the "
            "bucket's file lock settings against the plan"
        )
        rule = plan.lifecycle_rule_covering(key)
        note(
            f"object is locked ({head.get('ObjectLockMode')}) until {until:%Y-%m-%d}; not "
            "deleted. "
            + (
                f"The lifecycle rule for {rule.file_name_prefix!r} removes it after retention"
                if rule
                else "No lifecycle rule covers it: add one for the smoke prefix"
            )
        )
        return
    require_operation(ctx, Operation.DELETE_OBJECT, "deleting")
    ctx.client().delete_object(Bucket=ctx.target.bucket, Key=key)
    try:
        ctx.client().head_object(Bucket=ctx.target.bucket, Key=key)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        assert status == 404, f"after delete, HEAD answered {status}"
    else:
        raise AssertionError("the object is still readable after DeleteObject")
