"""What each role's key must and must not be able to do over S3.

Derived from the plan with B2's capability-to-S3 mapping (see
../shared/reference/b2.md, "S3 mapping"); the smoke suite and the local
emulation read this table instead of restating capabilities.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from infra.plan import KeyPlan, StackPlan


class Scope(StrEnum):
    ACCOUNT = "account"
    BUCKET = "bucket"
    IN_PREFIX = "in-prefix"
    OUTSIDE_PREFIX = "outside-prefix"
    OTHER_BUCKET = "other-bucket"


class Operation(StrEnum):
    LIST_BUCKETS = "ListBuckets"
    HEAD_BUCKET = "HeadBucket"
    GET_BUCKET_LOCATION = "GetBucketLocation"
    GET_BUCKET_VERSIONING = "GetBucketVersioning"
    GET_OBJECT_LOCK_CONFIGURATION = "GetObjectLockConfiguration"
    LIST_OBJECTS = "ListObjectsV2"
    PUT_OBJECT = "PutObject"
    GET_OBJECT = "GetObject"
    DELETE_OBJECT = "DeleteObject"
    DELETE_OBJECT_VERSION = "DeleteObjectVersion"


# Restriction kinds a backend must enforce for a denial to be observable.
BUCKET_SCOPE = "bucketScope"
NAME_PREFIX = "namePrefix"
OBJECT_LOCK = "objectLock"


def capability_restriction(capability: str) -> str:
    return f"capability:{capability}"


# Which B2 capability each S3 operation needs on the key's own bucket.
CAPABILITY_FOR: dict[Operation, str] = {
    Operation.HEAD_BUCKET: "listBuckets",
    Operation.GET_BUCKET_LOCATION: "readBuckets",
    Operation.GET_BUCKET_VERSIONING: "readBuckets",
    Operation.GET_OBJECT_LOCK_CONFIGURATION: "readBucketRetentions",
    Operation.LIST_OBJECTS: "listFiles",
    Operation.PUT_OBJECT: "writeFiles",
    Operation.GET_OBJECT: "readFiles",
    Operation.DELETE_OBJECT: "writeFiles",
    Operation.DELETE_OBJECT_VERSION: "deleteFiles",
}

BUCKET_OPERATIONS = (
    Operation.HEAD_BUCKET,
    Operation.GET_BUCKET_LOCATION,
    Operation.GET_BUCKET_VERSIONING,
    Operation.GET_OBJECT_LOCK_CONFIGURATION,
)
OBJECT_OPERATIONS = (
    Operation.LIST_OBJECTS,
    Operation.PUT_OBJECT,
    Operation.GET_OBJECT,
    Operation.DELETE_OBJECT,
    Operation.DELETE_OBJECT_VERSION,
)
FOREIGN_OPERATIONS = (Operation.HEAD_BUCKET, Operation.LIST_OBJECTS, Operation.PUT_OBJECT)
OUTSIDE_PREFIX_OPERATIONS = (Operation.LIST_OBJECTS, Operation.PUT_OBJECT, Operation.GET_OBJECT)


class Expectation(BaseModel):
    """One operation on one scope, and whether B2 must allow it."""

    model_config = ConfigDict(frozen=True)

    operation: Operation
    scope: Scope
    allowed: bool
    because: str
    relies_on: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.operation.value} {self.scope.value}"


def _by_capability(key: KeyPlan, operation: Operation, scope: Scope) -> Expectation:
    capability = CAPABILITY_FOR[operation]
    if key.can(capability):
        return Expectation(
            operation=operation, scope=scope, allowed=True, because=f"the key holds {capability}"
        )
    return Expectation(
        operation=operation,
        scope=scope,
        allowed=False,
        because=f"the key lacks {capability}",
        relies_on=(capability_restriction(capability),),
    )


def _list_buckets(key: KeyPlan) -> Expectation:
    if key.can("listBuckets") and key.account_wide:
        return Expectation(
            operation=Operation.LIST_BUCKETS,
            scope=Scope.ACCOUNT,
            allowed=True,
            because="the key is account-wide and holds listBuckets; the bucket is listed",
        )
    if key.can("listBuckets") and key.can("listAllBucketNames"):
        return Expectation(
            operation=Operation.LIST_BUCKETS,
            scope=Scope.ACCOUNT,
            allowed=True,
            because="the key holds listBuckets and listAllBucketNames; the bucket is listed",
        )
    missing = [c for c in ("listBuckets", "listAllBucketNames") if not key.can(c)]
    return Expectation(
        operation=Operation.LIST_BUCKETS,
        scope=Scope.ACCOUNT,
        allowed=False,
        because=(
            f"a bucket-scoped key needs {' and '.join(missing)} for ListBuckets on B2; "
            "HeadBucket is the check that works without it"
        ),
        relies_on=tuple(capability_restriction(c) for c in missing),
    )


def _delete_version(plan: StackPlan, key: KeyPlan) -> Expectation:
    expectation = _by_capability(key, Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX)
    if expectation.allowed and plan.object_lock.default_retention_active:
        lock = plan.object_lock
        assert lock.period is not None
        return Expectation(
            operation=Operation.DELETE_OBJECT_VERSION,
            scope=Scope.IN_PREFIX,
            allowed=False,
            because=(
                f"new objects are under {lock.mode} retention for {lock.period.days} days; "
                "a lifecycle rule removes them afterwards"
            ),
            relies_on=(OBJECT_LOCK,),
        )
    return expectation


def expectations_for(plan: StackPlan, role: str) -> tuple[Expectation, ...]:
    """The full table for one role, in the order the smoke suite checks it."""
    key = plan.key(role)
    table = [_list_buckets(key)]
    table += [_by_capability(key, op, Scope.BUCKET) for op in BUCKET_OPERATIONS]
    table += [
        _by_capability(key, op, Scope.IN_PREFIX)
        for op in OBJECT_OPERATIONS
        if op is not Operation.DELETE_OBJECT_VERSION
    ]
    table.append(_delete_version(plan, key))
    if key.name_prefix:
        table += [
            Expectation(
                operation=op,
                scope=Scope.OUTSIDE_PREFIX,
                allowed=False,
                because=f"the key is restricted to names starting with {key.name_prefix!r}",
                relies_on=(NAME_PREFIX,),
            )
            for op in OUTSIDE_PREFIX_OPERATIONS
        ]
    if key.account_wide:  # no bucket restriction: other buckets answer as this one does
        return (*table, *(_by_capability(key, op, Scope.OTHER_BUCKET) for op in FOREIGN_OPERATIONS))
    table += [
        Expectation(
            operation=op,
            scope=Scope.OTHER_BUCKET,
            allowed=False,
            because=f"the key is restricted to bucket {plan.bucket.name!r}",
            relies_on=(BUCKET_SCOPE,),
        )
        for op in FOREIGN_OPERATIONS
    ]
    return tuple(table)


def probe_prefix(key: KeyPlan) -> str:
    """Where a role may write its probe objects: its name prefix, or the bucket root."""
    return key.name_prefix or ""
