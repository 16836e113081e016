"""Run one expectation's S3 operation and classify what happened.

The call and its classification live here, and `probe`, which hands the observation to
`smoke.verdicts.judge`: the one probe-and-verdict engine of the scoping check and of the
integration tests against the local servers.
Object Lock cannot mask a probe: `deleteFiles` is shown on the hide marker the
DeleteObject probe leaves (a marker is never under retention), and the lock on
the uploaded version by the separate data-version rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.core.expectations import Expectation, Operation, Scope, Subject
from smoke.capability_report import Probed
from smoke.verdicts import Observation, Outcome, judge

PROBE_BODY = b"pixeltable-b2 scoping probe\n"
DENIED_STATUS = 403
SERVER_ERROR = 500
# Answers that come after authorisation: the key may do it, there is nothing to act on.
ABSENT_CODES = frozenset(
    {
        "NoSuchKey",
        "404",
        "NotFound",
        "ObjectLockConfigurationNotFoundError",
        "NoSuchObjectLockConfiguration",
        "NoSuchObjectLegalHold",
        "ServerSideEncryptionConfigurationNotFoundError",
        "InvalidRequest",  # e.g. retention or legal hold on a bucket without Object Lock
    }
)
NO_BUCKET_CODES = frozenset({"NoSuchBucket"})
# On a bucket without Object Lock these answers may come before the capability check (B2's
# order is not documented), so for retention and legal-hold probes they show nothing.
NO_LOCK_CODES = frozenset(
    {"InvalidRequest", "ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"}
)
LOCK_OPERATIONS = frozenset(
    {
        Operation.GET_OBJECT_RETENTION,
        Operation.PUT_OBJECT_RETENTION,
        Operation.GET_OBJECT_LEGAL_HOLD,
        Operation.PUT_OBJECT_LEGAL_HOLD,
    }
)
# The key itself was rejected: never a scoping refusal.
KEY_REJECTED_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"})
ABSENT_SUFFIX = ".absent"  # a name the suite never writes
NO_VERSION = "4_zpixeltableb2probe"  # a version id nothing has


@dataclass
class ProbeNames:
    """Object names for one run; versions written are remembered for clean-up."""

    bucket: str
    other_bucket: str
    in_prefix_key: str
    outside_prefix_key: str
    written: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    data_version: str | None = None  # the in-prefix probe's uploaded version
    hide_marker: str | None = None  # the delete marker DeleteObject left on it

    def remember(self, bucket: str, key: str, version_id: str | None) -> None:
        self.written.setdefault((bucket, key), []).append(version_id or "null")

    def forget(self, bucket: str, key: str, version_id: str) -> None:
        versions = self.written.get((bucket, key), [])
        if version_id in versions:
            versions.remove(version_id)


class NotProbed(Exception):
    """The probe has nothing to act on (an earlier probe could not create it)."""


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
    if scope is Scope.IN_PREFIX:
        names.data_version = response.get("VersionId")


def _multipart(client: Any, scope: Scope, names: ProbeNames) -> None:
    bucket, key = _bucket_for(scope, names), _key_for(scope, names) + ".multipart"
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    with contextlib.suppress(ClientError, BotoCoreError):  # lifecycle rules cancel leftovers
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)


def _put_retention(client: Any, scope: Scope, names: ProbeNames) -> None:
    """On a name never written: 404 once authorised, so nothing is ever locked by it."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    client.put_object_retention(
        Bucket=_bucket_for(scope, names),
        Key=_key_for(scope, names) + ABSENT_SUFFIX,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
    )


def _put_legal_hold(client: Any, scope: Scope, names: ProbeNames) -> None:
    """Legal hold OFF on the probe's own version: allowed or refused, it changes nothing.

    Without a version (the key cannot upload) a name never written stands in; SeaweedFS
    answers that with a server error once authorised, which shows nothing."""
    bucket, key = _bucket_for(scope, names), _key_for(scope, names)
    if names.data_version is not None:
        client.put_object_legal_hold(
            Bucket=bucket, Key=key, VersionId=names.data_version, LegalHold={"Status": "OFF"}
        )
        return
    try:
        client.put_object_legal_hold(
            Bucket=bucket, Key=key + ABSENT_SUFFIX, LegalHold={"Status": "OFF"}
        )
    except ClientError as error:
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if status >= SERVER_ERROR:
            raise NotProbed(
                f"no probe object to hold, and the server answered {status} for a missing one"
            ) from None
        raise


def _delete(client: Any, scope: Scope, names: ProbeNames) -> None:
    response = client.delete_object(Bucket=names.bucket, Key=names.in_prefix_key)
    if response.get("DeleteMarker"):
        names.hide_marker = response.get("VersionId")
        names.remember(names.bucket, names.in_prefix_key, names.hide_marker)


def _delete_version(client: Any, version: str | None, names: ProbeNames, **extra: Any) -> None:
    client.delete_object(
        Bucket=names.bucket, Key=names.in_prefix_key, VersionId=version or NO_VERSION, **extra
    )
    if version:
        names.forget(names.bucket, names.in_prefix_key, version)


def _delete_marker(client: Any, scope: Scope, names: ProbeNames) -> None:
    """The hide marker is never under retention: only deleteFiles decides."""
    _delete_version(client, names.hide_marker, names)
    names.hide_marker = None


def _delete_data(client: Any, scope: Scope, names: ProbeNames) -> None:
    if names.data_version is None:
        raise NotProbed("the probe object was not written (PutObject refused)")
    _delete_version(client, names.data_version, names)
    names.data_version = None


def _bypass(client: Any, scope: Scope, names: ProbeNames) -> None:
    if names.data_version is None:
        raise NotProbed("no retained version is left to delete")
    _delete_version(client, names.data_version, names, BypassGovernanceRetention=True)
    names.data_version = None


def _object(method: str) -> Callable[[Any, Scope, ProbeNames], Any]:
    return lambda c, s, n: getattr(c, method)(Bucket=_bucket_for(s, n), Key=_key_for(s, n))


def _listing(method: str, **extra: Any) -> Callable[[Any, Scope, ProbeNames], Any]:
    return lambda c, s, n: getattr(c, method)(
        Bucket=_bucket_for(s, n), Prefix=_key_for(s, n), **extra
    )


def _bucket(method: str) -> Callable[[Any, Scope, ProbeNames], Any]:
    return lambda c, s, n: getattr(c, method)(Bucket=_bucket_for(s, n))


Call = Callable[[Any, Scope, ProbeNames], Any]
_CALLS: dict[Operation, Call] = {
    Operation.LIST_BUCKETS: lambda c, s, n: c.list_buckets(),
    Operation.HEAD_BUCKET: _bucket("head_bucket"),
    Operation.GET_BUCKET_LOCATION: _bucket("get_bucket_location"),
    Operation.GET_BUCKET_VERSIONING: _bucket("get_bucket_versioning"),
    Operation.GET_BUCKET_ACL: _bucket("get_bucket_acl"),
    Operation.GET_OBJECT_LOCK_CONFIGURATION: _bucket("get_object_lock_configuration"),
    Operation.GET_BUCKET_ENCRYPTION: _bucket("get_bucket_encryption"),
    Operation.LIST_OBJECTS: _listing("list_objects_v2", MaxKeys=5),
    Operation.LIST_OBJECT_VERSIONS: _listing("list_object_versions", MaxKeys=5),
    Operation.LIST_MULTIPART_UPLOADS: _listing("list_multipart_uploads", MaxUploads=5),
    Operation.PUT_OBJECT: _put,
    Operation.CREATE_MULTIPART_UPLOAD: _multipart,
    Operation.GET_OBJECT: lambda c, s, n: c.get_object(
        Bucket=_bucket_for(s, n), Key=_key_for(s, n)
    )["Body"].read(),
    Operation.HEAD_OBJECT: _object("head_object"),
    Operation.GET_OBJECT_RETENTION: _object("get_object_retention"),
    Operation.PUT_OBJECT_RETENTION: _put_retention,
    Operation.GET_OBJECT_LEGAL_HOLD: _object("get_object_legal_hold"),
    Operation.PUT_OBJECT_LEGAL_HOLD: _put_legal_hold,
    Operation.DELETE_OBJECT: _delete,
    Operation.BYPASS_GOVERNANCE_RETENTION: _bypass,
}


def _delete_absent_version(client: Any, scope: Scope, names: ProbeNames) -> None:
    """A version id nothing has, outside the role's reach: refused, or deletes nothing."""
    client.delete_object(
        Bucket=_bucket_for(scope, names), Key=_key_for(scope, names), VersionId=NO_VERSION
    )


_VERSION_CALLS: dict[Subject, Call] = {
    Subject.HIDE_MARKER: _delete_marker,
    Subject.DATA_VERSION: _delete_data,
    Subject.ABSENT: _delete_absent_version,
}


def _call_for(expectation: Expectation) -> Call:
    if expectation.operation is Operation.DELETE_OBJECT_VERSION:
        return _VERSION_CALLS[expectation.subject]
    return _CALLS[expectation.operation]


def observe(client: Any, expectation: Expectation, names: ProbeNames) -> Observation:
    """Perform the expectation's operation once and say what B2 (or the stand-in) answered."""
    try:
        result = _call_for(expectation)(client, expectation.scope, names)
    except NotProbed as reason:
        return Observation(Outcome.NOT_PROBED, "", str(reason))
    except (ClientError, BotoCoreError) as error:
        observed = classify(error)
        if expectation.operation in LOCK_OPERATIONS and observed.code in NO_LOCK_CODES:
            return Observation(Outcome.NO_LOCK, observed.code, observed.detail)
        return observed
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


def probe(
    client: Any,
    expectation: Expectation,
    names: ProbeNames,
    unenforced: frozenset[str],
    backend: str,
) -> Probed:
    """Perform one row of the expectation table and judge the answer against the plan."""
    observation = observe(client, expectation, names)
    return Probed(expectation, observation, judge(expectation, observation, unenforced, backend))
