"""Run one expectation's S3 operation and classify what happened.

Only the call and its classification live here; `smoke.verdicts.judge` decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.expectations import Expectation, Operation, Scope
from smoke.verdicts import Observation, Outcome

PROBE_BODY = b"pixeltable-b2 scoping probe\n"
DENIED_STATUS = 403
ABSENT_CODES = frozenset({"NoSuchKey", "404", "NotFound", "ObjectLockConfigurationNotFoundError"})
NO_BUCKET_CODES = frozenset({"NoSuchBucket"})
# The key itself was rejected: never a scoping refusal.
KEY_REJECTED_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"})


@dataclass
class ProbeNames:
    """Object names for one run; versions written are remembered for clean-up."""

    bucket: str
    other_bucket: str
    in_prefix_key: str
    outside_prefix_key: str
    written: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def remember(self, bucket: str, key: str, version_id: str | None) -> None:
        self.written.setdefault((bucket, key), []).append(version_id or "null")


def classify(error: Exception) -> Observation:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        message = str(error.response.get("Error", {}).get("Message", ""))[:200]
        if code in KEY_REJECTED_CODES:
            return Observation(Outcome.ERROR, code, "the key was rejected: " + message)
        if status == DENIED_STATUS or code in ("AccessDenied", "Forbidden"):
            return Observation(Outcome.DENIED, code or str(status), message)
        if code in NO_BUCKET_CODES:
            return Observation(Outcome.NO_SUCH_BUCKET, code, message)
        if code in ABSENT_CODES or status == 404:
            return Observation(Outcome.ABSENT, code or "404", message)
        return Observation(Outcome.ERROR, code or str(status), message)
    if isinstance(error, BotoCoreError):
        return Observation(Outcome.ERROR, type(error).__name__, str(error)[:200])
    raise error


def _bucket_for(scope: Scope, names: ProbeNames) -> str:
    return names.other_bucket if scope is Scope.OTHER_BUCKET else names.bucket


def _key_for(scope: Scope, names: ProbeNames) -> str:
    return names.outside_prefix_key if scope is Scope.OUTSIDE_PREFIX else names.in_prefix_key


def _put(client: Any, scope: Scope, names: ProbeNames) -> None:
    bucket, key = _bucket_for(scope, names), _key_for(scope, names)
    response = client.put_object(Bucket=bucket, Key=key, Body=PROBE_BODY)
    names.remember(bucket, key, response.get("VersionId"))


def _delete_version(client: Any, scope: Scope, names: ProbeNames) -> None:
    versions = names.written.get((names.bucket, names.in_prefix_key), [])
    version = versions[0] if versions else "4_zpixeltableb2probe"
    client.delete_object(Bucket=names.bucket, Key=names.in_prefix_key, VersionId=version)
    if versions:
        versions.remove(version)


def _delete(client: Any, scope: Scope, names: ProbeNames) -> None:
    response = client.delete_object(Bucket=names.bucket, Key=names.in_prefix_key)
    if response.get("DeleteMarker"):
        names.remember(names.bucket, names.in_prefix_key, response.get("VersionId"))


_CALLS: dict[Operation, Callable[[Any, Scope, ProbeNames], Any]] = {
    Operation.LIST_BUCKETS: lambda c, s, n: c.list_buckets(),
    Operation.HEAD_BUCKET: lambda c, s, n: c.head_bucket(Bucket=_bucket_for(s, n)),
    Operation.GET_BUCKET_LOCATION: lambda c, s, n: c.get_bucket_location(Bucket=n.bucket),
    Operation.GET_BUCKET_VERSIONING: lambda c, s, n: c.get_bucket_versioning(Bucket=n.bucket),
    Operation.GET_OBJECT_LOCK_CONFIGURATION: lambda c, s, n: c.get_object_lock_configuration(
        Bucket=n.bucket
    ),
    Operation.LIST_OBJECTS: lambda c, s, n: c.list_objects_v2(
        Bucket=_bucket_for(s, n), Prefix=_key_for(s, n), MaxKeys=5
    ),
    Operation.PUT_OBJECT: _put,
    Operation.GET_OBJECT: lambda c, s, n: c.get_object(
        Bucket=_bucket_for(s, n), Key=_key_for(s, n)
    )["Body"].read(),
    Operation.DELETE_OBJECT: _delete,
    Operation.DELETE_OBJECT_VERSION: _delete_version,
}


def observe(client: Any, expectation: Expectation, names: ProbeNames) -> Observation:
    """Perform the expectation's operation once and say what B2 (or the stand-in) answered."""
    try:
        result = _CALLS[expectation.operation](client, expectation.scope, names)
    except (ClientError, BotoCoreError) as error:
        return classify(error)
    detail = ""
    if expectation.operation is Operation.LIST_BUCKETS:
        listed = {b["Name"] for b in result.get("Buckets", [])}
        shown = names.bucket in listed
        detail = "bucket listed" if shown else "bucket NOT listed"
        if not shown:
            return Observation(Outcome.ERROR, "BucketNotListed", "ListBuckets omitted the bucket")
    return Observation(Outcome.ALLOWED, "", detail)


def diagnose_refusal(client: Any, bucket: str, prefix: str) -> Observation:
    """HEAD answers carry no error code; one small GET says why the key was refused."""
    try:
        client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except (ClientError, BotoCoreError) as error:
        return classify(error)
    return Observation(Outcome.ALLOWED)
