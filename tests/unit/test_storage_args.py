"""The component's argument builders, called directly: plan in, resource arguments out.

No Pulumi engine or mocks: the builders are pure functions of the plan, so each declared
input of the bucket and the keys is held against the shipped dev and prod plans (and a few
variants) in milliseconds. `tests/pulumi/` runs the same arguments through the program.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.core.plan_model import StackPlan
from infra.core.stack_files import load_plan_for_stack
from tests.pulumi.pxb2_standin import ensure_pulumi_b2

ensure_pulumi_b2()

import pulumi_b2 as b2  # noqa: E402  (the generated SDK, or its stand-in)

from infra.deploy import storage  # noqa: E402

STACKS = ["dev", "prod"]
BUCKET_ID = "bkt-id-from-the-provider"


@pytest.fixture(params=STACKS)
def plan(request: pytest.FixtureRequest) -> StackPlan:
    return load_plan_for_stack(request.param)


def test_bucket_name_type_info_and_encryption(plan: StackPlan) -> None:
    args = storage.bucket_args(plan, "the-guarded-name")
    assert args["bucket_name"] == "the-guarded-name"  # the component's name, as given
    assert args["bucket_type"] == plan.bucket.bucket_type == "allPrivate"
    assert args["bucket_info"] == dict(plan.bucket.bucket_info)
    assert plan.bucket.encryption is not None
    encryption = args["default_server_side_encryption"]
    assert isinstance(encryption, b2.BucketDefaultServerSideEncryptionArgs)
    assert (encryption.mode, encryption.algorithm) == (
        plan.bucket.encryption.mode,
        plan.bucket.encryption.algorithm,
    )
    assert args["cors_rules"] is None  # the shipped stacks plan no CORS: none sent
    assert set(args) == {
        "bucket_name",
        "bucket_type",
        "bucket_info",
        "default_server_side_encryption",
        "lifecycle_rules",
        "file_lock_configurations",
        "cors_rules",
    }


def test_each_lifecycle_rule_as_planned(plan: StackPlan) -> None:
    rules = storage.bucket_args(plan, plan.bucket.name)["lifecycle_rules"]
    assert len(rules) == len(plan.lifecycle) > 0
    for planned, rule in zip(plan.lifecycle, rules, strict=True):
        assert isinstance(rule, b2.BucketLifecycleRuleArgs)
        for name, value in planned.model_dump().items():
            assert getattr(rule, name) == value, name


def test_no_lifecycle_rules_are_sent_as_none(
    base: dict[str, Any], make_plan: Callable[..., StackPlan]
) -> None:
    base.pop("lifecycle")
    assert storage.bucket_args(make_plan(base), "b")["lifecycle_rules"] is None


def test_object_lock_as_planned(plan: StackPlan) -> None:
    (config,) = storage.bucket_args(plan, plan.bucket.name)["file_lock_configurations"]
    lock = plan.object_lock
    assert config.is_file_lock_enabled is lock.enabled
    if lock.default_retention_active:
        assert lock.period is not None
        retention = config.default_retention
        assert retention.mode == lock.mode
        assert (retention.period.duration, retention.period.unit) == (
            lock.period.duration,
            lock.period.unit,
        )
    else:
        assert config.default_retention is None


def test_the_shipped_stacks_cover_both_lock_branches() -> None:
    assert not load_plan_for_stack("dev").object_lock.enabled
    assert load_plan_for_stack("prod").object_lock.default_retention_active


def test_lock_without_retention_sends_the_flag_alone(
    base: dict[str, Any], make_plan: Callable[..., StackPlan]
) -> None:
    base["objectLock"] = {"enabled": True}
    (config,) = storage.file_lock_args(make_plan(base).object_lock)
    assert config.is_file_lock_enabled is True
    assert config.default_retention is None  # left out: the provider cannot send mode none


def test_cors_rules_as_planned_with_empty_lists_left_out(
    base: dict[str, Any], make_plan: Callable[..., StackPlan]
) -> None:
    base["bucket"]["cors"] = [
        {
            "corsRuleName": "browser-reads",
            "allowedOrigins": ["https://app.example.com"],
            "allowedOperations": ["s3_get", "s3_head"],
            "exposeHeaders": ["etag"],
            "maxAgeSeconds": 600,
        }
    ]
    plan = make_plan(base)
    (planned,) = plan.bucket.cors
    (rule,) = storage.bucket_args(plan, plan.bucket.name)["cors_rules"]
    assert isinstance(rule, b2.BucketCorsRuleArgs)
    assert rule.cors_rule_name == planned.cors_rule_name
    assert rule.allowed_origins == list(planned.allowed_origins)
    assert rule.allowed_operations == list(planned.allowed_operations)
    assert rule.expose_headers == list(planned.expose_headers) != []
    assert planned.allowed_headers == ()
    assert rule.allowed_headers is None
    assert rule.max_age_seconds == planned.max_age_seconds


def test_each_key_as_planned(plan: StackPlan) -> None:
    assert any(k.account_wide for k in plan.keys)
    assert any(not k.account_wide for k in plan.keys)
    for key in plan.keys:
        args = storage.key_args(key, BUCKET_ID)
        assert args == {
            "key_name": key.key_name,
            "capabilities": list(key.capabilities),
            "bucket_ids": None if key.account_wide else [BUCKET_ID],
            "name_prefix": key.name_prefix,
            "valid_duration_in_seconds": key.valid_duration_seconds,
        }
        b2.ApplicationKeyArgs(**args)  # the SDK's own argument type accepts exactly these


def test_a_scoped_key_is_bound_to_the_bucket_it_is_given(plan: StackPlan) -> None:
    scoped = [k for k in plan.keys if not k.account_wide]
    assert [storage.key_args(k, "other")["bucket_ids"] for k in scoped] == [["other"]] * len(scoped)
