"""The pure comparison core: plan + observed state -> checks, without b2sdk."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime, timedelta

import pytest
from b2sdk.v3 import LifecycleRule

from infra.core import b2_facts as b2
from infra.core.exit_codes import ExitCode
from infra.core.plan_model import StackPlan
from smoke.audit.compare import LIFECYCLE_FIELDS, AuditSettings, audit
from smoke.audit.observed import (
    BucketAbsent,
    BucketRef,
    ListedKey,
    ObservedBucket,
    ObservedCorsRule,
    ObservedEncryption,
    ObservedFileLock,
    ObservedLifecycleRule,
    ObservedRoleKey,
    ObservedState,
    Unreadable,
)
from smoke.verdicts import Result

NOW = datetime(2030, 1, 1, tzinfo=UTC)
BUCKET_ID = "bucket-id-1"


def observed_from_plan(plan: StackPlan, *, created: datetime = NOW) -> ObservedState:
    """Exactly what B2 would report right after `pulumi up` of this plan."""
    lock = plan.object_lock
    retention = lock.period if lock.default_retention_active else None
    bucket = ObservedBucket(
        name=plan.bucket.name,
        bucket_id=BUCKET_ID,
        bucket_type=plan.bucket.bucket_type,
        bucket_info=plan.bucket.bucket_info,
        lifecycle=tuple(
            ObservedLifecycleRule(
                **{name: getattr(r, name) for name in ObservedLifecycleRule.__dataclass_fields__}
            )
            for r in plan.lifecycle
        ),
        cors=tuple(
            ObservedCorsRule(
                **{name: getattr(r, name) for name in ObservedCorsRule.__dataclass_fields__}
            )
            for r in plan.bucket.cors
        ),
        encryption=ObservedEncryption(plan.bucket.encryption.mode, plan.bucket.encryption.algorithm)
        if plan.bucket.encryption
        else ObservedEncryption("none", None),
        file_lock=ObservedFileLock(
            enabled=lock.enabled,
            mode=lock.mode if retention else None,
            duration=retention.duration if retention else None,
            unit=retention.unit if retention else None,
        ),
        read_with="test",
    )
    role_keys = tuple(
        ObservedRoleKey(
            role=k.role,
            key_id=f"id-{k.role}",
            capabilities=frozenset(k.capabilities),
            buckets=None if k.account_wide else (BucketRef(BUCKET_ID, plan.bucket.name),),
            name_prefix=k.name_prefix,
        )
        for k in plan.keys
    )
    listed = tuple(
        ListedKey(
            key_id=f"id-{k.role}",
            key_name=k.key_name,
            capabilities=frozenset(k.capabilities),
            bucket_ids=None if k.account_wide else (BUCKET_ID,),
            name_prefix=k.name_prefix,
            expires_at=None
            if k.valid_duration_seconds is None
            else created + timedelta(seconds=k.valid_duration_seconds),
        )
        for k in plan.keys
    )
    return ObservedState(
        bucket_name=plan.bucket.name,
        observed_at=NOW,
        bucket=bucket,
        role_keys=role_keys,
        account_keys=listed,
        audit_key_id="id-auditor",
    )


def _with_key(state: ObservedState, role: str, **changes) -> ObservedState:
    keys = tuple(
        dataclasses.replace(k, **changes) if k.role == role else k for k in state.role_keys
    )
    return dataclasses.replace(state, role_keys=keys)


def _with_listed(state: ObservedState, key_id: str, **changes) -> ObservedState:
    keys = tuple(
        dataclasses.replace(k, **changes) if k.key_id == key_id else k for k in state.account_keys
    )
    return dataclasses.replace(state, account_keys=keys)


def _summaries(result, check: str) -> list[str]:
    return [f.summary for f in result.check(check).findings]


@pytest.fixture(params=["dev", "prod"])
def plan(request, plans) -> StackPlan:
    return plans(request.param)


def test_plan_derived_state_is_clean(plan: StackPlan) -> None:
    result = audit(plan, observed_from_plan(plan))
    assert result.findings == ()
    assert {c.status for c in result.checks} == {Result.PASSED}
    assert result.exit_code == ExitCode.OK


def test_reader_field_names_are_b2sdks_lifecycle_fields() -> None:
    """The B2 names the audit reads and reports are the ones b2sdk's LifecycleRule declares."""
    declared = set(typing.get_type_hints(LifecycleRule)) - {"fileNamePrefix"}
    assert {b2_name for _, b2_name in LIFECYCLE_FIELDS} == declared


def test_expiry_tolerance_boundary(plans) -> None:
    plan = plans("dev")
    key = plan.key("smoke")
    seconds = key.valid_duration_seconds
    settings = AuditSettings(expiry_tolerance_seconds=600)
    state = observed_from_plan(plan)
    at_limit = _with_listed(state, "id-smoke", expires_at=NOW + timedelta(seconds=seconds + 600))
    assert audit(plan, at_limit, settings=settings).check("key.smoke.expiry").findings == ()
    beyond = _with_listed(state, "id-smoke", expires_at=NOW + timedelta(seconds=seconds + 601))
    assert (
        "outlives the plan"
        in _summaries(audit(plan, beyond, settings=settings), "key.smoke.expiry")[0]
    )


def test_key_created_long_ago_is_within_plan(plans) -> None:
    """Expiry is absolute: a key made 300 days ago expires well before now + duration."""
    plan = plans("dev")
    state = observed_from_plan(plan, created=NOW - timedelta(days=300))
    assert audit(plan, state).check("key.smoke.expiry").findings == ()


def test_expiring_soon_threshold_is_configurable(plans) -> None:
    plan = plans("dev")
    state = _with_listed(observed_from_plan(plan), "id-smoke", expires_at=NOW + timedelta(days=10))
    warned = audit(plan, state, settings=AuditSettings(expiry_warning_days=14))
    assert warned.check("key.smoke.expiry").status is Result.WARNED
    assert warned.exit_code == ExitCode.OK
    quiet = audit(plan, state, settings=AuditSettings(expiry_warning_days=9))
    assert quiet.check("key.smoke.expiry").status is Result.PASSED


def test_expired_key_is_an_error(plans) -> None:
    plan = plans("dev")
    state = _with_listed(observed_from_plan(plan), "id-smoke", expires_at=NOW - timedelta(hours=1))
    result = audit(plan, state)
    assert _summaries(result, "key.smoke.expiry") == ["key has expired"]
    assert result.exit_code == ExitCode.FAILED


def test_key_restricted_to_a_deleted_bucket(plans) -> None:
    plan = plans("dev")
    state = _with_key(observed_from_plan(plan), "app", buckets=(BucketRef("old-id", None),))
    assert "no longer exists" in _summaries(audit(plan, state), "key.app.bucket")[0]


def test_key_reaching_an_extra_bucket(plans) -> None:
    plan = plans("dev")
    refs = (BucketRef(BUCKET_ID, plan.bucket.name), BucketRef("x", "someone-elses-bucket"))
    state = _with_key(observed_from_plan(plan), "app", buckets=refs)
    assert "also reaches other buckets" in _summaries(audit(plan, state), "key.app.bucket")[0]


def test_unreadable_values_are_skipped_never_passed(plans) -> None:
    plan = plans("prod")
    state = observed_from_plan(plan)
    bucket = dataclasses.replace(
        state.bucket, encryption=Unreadable("no key"), file_lock=Unreadable("no key")
    )
    result = audit(plan, dataclasses.replace(state, bucket=bucket))
    for check in ("bucket.encryption", "bucket.file-lock", "bucket.default-retention"):
        assert result.check(check).status is Result.SKIPPED
        assert result.check(check).skipped_reason == "no key"
    unreadable = audit(plan, dataclasses.replace(state, bucket=Unreadable("nobody may list it")))
    bucket_checks = [c for c in unreadable.checks if c.check_id.startswith("bucket.")]
    assert bucket_checks
    assert all(c.status is Result.SKIPPED for c in bucket_checks)


def test_absent_bucket_fails_once_and_skips_the_rest(plans) -> None:
    plan = plans("dev")
    state = dataclasses.replace(observed_from_plan(plan), bucket=BucketAbsent("the account key"))
    result = audit(plan, state)
    assert result.check("bucket.exists").status is Result.FAILED
    others = [
        c
        for c in result.checks
        if c.check_id.startswith("bucket.") and c.check_id != "bucket.exists"
    ]
    assert all(c.status is Result.SKIPPED for c in others)


def test_retention_lengthened_and_unit_change(plans) -> None:
    plan = plans("prod")
    period = plan.object_lock.period
    state = observed_from_plan(plan)
    longer = dataclasses.replace(state.bucket.file_lock, duration=period.duration + 1)
    result = audit(
        plan, dataclasses.replace(state, bucket=dataclasses.replace(state.bucket, file_lock=longer))
    )
    assert "retention lengthened" in _summaries(result, "bucket.default-retention")[0]
    mode = "compliance" if plan.object_lock.mode == "governance" else "governance"
    other_mode = dataclasses.replace(state.bucket.file_lock, mode=mode)
    result = audit(
        plan,
        dataclasses.replace(state, bucket=dataclasses.replace(state.bucket, file_lock=other_mode)),
    )
    assert _summaries(result, "bucket.default-retention") == [
        "retention mode differs from the plan"
    ]


def test_same_days_in_other_units_is_a_warning() -> None:
    from infra.core.plan_builder import build_plan

    raw = {
        "region": "us-west-004",
        "bucket": {"name": "acme-units-test"},
        "objectLock": {"enabled": True, "mode": "governance", "years": 1},
    }
    plan = build_plan(raw, project="p", stack="s", source="test")
    state = observed_from_plan(plan)
    in_days = dataclasses.replace(state.bucket.file_lock, duration=b2.DAYS_PER_YEAR, unit="days")
    result = audit(
        plan,
        dataclasses.replace(state, bucket=dataclasses.replace(state.bucket, file_lock=in_days)),
    )
    assert result.check("bucket.default-retention").status is Result.WARNED


def test_cors_rules_compared_by_name_and_content(plans) -> None:
    from infra.core.plan_model import CorsRulePlan

    base = plans("dev")
    rule = CorsRulePlan(
        cors_rule_name="media-download",
        allowed_origins=("https://app.example.com",),
        allowed_operations=("s3_get", "s3_head"),
        allowed_headers=(),
        expose_headers=(),
        max_age_seconds=3600,
    )
    plan = base.model_copy(update={"bucket": base.bucket.model_copy(update={"cors": (rule,)})})
    state = observed_from_plan(plan)
    assert audit(plan, state).check("bucket.cors").status is Result.PASSED
    reordered = dataclasses.replace(state.bucket.cors[0], allowed_operations=("s3_head", "s3_get"))
    same = dataclasses.replace(state, bucket=dataclasses.replace(state.bucket, cors=(reordered,)))
    assert audit(plan, same).check("bucket.cors").status is Result.PASSED
    wider = dataclasses.replace(state.bucket.cors[0], allowed_origins=("*",))
    extra = dataclasses.replace(wider, cors_rule_name="debug")
    drifted = dataclasses.replace(
        state, bucket=dataclasses.replace(state.bucket, cors=(wider, extra))
    )
    summaries = _summaries(audit(plan, drifted), "bucket.cors")
    assert sorted(summaries) == [
        "CORS rule changed",
        "unplanned CORS rule: opens cross-origin access",
    ]
    gone = dataclasses.replace(state, bucket=dataclasses.replace(state.bucket, cors=()))
    assert _summaries(audit(plan, gone), "bucket.cors") == ["CORS rule missing"]


def test_bucket_info_drift_is_a_warning(plans) -> None:
    plan = plans("dev")
    state = observed_from_plan(plan)
    bucket = dataclasses.replace(state.bucket, bucket_info=())
    result = audit(plan, dataclasses.replace(state, bucket=bucket))
    assert result.check("bucket.info").status is Result.WARNED
    assert len(result.check("bucket.info").findings) == len(plan.bucket.bucket_info)
    assert result.exit_code == ExitCode.OK


def test_file_lock_on_when_planned_off_is_a_warning(plans) -> None:
    plan = plans("dev")
    assert not plan.object_lock.enabled
    state = observed_from_plan(plan)
    lock = dataclasses.replace(state.bucket.file_lock, enabled=True)
    result = audit(
        plan, dataclasses.replace(state, bucket=dataclasses.replace(state.bucket, file_lock=lock))
    )
    assert result.check("bucket.file-lock").status is Result.WARNED


def test_audit_key_itself_is_not_unmanaged(plans) -> None:
    plan = plans("dev")
    state = observed_from_plan(plan)
    auditor = ListedKey("id-auditor", "auditor", frozenset({"listKeys"}), None, None, None)
    with_auditor = dataclasses.replace(state, account_keys=(*state.account_keys, auditor))
    assert audit(plan, with_auditor).check("account.unmanaged-access").findings == ()
    other = dataclasses.replace(with_auditor, audit_key_id="someone-else")
    assert len(audit(plan, other).check("account.unmanaged-access").findings) == 1


def test_roles_limit_the_key_checks(plans) -> None:
    plan = plans("prod")
    result = audit(plan, observed_from_plan(plan), roles=["readonly"])
    key_checks = {c.check_id.split(".")[1] for c in result.checks if c.check_id.startswith("key.")}
    assert key_checks == {"readonly"}
    # the inventory still covers every planned key
    assert {c.check_id for c in result.checks if c.check_id.startswith("account.planned-key.")} == {
        f"account.planned-key.{r}" for r in plan.roles
    }
