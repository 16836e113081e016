"""Per-role expectation tables follow B2's capability-to-S3 mapping (shared/reference/b2.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.core.expectations import (
    BUCKET_SCOPE,
    NAME_PREFIX,
    OBJECT_LOCK,
    Expectation,
    Operation,
    Scope,
    Subject,
    capability_restriction,
    expectations_for,
    probe_prefix,
)
from infra.core.plan_model import StackPlan
from infra.core.s3_operations import OPERATIONS
from infra.core.stack_files import available_stacks, load_plan_for_stack

Table = dict[tuple, Expectation]
DATA = Subject.DATA_VERSION


def table(plan: StackPlan, role: str) -> Table:
    """Rows by (operation, scope); the data-version rows by (operation, scope, DATA)."""
    rows = expectations_for(plan, role)
    by_name = {
        (e.operation, e.scope, DATA) if e.subject is DATA else (e.operation, e.scope): e
        for e in rows
    }
    assert len(by_name) == len(rows), "one expectation per operation, scope and subject"
    return by_name


def one_key(
    make_plan: Callable[..., StackPlan],
    base: dict[str, Any],
    capabilities: list[str],
    *,
    lock: dict[str, Any] | None = None,
    **settings: Any,
) -> Table:
    """The table of a lone synthetic key `k` on the base bucket."""
    base["keys"] = {"k": {"capabilities": capabilities, **settings}}
    base["objectLock"] = lock if lock is not None else {"enabled": False}
    return table(make_plan(base), "k")


SHIPPED = [
    pytest.param(stack, role, id=f"{stack}-{role}")
    for stack in available_stacks()
    for role in load_plan_for_stack(stack).roles
]


@pytest.fixture(scope="module")
def shipped_plans() -> dict[str, StackPlan]:
    return {stack: load_plan_for_stack(stack) for stack in available_stacks()}


# --- shipped stacks: the mapping holds for every role, whatever its capabilities -------


@pytest.mark.parametrize(("stack", "role"), SHIPPED)
def test_shipped_list_buckets_and_head_bucket(shipped_plans, stack, role):
    plan = shipped_plans[stack]
    key, rows = plan.key(role), table(plan, role)
    list_buckets = rows[Operation.LIST_BUCKETS, Scope.ACCOUNT]
    head_bucket = rows[Operation.HEAD_BUCKET, Scope.BUCKET]
    assert head_bucket.allowed is key.can("listBuckets")
    # Only a bucket-restricted key needs listAllBucketNames for ListBuckets (b2.md).
    if not key.can("listAllBucketNames") and not key.account_wide:
        assert list_buckets.allowed is False
        assert capability_restriction("listAllBucketNames") in list_buckets.relies_on
    else:
        assert list_buckets.allowed is key.can("listBuckets")


@pytest.mark.parametrize(("stack", "role"), SHIPPED)
def test_shipped_delete_version_follows_capability_then_lock(shipped_plans, stack, role):
    plan = shipped_plans[stack]
    key, rows = plan.key(role), table(plan, role)
    hide_marker = rows[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX]
    assert hide_marker.subject is Subject.HIDE_MARKER
    assert hide_marker.allowed is key.can("deleteFiles"), "a lock never masks deleteFiles"
    delete_object = rows[Operation.DELETE_OBJECT, Scope.IN_PREFIX]
    assert delete_object.allowed is key.can("writeFiles")
    data = rows.get((Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX, DATA))
    assert (data is not None) is key.can("writeFiles")
    if data is None:
        return
    if not key.can("deleteFiles"):
        assert data.allowed is False
        assert data.relies_on == (capability_restriction("deleteFiles"),)
    elif plan.object_lock.default_retention_active:
        assert data.allowed is False
        assert data.relies_on == (OBJECT_LOCK,)
    else:
        assert data.allowed is True


@pytest.mark.parametrize(("stack", "role"), SHIPPED)
def test_shipped_scope_denials(shipped_plans, stack, role):
    plan = shipped_plans[stack]
    key, rows = plan.key(role), table(plan, role)
    outside = [e for e in rows.values() if e.scope is Scope.OUTSIDE_PREFIX]
    assert bool(outside) is bool(key.name_prefix)
    other = [e for e in rows.values() if e.scope is Scope.OTHER_BUCKET]
    assert other
    if key.account_wide:  # no bucket restriction: other buckets answer as the stack's does
        same = {e.operation: e.allowed for e in rows.values() if e.scope is Scope.BUCKET}
        assert all(e.allowed is same.get(e.operation, False) for e in other)
        assert not any(BUCKET_SCOPE in e.relies_on for e in other)
    else:
        assert all(not e.allowed and e.relies_on == (BUCKET_SCOPE,) for e in other)
    assert probe_prefix(key) == (key.name_prefix or "")


@pytest.mark.parametrize(("stack", "role"), SHIPPED)
def test_shipped_denials_name_what_enforces_them(shipped_plans, stack, role):
    """A backend must know which restriction makes each denial observable."""
    for expectation in expectations_for(shipped_plans[stack], role):
        assert expectation.because
        if expectation.allowed:
            assert expectation.relies_on == ()
        else:
            assert expectation.relies_on, expectation.name


def test_shipped_stacks_exercise_both_delete_branches(shipped_plans):
    """The prod stack leaves deleteFiles out for automation and locks the bucket (its
    comments say so); these tests would prove little if no role hit each branch."""
    prod = shipped_plans["prod"]
    assert prod.object_lock.default_retention_active
    reasons = {
        table(prod, role)[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX, DATA].relies_on
        for role in prod.roles
        if prod.key(role).can("writeFiles")
    }
    assert (capability_restriction("deleteFiles"),) in reasons
    assert (OBJECT_LOCK,) in reasons


# --- synthetic keys: each rule of the mapping on its own ------------------------------


def test_list_buckets_without_list_all_bucket_names(make_plan, base):
    rows = one_key(make_plan, base, ["listBuckets", "listFiles"])
    list_buckets = rows[Operation.LIST_BUCKETS, Scope.ACCOUNT]
    assert list_buckets.allowed is False
    assert list_buckets.relies_on == (capability_restriction("listAllBucketNames"),)
    assert "HeadBucket" in list_buckets.because
    assert rows[Operation.HEAD_BUCKET, Scope.BUCKET].allowed is True


def test_list_buckets_with_list_all_bucket_names_opted_in(make_plan, base):
    rows = one_key(
        make_plan,
        base,
        ["listBuckets", "listAllBucketNames"],
        allowListAllBucketNames=True,
    )
    list_buckets = rows[Operation.LIST_BUCKETS, Scope.ACCOUNT]
    assert list_buckets.allowed is True
    assert list_buckets.relies_on == ()
    assert rows[Operation.HEAD_BUCKET, Scope.BUCKET].allowed is True


def test_list_all_bucket_names_without_list_buckets(make_plan, base):
    rows = one_key(
        make_plan, base, ["listAllBucketNames", "listFiles"], allowListAllBucketNames=True
    )
    list_buckets = rows[Operation.LIST_BUCKETS, Scope.ACCOUNT]
    assert list_buckets.allowed is False
    assert list_buckets.relies_on == (capability_restriction("listBuckets"),)
    head = rows[Operation.HEAD_BUCKET, Scope.BUCKET]
    assert head.allowed is False
    assert head.relies_on == (capability_restriction("listBuckets"),)


def test_missing_delete_files_degrades_delete_to_hide(make_plan, base):
    rows = one_key(make_plan, base, ["listFiles", "readFiles", "writeFiles"])
    delete_version = rows[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX]
    assert delete_version.allowed is False
    assert delete_version.relies_on == (capability_restriction("deleteFiles"),)
    delete_object = rows[Operation.DELETE_OBJECT, Scope.IN_PREFIX]
    assert delete_object.allowed is True
    assert "writeFiles" in delete_object.because


def test_delete_object_needs_write_files(make_plan, base):
    rows = one_key(make_plan, base, ["listFiles", "readFiles", "deleteFiles"])
    for operation in (Operation.DELETE_OBJECT, Operation.PUT_OBJECT):
        expectation = rows[operation, Scope.IN_PREFIX]
        assert expectation.allowed is False
        assert expectation.relies_on == (capability_restriction("writeFiles"),)


def test_delete_version_allowed_with_delete_files_and_no_lock(make_plan, base):
    rows = one_key(make_plan, base, ["writeFiles", "deleteFiles"])
    assert rows[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX].allowed is True


@pytest.mark.parametrize(
    ("lock", "mode", "days"),
    [
        ({"enabled": True, "mode": "governance", "days": 30}, "governance", 30),
        ({"enabled": True, "mode": "compliance", "years": 1}, "compliance", 365),
    ],
)
def test_default_retention_denies_version_deletes(make_plan, base, lock, mode, days):
    rows = one_key(make_plan, base, ["writeFiles", "deleteFiles"], lock=lock)
    delete_version = rows[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX, DATA]
    assert delete_version.allowed is False
    assert delete_version.relies_on == (OBJECT_LOCK,)
    assert mode in delete_version.because
    assert f"{days} days" in delete_version.because
    assert rows[Operation.DELETE_OBJECT, Scope.IN_PREFIX].allowed is True, "hiding still works"
    marker = rows[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX]
    assert marker.allowed is True, "the hide marker is never retained: deleteFiles shows"
    without = one_key(make_plan, base, ["writeFiles"], lock=lock)
    assert without[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX].relies_on == (
        capability_restriction("deleteFiles"),
    )


def test_lock_without_default_retention_does_not_deny(make_plan, base):
    rows = one_key(make_plan, base, ["writeFiles", "deleteFiles"], lock={"enabled": True})
    assert rows[Operation.DELETE_OBJECT_VERSION, Scope.IN_PREFIX, DATA].allowed is True
    bypass = [op for (op, *_rest) in rows if op is Operation.BYPASS_GOVERNANCE_RETENTION]
    assert bypass == [], "no retained version: bypass has nothing to show"


@pytest.mark.parametrize(
    ("capabilities", "mode", "allowed", "relies_on"),
    [
        (["writeFiles", "deleteFiles", "bypassGovernance"], "governance", True, ()),
        (
            ["writeFiles", "deleteFiles"],
            "governance",
            False,
            (capability_restriction("bypassGovernance"),),
        ),
        (
            ["writeFiles", "bypassGovernance"],
            "governance",
            False,
            (capability_restriction("deleteFiles"),),
        ),
        (
            ["writeFiles", "deleteFiles"],
            "compliance",
            False,
            (capability_restriction("bypassGovernance"), OBJECT_LOCK),
        ),
    ],
)
def test_bypass_governance_row(make_plan, base, capabilities, mode, allowed, relies_on):
    lock = {"enabled": True, "mode": mode, "days": 3}
    rows = one_key(make_plan, base, capabilities, lock=lock)
    bypass = rows[Operation.BYPASS_GOVERNANCE_RETENTION, Scope.IN_PREFIX, DATA]
    assert bypass.allowed is allowed
    assert bypass.relies_on == relies_on
    assert bypass.capabilities == ("bypassGovernance",)


@pytest.mark.parametrize(
    ("capability", "operations"),
    [
        ("listBuckets", [Operation.HEAD_BUCKET]),
        ("readBuckets", [Operation.GET_BUCKET_LOCATION, Operation.GET_BUCKET_VERSIONING]),
        ("readBucketRetentions", [Operation.GET_OBJECT_LOCK_CONFIGURATION]),
    ],
)
def test_bucket_operations_follow_their_capability(make_plan, base, capability, operations):
    with_it = one_key(make_plan, base, ["listFiles", capability])
    without = one_key(make_plan, base, ["listFiles"])
    for operation in operations:
        assert with_it[operation, Scope.BUCKET].allowed is True
        assert without[operation, Scope.BUCKET].allowed is False
        assert without[operation, Scope.BUCKET].relies_on == (capability_restriction(capability),)


@pytest.mark.parametrize(
    ("capability", "operation"),
    [
        ("listFiles", Operation.LIST_OBJECTS),
        ("readFiles", Operation.GET_OBJECT),
        ("writeFiles", Operation.PUT_OBJECT),
    ],
)
def test_object_operations_follow_their_capability(make_plan, base, capability, operation):
    assert one_key(make_plan, base, [capability])[operation, Scope.IN_PREFIX].allowed is True
    other = "shareFiles"
    denied = one_key(make_plan, base, [other])[operation, Scope.IN_PREFIX]
    assert denied.allowed is False
    assert denied.relies_on == (capability_restriction(capability),)


def test_outside_prefix_denials_only_with_a_prefix(make_plan, base):
    everything = ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"]
    with_prefix = one_key(make_plan, base, everything, namePrefix="media/")
    outside = {op: e for (op, scope, *_), e in with_prefix.items() if scope is Scope.OUTSIDE_PREFIX}
    assert set(outside) == {
        Operation.LIST_OBJECTS,
        Operation.PUT_OBJECT,
        Operation.GET_OBJECT,
        Operation.GET_OBJECT_RETENTION,
        Operation.GET_OBJECT_LEGAL_HOLD,
        Operation.DELETE_OBJECT_VERSION,
    }
    for expectation in outside.values():
        assert expectation.allowed is False
        assert expectation.relies_on == (NAME_PREFIX,)
        assert "'media/'" in expectation.because

    whole_bucket = one_key(make_plan, base, everything)
    assert not [e for (_, scope, *_), e in whole_bucket.items() if scope is Scope.OUTSIDE_PREFIX]


@pytest.mark.parametrize(
    ("capabilities", "settings"),
    [
        (["listFiles"], {}),
        (["listBuckets", "listFiles", "readFiles", "writeFiles"], {"namePrefix": "media/"}),
        (
            ["listAllBucketNames", "listBuckets", "readBuckets", "listFiles", "writeFiles"],
            {"allowListAllBucketNames": True},
        ),
    ],
    ids=["minimal", "prefixed", "list-all-bucket-names"],
)
def test_other_bucket_always_denied(make_plan, base, capabilities, settings):
    rows = one_key(make_plan, base, capabilities, **settings)
    other = {op: e for (op, scope, *_), e in rows.items() if scope is Scope.OTHER_BUCKET}
    assert set(other) == {
        Operation.HEAD_BUCKET,
        Operation.GET_BUCKET_LOCATION,
        Operation.GET_OBJECT_LOCK_CONFIGURATION,
        Operation.LIST_OBJECTS,
        Operation.PUT_OBJECT,
        Operation.GET_OBJECT,
        Operation.GET_OBJECT_RETENTION,
    }
    for expectation in other.values():
        assert expectation.allowed is False
        assert expectation.relies_on == (BUCKET_SCOPE,)
        assert repr(base["bucket"]["name"]) in expectation.because


def test_table_covers_every_probed_operation_on_the_own_bucket(make_plan, base):
    lock = {"enabled": True, "mode": "governance", "days": 3}
    rows = one_key(make_plan, base, ["listFiles", "writeFiles"], lock=lock)
    own = {key[0] for key in rows if key[1] in (Scope.BUCKET, Scope.IN_PREFIX)}
    probed = {op for op, rule in OPERATIONS.items() if rule.probe}
    assert own == probed
    assert (Operation.LIST_BUCKETS, Scope.ACCOUNT) in rows


def test_expectation_names_and_immutability(make_plan, base):
    rows = one_key(make_plan, base, ["listFiles"])
    expectation = rows[Operation.LIST_OBJECTS, Scope.IN_PREFIX]
    assert expectation.name == "ListObjectsV2 in-prefix"
    with pytest.raises(ValueError, match="frozen"):
        expectation.allowed = False  # type: ignore[misc]


def test_unknown_role_is_a_key_error(make_plan, base):
    with pytest.raises(KeyError):
        expectations_for(make_plan(base), "nobody")
