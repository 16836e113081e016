"""Run one `infra.expectations` row against a local deployment and say what happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infra.expectations import Expectation, Operation, Scope, probe_prefix
from infra.plan import KeyPlan, StackPlan

ALLOWED, ABSENT, DENIED = "allowed", "absent", "denied"
PROBE_BODY = b"pixeltable-b2 integration probe\n"


def bucket_scoped_roles(plan: StackPlan) -> tuple[str, ...]:
    """The roles a local deployment can stand in for.

    The local servers scope every key to the stack's bucket and have no key API, so an
    account-wide key (`accountWide: true`: listKeys, no bucket restriction) is a B2-only
    construct; b2sdk's simulator covers those keys (tests/audit/test_account_key_only.py).
    """
    return tuple(k.role for k in plan.keys if not k.account_wide)


@dataclass(frozen=True)
class ProbeNames:
    bucket: str
    other_bucket: str
    in_prefix_key: str
    outside_prefix_key: str


def names_for(key: KeyPlan, bucket: str, other_bucket: str) -> ProbeNames:
    return ProbeNames(
        bucket=bucket,
        other_bucket=other_bucket,
        in_prefix_key=f"{probe_prefix(key)}pxb2-it/{key.role}/probe.txt",
        outside_prefix_key=f"pxb2-outside-{key.role}/probe.txt",
    )


def _bucket(scope: Scope, names: ProbeNames) -> str:
    return names.other_bucket if scope is Scope.OTHER_BUCKET else names.bucket


def _key(scope: Scope, names: ProbeNames) -> str:
    return names.outside_prefix_key if scope is Scope.OUTSIDE_PREFIX else names.in_prefix_key


def _call(client: Any, admin: Any, row: Expectation, names: ProbeNames) -> Any:
    op, scope = row.operation, row.scope
    bucket, key = _bucket(scope, names), _key(scope, names)
    if op is Operation.LIST_BUCKETS:
        listed = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        assert names.bucket in listed, "ListBuckets answered but omitted the bucket"
        return listed
    if op is Operation.HEAD_BUCKET:
        return client.head_bucket(Bucket=bucket)
    if op is Operation.GET_BUCKET_LOCATION:
        return client.get_bucket_location(Bucket=bucket)
    if op is Operation.GET_BUCKET_VERSIONING:
        return client.get_bucket_versioning(Bucket=bucket)
    if op is Operation.GET_OBJECT_LOCK_CONFIGURATION:
        return client.get_object_lock_configuration(Bucket=bucket)
    if op is Operation.LIST_OBJECTS:
        return client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=5)
    if op is Operation.PUT_OBJECT:
        return client.put_object(Bucket=bucket, Key=key, Body=PROBE_BODY)
    if op is Operation.GET_OBJECT:
        if scope is not Scope.OTHER_BUCKET:
            admin.put_object(Bucket=bucket, Key=key, Body=PROBE_BODY)
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if op is Operation.DELETE_OBJECT:
        return client.delete_object(Bucket=bucket, Key=key)
    if op is Operation.DELETE_OBJECT_VERSION:
        version = admin.put_object(Bucket=bucket, Key=key, Body=PROBE_BODY)["VersionId"]
        return client.delete_object(Bucket=bucket, Key=key, VersionId=version)
    raise AssertionError(f"no probe for {op}")


def observe(client: Any, admin: Any, row: Expectation, names: ProbeNames) -> tuple[str, str]:
    """(ALLOWED | ABSENT | DENIED, error code); other errors fail the test."""
    try:
        _call(client, admin, row, names)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if status == 403:
            return DENIED, code
        if status == 404:
            return ABSENT, code
        raise AssertionError(f"{row.name}: unexpected error {code} (HTTP {status})") from None
    return ALLOWED, ""


def verdict(row: Expectation, outcome: str, unenforced: frozenset[str]) -> str | None:
    """None when the local server behaved as the plan and `unenforced` say, else why not."""
    granted = outcome in (ALLOWED, ABSENT)
    if row.allowed:
        return None if granted else f"{row.name} was refused but the plan grants it"
    blind = set(row.relies_on) & unenforced
    if blind:
        # Declared unenforced: the local server must really let it through, or the
        # declaration is wrong (too conservative) and the set does not match reality.
        return None if granted else f"{row.name} was refused though {sorted(blind)} is unenforced"
    return None if outcome == DENIED else f"{row.name} succeeded but must be refused"
