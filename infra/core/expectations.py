"""What each role's key must and must not be able to do over S3.

Derived from the plan with B2's capability-to-S3 mapping, which lives in one
table (`infra.core.s3_operations.OPERATIONS`); the smoke suite and the local
emulation read these rows instead of restating capabilities.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from infra.core.b2_facts import Capability
from infra.core.plan_model import KeyPlan, StackPlan
from infra.core.s3_operations import LIST_BUCKETS_NEEDS, OPERATIONS, Operation, capability_for

__all__ = ["Capability", "Expectation", "Operation", "Scope", "Subject", "expectations_for"]


class Scope(StrEnum):
    ACCOUNT = "account"
    BUCKET = "bucket"
    IN_PREFIX = "in-prefix"
    OUTSIDE_PREFIX = "outside-prefix"
    OTHER_BUCKET = "other-bucket"


class Subject(StrEnum):
    """Which object (or version) an object operation acts on."""

    OBJECT = ""  # the probe object (by name, latest version)
    ABSENT = "absent object"  # a name never written: the answer shows authorisation only
    HIDE_MARKER = "hide marker"  # the delete marker DeleteObject left: never under retention
    DATA_VERSION = "data version"  # the probe's uploaded version: under default retention


# Restriction kinds a backend must enforce for a denial to be observable.
BUCKET_SCOPE = "bucketScope"
NAME_PREFIX = "namePrefix"
OBJECT_LOCK = "objectLock"
GRANT_PREFIX = "grant:"  # a backend that cannot let a holder do what B2 allows


def capability_restriction(capability: str) -> str:
    return f"capability:{capability}"


def capability_grant(capability: str) -> str:
    """The kind a backend lists when it cannot grant `capability` to a holder."""
    return f"{GRANT_PREFIX}{capability}"


# Which B2 capability each S3 operation needs on the key's own bucket (from the one table).
CAPABILITY_FOR: dict[Operation, Capability] = {op: r.capability for op, r in OPERATIONS.items()}

BUCKET_OPERATIONS = (
    Operation.HEAD_BUCKET,
    Operation.GET_BUCKET_LOCATION,
    Operation.GET_BUCKET_VERSIONING,
    Operation.GET_BUCKET_ACL,
    Operation.GET_OBJECT_LOCK_CONFIGURATION,
    Operation.GET_BUCKET_ENCRYPTION,
)
OBJECT_OPERATIONS = (
    (Operation.LIST_OBJECTS, Subject.OBJECT),
    (Operation.LIST_OBJECT_VERSIONS, Subject.OBJECT),
    (Operation.LIST_MULTIPART_UPLOADS, Subject.OBJECT),
    (Operation.PUT_OBJECT, Subject.OBJECT),
    (Operation.CREATE_MULTIPART_UPLOAD, Subject.OBJECT),
    (Operation.GET_OBJECT, Subject.OBJECT),
    (Operation.HEAD_OBJECT, Subject.OBJECT),
    (Operation.GET_OBJECT_RETENTION, Subject.OBJECT),
    (Operation.PUT_OBJECT_RETENTION, Subject.ABSENT),
    (Operation.GET_OBJECT_LEGAL_HOLD, Subject.OBJECT),
    (Operation.PUT_OBJECT_LEGAL_HOLD, Subject.OBJECT),
    (Operation.DELETE_OBJECT, Subject.OBJECT),
    (Operation.DELETE_OBJECT_VERSION, Subject.HIDE_MARKER),
)
FOREIGN_OPERATIONS = (
    (Operation.HEAD_BUCKET, Subject.OBJECT),
    (Operation.GET_BUCKET_LOCATION, Subject.OBJECT),
    (Operation.GET_OBJECT_LOCK_CONFIGURATION, Subject.OBJECT),
    (Operation.LIST_OBJECTS, Subject.OBJECT),
    (Operation.PUT_OBJECT, Subject.OBJECT),
    (Operation.GET_OBJECT, Subject.OBJECT),
    (Operation.GET_OBJECT_RETENTION, Subject.OBJECT),
)
OUTSIDE_PREFIX_OPERATIONS = (
    (Operation.LIST_OBJECTS, Subject.OBJECT),
    (Operation.PUT_OBJECT, Subject.OBJECT),
    (Operation.GET_OBJECT, Subject.OBJECT),
    (Operation.GET_OBJECT_RETENTION, Subject.OBJECT),
    (Operation.GET_OBJECT_LEGAL_HOLD, Subject.OBJECT),
    (Operation.DELETE_OBJECT_VERSION, Subject.ABSENT),  # a version id nothing has
)


class Expectation(BaseModel):
    """One operation on one scope, and whether B2 must allow it."""

    model_config = ConfigDict(frozen=True)

    operation: Operation
    scope: Scope
    allowed: bool
    because: str
    relies_on: tuple[str, ...] = ()
    subject: Subject = Subject.OBJECT
    capabilities: tuple[Capability, ...] = ()  # what this row tests (the report groups by it)

    @property
    def name(self) -> str:
        name = f"{self.operation.value} {self.scope.value}"
        return f"{name} ({self.subject.value})" if self.subject.value else name

    @property
    def needs(self) -> tuple[str, ...]:
        """Grant kinds a backend must support for an allowed row to be observable."""
        return tuple(capability_grant(c) for c in self.capabilities) if self.allowed else ()


def _by_capability(
    key: KeyPlan, operation: Operation, scope: Scope, subject: Subject = Subject.OBJECT
) -> Expectation:
    rule = OPERATIONS[operation]
    needed = (rule.capability, *rule.also_needs)
    missing = [c for c in needed if not key.can(c)]
    if not missing:
        held = " and ".join(needed)
        return Expectation(
            operation=operation,
            scope=scope,
            subject=subject,
            allowed=True,
            because=f"the key holds {held}",
            capabilities=(rule.capability,),
        )
    return Expectation(
        operation=operation,
        scope=scope,
        subject=subject,
        allowed=False,
        because=f"the key lacks {' and '.join(missing)}",
        relies_on=tuple(capability_restriction(c) for c in missing),
        capabilities=(rule.capability,),
    )


def _list_buckets(key: KeyPlan) -> Expectation:
    if key.account_wide and key.can(Capability.LIST_BUCKETS):
        return Expectation(
            operation=Operation.LIST_BUCKETS,
            scope=Scope.ACCOUNT,
            allowed=True,
            because=f"the key is account-wide and holds {Capability.LIST_BUCKETS}; "
            "the bucket is listed",
            capabilities=(Capability.LIST_BUCKETS,),
        )
    names = " and ".join(LIST_BUCKETS_NEEDS)
    missing = [c for c in LIST_BUCKETS_NEEDS if not key.can(c)]
    if not missing:
        return Expectation(
            operation=Operation.LIST_BUCKETS,
            scope=Scope.ACCOUNT,
            allowed=True,
            because=f"the key holds {names}; the bucket is listed",
            capabilities=LIST_BUCKETS_NEEDS,
        )
    return Expectation(
        operation=Operation.LIST_BUCKETS,
        scope=Scope.ACCOUNT,
        allowed=False,
        because=(
            f"a bucket-scoped key needs {' and '.join(missing)} for ListBuckets on B2; "
            "HeadBucket is the check that works without it"
        ),
        relies_on=tuple(capability_restriction(c) for c in missing),
        capabilities=LIST_BUCKETS_NEEDS,
    )


def _retained(plan: StackPlan, row: Expectation) -> Expectation:
    """A row the capability allows, refused because new versions are under retention."""
    lock = plan.object_lock
    assert lock.period is not None
    return row.model_copy(
        update={
            "allowed": False,
            "because": (
                f"new objects are under {lock.mode} retention for {lock.period.days} days; "
                "a lifecycle rule removes them afterwards"
            ),
            "relies_on": (OBJECT_LOCK,),
        }
    )


def _version_deletes(plan: StackPlan, key: KeyPlan) -> list[Expectation]:
    """Deleting the probe's own uploaded version, plainly and with the bypass header.

    Only for a key that can upload (the rows need a version it wrote). The hide
    marker row above shows deleteFiles whatever the lock; these show the lock.
    """
    if not key.can(capability_for(Operation.PUT_OBJECT)):
        return []
    lock = plan.object_lock
    plain = _by_capability(
        key, Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX, Subject.DATA_VERSION
    )
    if plain.allowed and lock.default_retention_active:
        plain = _retained(plan, plain)
    rows = [plain]
    if lock.default_retention_active:
        bypass = _by_capability(
            key, Operation.BYPASS_GOVERNANCE_RETENTION, Scope.IN_PREFIX, Subject.DATA_VERSION
        )
        if bypass.allowed and lock.mode != "governance":
            bypass = _retained(plan, bypass)
        elif not bypass.allowed and lock.mode != "governance":
            bypass = bypass.model_copy(update={"relies_on": (*bypass.relies_on, OBJECT_LOCK)})
        rows.append(bypass)
    return rows


def _denied(
    operation: Operation, subject: Subject, scope: Scope, because: str, kind: str
) -> Expectation:
    return Expectation(
        operation=operation,
        scope=scope,
        subject=subject,
        allowed=False,
        because=because,
        relies_on=(kind,),
        capabilities=(capability_for(operation),),
    )


def expectations_for(plan: StackPlan, role: str) -> tuple[Expectation, ...]:
    """The full table for one role, in the order the smoke suite checks it."""
    key = plan.key(role)
    table = [_list_buckets(key)]
    table += [_by_capability(key, op, Scope.BUCKET) for op in BUCKET_OPERATIONS]
    table += [_by_capability(key, op, Scope.IN_PREFIX, s) for op, s in OBJECT_OPERATIONS]
    table += _version_deletes(plan, key)
    if key.name_prefix:
        because = f"the key is restricted to names starting with {key.name_prefix!r}"
        table += [
            _denied(op, subject, Scope.OUTSIDE_PREFIX, because, NAME_PREFIX)
            for op, subject in OUTSIDE_PREFIX_OPERATIONS
        ]
    if key.account_wide:  # no bucket restriction: other buckets answer as this one does
        return (
            *table,
            *(_by_capability(key, op, Scope.OTHER_BUCKET, s) for op, s in FOREIGN_OPERATIONS),
        )
    because = f"the key is restricted to bucket {plan.bucket.name!r}"
    table += [
        _denied(op, subject, Scope.OTHER_BUCKET, because, BUCKET_SCOPE)
        for op, subject in FOREIGN_OPERATIONS
    ]
    return tuple(table)


def probe_prefix(key: KeyPlan) -> str:
    """Where a role may write its probe objects: its name prefix, or the bucket root."""
    return key.name_prefix or ""
