"""Which B2 capability each S3 operation needs: the one table.

Source: Backblaze's "S3-compatible app keys" mapping (../shared/reference/b2.md,
"S3 mapping" and "Object Lock"). The expectations, the smoke checks and
their messages, the clean-up and the local access model all read this table;
none of them names a capability for an operation on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from infra.core.b2_facts import Capability


class Operation(StrEnum):
    """S3 operations, by the names botocore gives them where one exists."""

    LIST_BUCKETS = "ListBuckets"
    HEAD_BUCKET = "HeadBucket"
    GET_BUCKET_LOCATION = "GetBucketLocation"
    GET_BUCKET_VERSIONING = "GetBucketVersioning"
    GET_BUCKET_ACL = "GetBucketAcl"
    GET_OBJECT_LOCK_CONFIGURATION = "GetObjectLockConfiguration"
    PUT_OBJECT_LOCK_CONFIGURATION = "PutObjectLockConfiguration"
    GET_BUCKET_ENCRYPTION = "GetBucketEncryption"
    PUT_BUCKET_ENCRYPTION = "PutBucketEncryption"
    LIST_OBJECTS = "ListObjectsV2"
    LIST_OBJECT_VERSIONS = "ListObjectVersions"
    LIST_MULTIPART_UPLOADS = "ListMultipartUploads"
    PUT_OBJECT = "PutObject"
    CREATE_MULTIPART_UPLOAD = "CreateMultipartUpload"
    GET_OBJECT = "GetObject"
    HEAD_OBJECT = "HeadObject"
    DELETE_OBJECT = "DeleteObject"  # by name: a hide (delete marker) on a versioned bucket
    DELETE_OBJECT_VERSION = "DeleteObjectVersion"  # DeleteObject with a VersionId
    GET_OBJECT_RETENTION = "GetObjectRetention"
    PUT_OBJECT_RETENTION = "PutObjectRetention"
    GET_OBJECT_LEGAL_HOLD = "GetObjectLegalHold"
    PUT_OBJECT_LEGAL_HOLD = "PutObjectLegalHold"
    BYPASS_GOVERNANCE_RETENTION = "BypassGovernanceRetention"  # version delete + bypass header


class On(StrEnum):
    """What an operation acts on."""

    BUCKET = "bucket"  # the bucket itself (arn:aws:s3:::B)
    OBJECTS = "objects"  # the key's objects (arn:aws:s3:::B/P*)


@dataclass(frozen=True)
class OperationRule:
    """The capability an operation needs, and how an IAM-style policy names the request.

    `method` separates requests that resolve to the same IAM action: HeadBucket
    and a listing are both `s3:ListBucket`, told apart by HEAD and GET.
    `also_needs` are further capabilities B2 requires for the same request.
    """

    capability: Capability
    on: On
    iam_action: str
    method: str | None = None
    also_needs: tuple[Capability, ...] = ()
    probe: bool = True  # False: a successful probe would change the bucket's settings


C = Capability
OPERATIONS: dict[Operation, OperationRule] = {
    Operation.HEAD_BUCKET: OperationRule(C.LIST_BUCKETS, On.BUCKET, "s3:ListBucket", "HEAD"),
    Operation.GET_BUCKET_LOCATION: OperationRule(C.READ_BUCKETS, On.BUCKET, "s3:GetBucketLocation"),
    Operation.GET_BUCKET_VERSIONING: OperationRule(
        C.READ_BUCKETS, On.BUCKET, "s3:GetBucketVersioning"
    ),
    Operation.GET_BUCKET_ACL: OperationRule(C.READ_BUCKETS, On.BUCKET, "s3:GetBucketAcl"),
    Operation.GET_OBJECT_LOCK_CONFIGURATION: OperationRule(
        C.READ_BUCKET_RETENTIONS, On.BUCKET, "s3:GetBucketObjectLockConfiguration"
    ),
    Operation.PUT_OBJECT_LOCK_CONFIGURATION: OperationRule(
        C.WRITE_BUCKET_RETENTIONS, On.BUCKET, "s3:PutBucketObjectLockConfiguration", probe=False
    ),
    Operation.GET_BUCKET_ENCRYPTION: OperationRule(
        C.READ_BUCKET_ENCRYPTION, On.BUCKET, "s3:GetBucketEncryption"
    ),
    Operation.PUT_BUCKET_ENCRYPTION: OperationRule(
        C.WRITE_BUCKET_ENCRYPTION, On.BUCKET, "s3:PutBucketEncryption", probe=False
    ),
    Operation.LIST_OBJECTS: OperationRule(C.LIST_FILES, On.BUCKET, "s3:ListBucket", "GET"),
    Operation.LIST_OBJECT_VERSIONS: OperationRule(
        C.LIST_FILES, On.BUCKET, "s3:ListBucketVersions", "GET"
    ),
    Operation.LIST_MULTIPART_UPLOADS: OperationRule(
        C.LIST_FILES, On.BUCKET, "s3:ListBucketMultipartUploads", "GET"
    ),
    Operation.PUT_OBJECT: OperationRule(C.WRITE_FILES, On.OBJECTS, "s3:PutObject"),
    Operation.CREATE_MULTIPART_UPLOAD: OperationRule(
        C.WRITE_FILES, On.OBJECTS, "s3:CreateMultipartUpload"
    ),
    Operation.GET_OBJECT: OperationRule(C.READ_FILES, On.OBJECTS, "s3:GetObject"),
    Operation.HEAD_OBJECT: OperationRule(C.READ_FILES, On.OBJECTS, "s3:GetObject"),
    Operation.DELETE_OBJECT: OperationRule(C.WRITE_FILES, On.OBJECTS, "s3:DeleteObject"),
    Operation.DELETE_OBJECT_VERSION: OperationRule(
        C.DELETE_FILES, On.OBJECTS, "s3:DeleteObjectVersion"
    ),
    Operation.GET_OBJECT_RETENTION: OperationRule(
        C.READ_FILE_RETENTIONS, On.OBJECTS, "s3:GetObjectRetention"
    ),
    Operation.PUT_OBJECT_RETENTION: OperationRule(
        C.WRITE_FILE_RETENTIONS, On.OBJECTS, "s3:PutObjectRetention"
    ),
    Operation.GET_OBJECT_LEGAL_HOLD: OperationRule(
        C.READ_FILE_LEGAL_HOLDS, On.OBJECTS, "s3:GetObjectLegalHold"
    ),
    Operation.PUT_OBJECT_LEGAL_HOLD: OperationRule(
        C.WRITE_FILE_LEGAL_HOLDS, On.OBJECTS, "s3:PutObjectLegalHold"
    ),
    Operation.BYPASS_GOVERNANCE_RETENTION: OperationRule(
        C.BYPASS_GOVERNANCE,
        On.OBJECTS,
        "s3:BypassGovernanceRetention",
        also_needs=(C.DELETE_FILES,),
    ),
}
# ListBuckets: listBuckets, and for a bucket-scoped key also listAllBucketNames.
LIST_BUCKETS_NEEDS: tuple[Capability, ...] = (C.LIST_BUCKETS, C.LIST_ALL_BUCKET_NAMES)

# Capabilities no S3 operation exercises, and why (they stay "not verifiable" over S3).
WITHOUT_S3_OPERATION: dict[Capability, str] = {
    C.SHARE_FILES: "B2 download authorizations have no S3 operation",
    C.READ_BUCKET_NOTIFICATIONS: "B2 event notifications have no S3 operation",
    C.WRITE_BUCKET_NOTIFICATIONS: "B2 event notifications have no S3 operation",
    C.READ_BUCKET_REPLICATIONS: "B2 replication rules have no S3 operation",
    C.WRITE_BUCKET_REPLICATIONS: "B2 replication rules have no S3 operation",
    C.LIST_KEYS: "key management has no S3 operation",
    C.WRITE_KEYS: "key management has no S3 operation",
    C.DELETE_KEYS: "key management has no S3 operation",
    C.WRITE_BUCKETS: "a bucket-scoped key cannot hold it (the planner refuses it)",
    C.DELETE_BUCKETS: "a bucket-scoped key cannot hold it (the planner refuses it)",
}


def capability_for(operation: Operation | str) -> Capability:
    """The capability B2 requires for an operation (KeyError for one the table lacks)."""
    return OPERATIONS[Operation(operation)].capability


def operations_of(capability: Capability | str) -> tuple[Operation, ...]:
    """Every operation governed by a capability, in table order."""
    return tuple(op for op, rule in OPERATIONS.items() if rule.capability == capability)


def capability_refused(operation_name: str) -> Capability | None:
    """The capability a refusal of this botocore operation points at, or None if unknown."""
    try:
        return capability_for(operation_name)
    except (KeyError, ValueError):
        return None
