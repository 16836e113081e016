"""Every restriction kind the local server claims to enforce is shown refused here.

`ENFORCEMENT_PROBES` maps each kind to a probe that makes a role lacking the
restriction's capability (or outside its scope) try the operation, with a
role whose other capabilities would otherwise let it through. The set of
probed kinds must equal "all kinds minus `unenforced`", and the unenforced
kinds with an S3 operation are shown to really go through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from infra.core.expectations import BUCKET_SCOPE, NAME_PREFIX, OBJECT_LOCK, capability_restriction
from infra.local.capabilities import all_restriction_kinds
from tests.integration.support import Running, assert_allowed, assert_denied, matrix_plan

PLAN = matrix_plan()
Probe = Callable[[Running], None]


def _admin_put(running: Running, key: str, **extra: object) -> str:
    return running.client().put_object(
        Bucket=running.deployment.bucket, Key=key, Body=b"matrix", **extra
    )["VersionId"]


def _governed(running: Running, key: str) -> str:
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return _admin_put(running, key, ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)


def probe_list_files(r: Running) -> None:
    bucket, lister = r.deployment.bucket, r.client("lister")
    assert_allowed(lambda: lister.head_bucket(Bucket=bucket), "HeadBucket with listBuckets")
    assert_denied(lambda: lister.list_objects_v2(Bucket=bucket, Prefix="media/"), "listing")
    assert_denied(lambda: lister.list_object_versions(Bucket=bucket, Prefix="media/"), "versions")


def probe_read_buckets(r: Running) -> None:
    bucket, scanner, reader = r.deployment.bucket, r.client("scanner"), r.client("reader")
    for call in ("get_bucket_location", "get_bucket_versioning", "get_bucket_acl"):
        assert_allowed(lambda c=call: getattr(reader, c)(Bucket=bucket), f"{call} with readBuckets")
        assert_denied(lambda c=call: getattr(scanner, c)(Bucket=bucket), f"{call} without it")


def probe_read_bucket_retentions(r: Running) -> None:
    bucket, scanner = r.deployment.bucket, r.client("scanner")
    assert_allowed(lambda: r.client().get_object_lock_configuration(Bucket=bucket), "admin")
    assert_denied(lambda: scanner.get_object_lock_configuration(Bucket=bucket), "lock config")


def probe_write_bucket_retentions(r: Running) -> None:
    config = {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
    }
    assert_denied(
        lambda: r.client("deleter").put_object_lock_configuration(
            Bucket=r.deployment.bucket, ObjectLockConfiguration=config
        ),
        "PutObjectLockConfiguration",
    )


def probe_read_bucket_encryption(r: Running) -> None:
    assert_denied(
        lambda: r.client("scanner").get_bucket_encryption(Bucket=r.deployment.bucket),
        "GetBucketEncryption",
    )


def probe_write_bucket_encryption(r: Running) -> None:
    rules = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    assert_denied(
        lambda: r.client("deleter").put_bucket_encryption(
            Bucket=r.deployment.bucket, ServerSideEncryptionConfiguration=rules
        ),
        "PutBucketEncryption",
    )


def probe_read_files(r: Running) -> None:
    bucket, reader = r.deployment.bucket, r.client("reader")
    _admin_put(r, "reader/file.txt")
    assert_allowed(lambda: reader.list_objects_v2(Bucket=bucket, Prefix="reader/"), "listing")
    assert_denied(lambda: reader.get_object(Bucket=bucket, Key="reader/file.txt"), "GetObject")
    assert_denied(lambda: reader.head_object(Bucket=bucket, Key="reader/file.txt"), "HeadObject")
    assert_denied(lambda: reader.get_object_acl(Bucket=bucket, Key="reader/file.txt"), "ACL")


def probe_write_files(r: Running) -> None:
    bucket, deleter = r.deployment.bucket, r.client("deleter")
    _admin_put(r, "deleter/existing.txt")
    assert_denied(lambda: deleter.put_object(Bucket=bucket, Key="deleter/new", Body=b"x"), "put")
    assert_denied(lambda: deleter.delete_object(Bucket=bucket, Key="deleter/existing.txt"), "hide")
    assert_denied(
        lambda: deleter.create_multipart_upload(Bucket=bucket, Key="deleter/big"), "multipart"
    )


def probe_delete_files(r: Running) -> None:
    bucket, lister = r.deployment.bucket, r.client("lister")
    version = lister.put_object(Bucket=bucket, Key="media/lister.txt", Body=b"x")["VersionId"]
    assert_denied(
        lambda: lister.delete_object(Bucket=bucket, Key="media/lister.txt", VersionId=version),
        "DeleteObjectVersion without deleteFiles",
    )
    result = lister.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "media/lister.txt", "VersionId": version}]}
    )
    assert [e["Code"] for e in result.get("Errors", [])] == ["AccessDenied"]


def probe_read_file_retentions(r: Running) -> None:
    _governed(r, "deleter/retained.txt")
    assert_denied(
        lambda: r.client("deleter").get_object_retention(
            Bucket=r.deployment.bucket, Key="deleter/retained.txt"
        ),
        "GetObjectRetention",
    )


def probe_write_file_retentions(r: Running) -> None:
    version = _admin_put(r, "deleter/to-retain.txt")
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert_denied(
        lambda: r.client("deleter").put_object_retention(
            Bucket=r.deployment.bucket,
            Key="deleter/to-retain.txt",
            VersionId=version,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
        ),
        "PutObjectRetention",
    )


def probe_read_file_legal_holds(r: Running) -> None:
    _admin_put(r, "deleter/held.txt")
    assert_denied(
        lambda: r.client("deleter").get_object_legal_hold(
            Bucket=r.deployment.bucket, Key="deleter/held.txt"
        ),
        "GetObjectLegalHold",
    )


def probe_write_file_legal_holds(r: Running) -> None:
    _admin_put(r, "deleter/to-hold.txt")
    assert_denied(
        lambda: r.client("deleter").put_object_legal_hold(
            Bucket=r.deployment.bucket, Key="deleter/to-hold.txt", LegalHold={"Status": "ON"}
        ),
        "PutObjectLegalHold",
    )


def probe_bypass_governance(r: Running) -> None:
    bucket, deleter = r.deployment.bucket, r.client("deleter")
    version = _governed(r, "deleter/governed.txt")
    assert_denied(
        lambda: deleter.delete_object(
            Bucket=bucket,
            Key="deleter/governed.txt",
            VersionId=version,
            BypassGovernanceRetention=True,
        ),
        "bypassing governance without bypassGovernance",
    )
    assert_allowed(
        lambda: r.client().delete_object(
            Bucket=bucket,
            Key="deleter/governed.txt",
            VersionId=version,
            BypassGovernanceRetention=True,
        ),
        "admin bypass",
    )


def probe_write_buckets(r: Running) -> None:
    bucket, deleter = r.deployment.bucket, r.client("deleter")
    assert_denied(
        lambda: deleter.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
        ),
        "PutBucketVersioning",
    )
    rule = {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "x/"}, "Expiration": {"Days": 1}}
    assert_denied(
        lambda: deleter.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [rule]}
        ),
        "PutBucketLifecycleConfiguration",
    )
    assert_denied(lambda: deleter.delete_bucket_policy(Bucket=bucket), "DeleteBucketPolicy")
    assert_denied(
        lambda: deleter.put_bucket_policy(Bucket=bucket, Policy='{"Statement": []}'),
        "PutBucketPolicy",
    )
    cors = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}
    assert_denied(
        lambda: deleter.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors), "PutBucketCors"
    )


def probe_delete_buckets(r: Running) -> None:
    assert_denied(lambda: r.client("deleter").delete_bucket(Bucket=r.deployment.bucket), "delete")


def probe_bucket_scope(r: Running) -> None:
    other, scanner = r.deployment.other_bucket, r.client("scanner")
    assert_denied(lambda: scanner.head_bucket(Bucket=other), "HeadBucket")
    assert_denied(lambda: scanner.list_objects_v2(Bucket=other), "ListObjectsV2")
    assert_denied(lambda: scanner.put_object(Bucket=other, Key="x", Body=b"x"), "PutObject")
    assert_denied(lambda: scanner.get_object(Bucket=other, Key="x"), "GetObject")


def probe_name_prefix(r: Running) -> None:
    """A role holding every object capability, refused only for being outside its prefix."""
    bucket, role = r.deployment.bucket, r.client("prefixed")
    _admin_put(r, "outside/file.txt")
    assert_allowed(lambda: role.put_object(Bucket=bucket, Key="media/in.txt", Body=b"x"), "in")
    assert_allowed(lambda: role.get_object(Bucket=bucket, Key="media/in.txt"), "get inside")
    assert_allowed(lambda: role.list_objects_v2(Bucket=bucket, Prefix="media/"), "list inside")
    assert_denied(lambda: role.put_object(Bucket=bucket, Key="outside/x", Body=b"x"), "put")
    assert_denied(lambda: role.put_object(Bucket=bucket, Key="media", Body=b"x"), "no slash")
    assert_denied(lambda: role.get_object(Bucket=bucket, Key="outside/file.txt"), "get")
    assert_denied(lambda: role.head_object(Bucket=bucket, Key="outside/file.txt"), "head")
    assert_denied(lambda: role.delete_object(Bucket=bucket, Key="outside/file.txt"), "delete")
    assert_denied(
        lambda: role.copy_object(
            Bucket=bucket,
            Key="media/copy.txt",
            CopySource={"Bucket": bucket, "Key": "outside/file.txt"},
        ),
        "copy from outside",
    )
    assert_denied(
        lambda: role.create_multipart_upload(Bucket=bucket, Key="outside/big"), "multipart"
    )
    result = role.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "outside/file.txt"}]})
    assert [e["Code"] for e in result.get("Errors", [])] == ["AccessDenied"]
    assert_denied(lambda: role.list_objects_v2(Bucket=bucket, Prefix="outside/"), "list other")
    assert_denied(lambda: role.list_objects_v2(Bucket=bucket, Prefix="media"), "list no slash")
    assert_denied(lambda: role.list_objects_v2(Bucket=bucket), "list without a prefix")
    assert_denied(lambda: role.list_objects(Bucket=bucket), "ListObjects v1 without a prefix")
    assert_denied(lambda: role.list_object_versions(Bucket=bucket), "versions without a prefix")


def probe_object_lock(r: Running) -> None:
    bucket, deleter = r.deployment.bucket, r.client("deleter")
    free = _admin_put(r, "deleter/free.txt")
    assert_allowed(
        lambda: deleter.delete_object(Bucket=bucket, Key="deleter/free.txt", VersionId=free),
        "deleting an unlocked version with deleteFiles",
    )
    locked = _governed(r, "deleter/locked.txt")
    assert_denied(
        lambda: deleter.delete_object(Bucket=bucket, Key="deleter/locked.txt", VersionId=locked),
        "deleting a version under governance retention",
    )


ENFORCEMENT_PROBES: dict[str, Probe] = {
    BUCKET_SCOPE: probe_bucket_scope,
    NAME_PREFIX: probe_name_prefix,
    OBJECT_LOCK: probe_object_lock,
    capability_restriction("listFiles"): probe_list_files,
    capability_restriction("readBuckets"): probe_read_buckets,
    capability_restriction("readBucketRetentions"): probe_read_bucket_retentions,
    capability_restriction("writeBucketRetentions"): probe_write_bucket_retentions,
    capability_restriction("readBucketEncryption"): probe_read_bucket_encryption,
    capability_restriction("writeBucketEncryption"): probe_write_bucket_encryption,
    capability_restriction("readFiles"): probe_read_files,
    capability_restriction("writeFiles"): probe_write_files,
    capability_restriction("deleteFiles"): probe_delete_files,
    capability_restriction("readFileRetentions"): probe_read_file_retentions,
    capability_restriction("writeFileRetentions"): probe_write_file_retentions,
    capability_restriction("readFileLegalHolds"): probe_read_file_legal_holds,
    capability_restriction("writeFileLegalHolds"): probe_write_file_legal_holds,
    capability_restriction("bypassGovernance"): probe_bypass_governance,
    capability_restriction("writeBuckets"): probe_write_buckets,
    capability_restriction("deleteBuckets"): probe_delete_buckets,
}


def test_every_enforced_kind_has_a_probe(matrix_running: Running) -> None:
    claimed = all_restriction_kinds() - matrix_running.deployment.unenforced
    assert set(ENFORCEMENT_PROBES) == claimed


@pytest.mark.parametrize("kind", sorted(ENFORCEMENT_PROBES))
def test_enforced_kind_is_refused(matrix_running: Running, kind: str) -> None:
    assert kind not in matrix_running.deployment.unenforced
    ENFORCEMENT_PROBES[kind](matrix_running)


def test_unenforced_list_buckets_really_goes_through(matrix_running: Running) -> None:
    """listAllBucketNames / listBuckets: B2 refuses ListBuckets here, SeaweedFS answers it."""
    unenforced = matrix_running.deployment.unenforced
    assert capability_restriction("listAllBucketNames") in unenforced
    assert capability_restriction("listBuckets") in unenforced
    lacking_all = next(k.role for k in PLAN.keys if not k.can("listAllBucketNames"))
    lacking_list = next(k.role for k in PLAN.keys if not k.can("listBuckets"))
    for role in (lacking_all, lacking_list):
        assert_allowed(lambda r=role: matrix_running.client(r).list_buckets(), f"{role} lists")
    bucket = matrix_running.deployment.bucket
    assert_denied(
        lambda: matrix_running.client(lacking_list).head_bucket(Bucket=bucket),
        "HeadBucket without listBuckets (the enforced half)",
    )
