"""What the plan derives from a config: B2's own terms, names and settings, never the caller's."""

from __future__ import annotations

import pydantic
import pytest

from infra.core.plan_model import EncryptionPlan, LifecycleRulePlan, RetentionPeriod, StackPlan
from infra.core.problems import PlanError
from infra.core.stack_files import load_plan_for_stack


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        ("us-west-004", "https://s3.us-west-004.backblazeb2.com"),
        ("eu-central-003", "https://s3.eu-central-003.backblazeb2.com"),
        ("us-east-005", "https://s3.us-east-005.backblazeb2.com"),
    ],
)
def test_endpoint_is_derived_from_the_region(make_plan, base, region, endpoint):
    base["region"] = region
    plan = make_plan(base)
    assert plan.region == region
    assert plan.endpoint == endpoint


def test_endpoint_cannot_be_given_by_the_caller(make_plan, base):
    base["endpoint"] = "https://s3.example.com"
    with pytest.raises(PlanError, match="endpoint"):
        make_plan(base)


def test_key_names_are_project_stack_role(make_plan, base):
    plan = make_plan(base, stack="staging")
    assert plan.project == "pixeltable-b2"
    assert [k.key_name for k in plan.keys] == [
        "pixeltable-b2-staging-app",
        "pixeltable-b2-staging-smoke",
    ]
    assert all(k.rotation == 0 for k in plan.keys)


@pytest.mark.parametrize(("rotation", "suffix"), [(0, ""), (1, "-r1"), (2, "-r2"), (17, "-r17")])
def test_rotation_counter_suffixes_the_key_name(make_plan, base, rotation, suffix):
    base["keys"]["app"]["rotation"] = rotation
    key = make_plan(base).key("app")
    assert key.key_name == "pixeltable-b2-test-app" + suffix
    assert key.rotation == rotation


def test_key_names_cannot_be_given_by_the_caller(make_plan, base):
    base["keys"]["app"]["keyName"] = "my-own-name"
    with pytest.raises(PlanError, match=r"keys\.app\.keyName"):
        make_plan(base)


def test_shipped_key_names_follow_the_pattern():
    for stack in ("dev", "prod"):
        plan = load_plan_for_stack(stack)
        for key in plan.keys:
            suffix = f"-r{key.rotation}" if key.rotation else ""
            assert key.key_name == f"{plan.project}-{stack}-{key.role}{suffix}"


def test_lifecycle_rules_in_b2_terms(make_plan, base):
    base["lifecycle"] = [
        {"prefix": "tmp/", "hideAfterDays": 2, "deleteHiddenAfterDays": 3},
        {"prefix": "media/", "cancelUnfinishedLargeFilesAfterDays": 4},
        {"prefix": "logs/", "deleteHiddenAfterDays": 5, "cancelUnfinishedLargeFilesAfterDays": 6},
    ]
    plan = make_plan(base)
    assert plan.lifecycle == (
        LifecycleRulePlan(
            file_name_prefix="tmp/",
            days_from_uploading_to_hiding=2,
            days_from_hiding_to_deleting=3,
            days_from_starting_to_canceling_unfinished_large_files=None,
        ),
        LifecycleRulePlan(
            file_name_prefix="media/",
            days_from_uploading_to_hiding=None,
            days_from_hiding_to_deleting=None,
            days_from_starting_to_canceling_unfinished_large_files=4,
        ),
        LifecycleRulePlan(
            file_name_prefix="logs/",
            days_from_uploading_to_hiding=None,
            days_from_hiding_to_deleting=5,
            days_from_starting_to_canceling_unfinished_large_files=6,
        ),
    )
    assert plan.lifecycle_rule_covering("media/cat.jpg") == plan.lifecycle[1]
    assert plan.lifecycle_rule_covering("logs/x") == plan.lifecycle[2]
    assert plan.lifecycle_rule_covering("other/x") is None


def test_whole_bucket_rule_keeps_its_empty_prefix(make_plan, base):
    base["lifecycle"] = [{"prefix": "", "hideAfterDays": 9, "allowWholeBucketExpiry": True}]
    [rule] = make_plan(base).lifecycle
    assert rule.file_name_prefix == ""
    assert rule.days_from_uploading_to_hiding == 9
    assert "allow_whole_bucket_expiry" not in rule.model_dump(), "an opt-in, not a B2 field"


def test_no_lifecycle_section_means_no_rules(make_plan, base):
    del base["lifecycle"]
    assert make_plan(base).lifecycle == ()


@pytest.mark.parametrize(
    ("period", "duration", "unit", "days"),
    [
        ({"days": 30}, 30, "days", 30),
        ({"days": 3000}, 3000, "days", 3000),
        ({"years": 1}, 1, "years", 365),
        ({"years": 8}, 8, "years", 2920),
    ],
)
def test_lock_period_keeps_its_unit_and_converts_to_days(
    make_plan, base, period, duration, unit, days
):
    base["objectLock"] = {"enabled": True, "mode": "compliance", **period}
    lock = make_plan(base).object_lock
    assert lock.enabled is True
    assert lock.mode == "compliance"
    assert lock.period == RetentionPeriod(duration=duration, unit=unit)
    assert lock.period.days == days
    assert lock.default_retention_active is True


def test_lock_enabled_without_default_retention(make_plan, base):
    base["objectLock"] = {"enabled": True}
    lock = make_plan(base).object_lock
    assert (lock.enabled, lock.mode, lock.period) == (True, None, None)
    assert lock.default_retention_active is False


@pytest.mark.parametrize("section", [None, {"enabled": False}, {}])
def test_lock_off(make_plan, base, section):
    if section is None:
        del base["objectLock"]
    else:
        base["objectLock"] = section
    lock = make_plan(base).object_lock
    assert (lock.enabled, lock.mode, lock.period) == (False, None, None)
    assert lock.default_retention_active is False


def test_encryption_sse_b2_is_the_default(make_plan, base):
    del base["bucket"]["encryption"]
    encryption = make_plan(base).bucket.encryption
    assert encryption == EncryptionPlan(mode="SSE-B2", algorithm="AES256")


def test_encryption_sse_b2_explicit(make_plan, base):
    base["bucket"]["encryption"] = "SSE-B2"
    encryption = make_plan(base).bucket.encryption
    assert (encryption.mode, encryption.algorithm) == ("SSE-B2", "AES256")


def test_encryption_none_is_refused_with_the_reason(make_plan, base):
    """B2 applies SSE-B2 to every bucket; provider 0.14.0 and b2sdk 2.13 refuse `none`."""
    base["bucket"]["encryption"] = "none"
    with pytest.raises(PlanError) as caught:
        make_plan(base)
    message = caught.value.render()
    assert "pixeltable-b2:bucket.encryption = 'none'" in message
    assert "B2 applies SSE-B2 to every bucket" in message
    assert "Fix: write encryption: SSE-B2, or leave the setting out" in message


def test_deployer_capabilities_follow_the_plan(make_plan, base):
    from infra.core.deployer import deployer_capabilities

    base.pop("objectLock", None)
    unlocked = {c.name for c in deployer_capabilities(make_plan(base))}
    assert {"writeBuckets", "writeKeys", "writeBucketEncryption"} <= unlocked
    assert "writeBucketRetentions" not in unlocked
    base["objectLock"] = {"enabled": True}
    locked = {c.name for c in deployer_capabilities(make_plan(base))}
    assert locked - unlocked == {"writeBucketRetentions", "readBucketRetentions"}


def test_encryption_unknown_mode_refused(make_plan, base):
    base["bucket"]["encryption"] = "SSE-C"
    with pytest.raises(PlanError, match=r"bucket\.encryption"):
        make_plan(base)


@pytest.mark.parametrize(
    ("public", "bucket_type"), [(None, "allPrivate"), (False, "allPrivate"), (True, "allPublic")]
)
def test_bucket_type(make_plan, base, public, bucket_type):
    if public is None:
        del base["bucket"]["public"]
    else:
        base["bucket"]["public"] = public
    bucket = make_plan(base).bucket
    assert bucket.bucket_type == bucket_type
    assert bucket.public is (bucket_type == "allPublic")
    assert bucket.versioning_enabled is True


def test_bucket_flags_pass_through(make_plan, base):
    base["bucket"].update(protect=True, randomSuffix=True)
    bucket = make_plan(base).bucket
    assert bucket.name == "acme-pxt-media-test"
    assert bucket.protect is True
    assert bucket.random_suffix is True


def test_bucket_defaults(make_plan, base):
    base["bucket"] = {"name": "acme-pxt-media-test"}
    bucket = make_plan(base).bucket
    assert (bucket.protect, bucket.random_suffix, bucket.cors) == (False, False, ())


def test_bucket_info_tags_project_and_stack(make_plan, base):
    plan = make_plan(base, stack="qa")
    assert dict(plan.bucket.bucket_info) == {
        "managed-by": "pulumi",
        "project": "pixeltable-b2",
        "stack": "qa",
    }


def test_capabilities_sorted_and_deduplicated(make_plan, base):
    base["keys"]["app"]["capabilities"] = [
        "writeFiles",
        "listFiles",
        "writeFiles",
        "deleteFiles",
        "listFiles",
    ]
    key = make_plan(base).key("app")
    assert key.capabilities == ("deleteFiles", "listFiles", "writeFiles")
    assert key.can("deleteFiles")
    assert not key.can("readFiles")


@pytest.mark.parametrize(
    ("days", "seconds"), [(None, None), (1, 86_400), (30, 2_592_000), (999, 86_313_600)]
)
def test_valid_duration_seconds(make_plan, base, days, seconds):
    if days is None:
        base["keys"]["smoke"].pop("validDays", None)
    else:
        base["keys"]["smoke"]["validDays"] = days
    assert make_plan(base).key("smoke").valid_duration_seconds == seconds


def test_name_prefix_passes_through(make_plan, base):
    del base["keys"]["smoke"]["namePrefix"]
    plan = make_plan(base)
    assert plan.key("app").name_prefix == "media/"
    assert plan.key("smoke").name_prefix is None


def test_roles_keep_config_order_and_unknown_role_is_a_key_error(make_plan, base):
    base["keys"] = {
        "zeta": {"capabilities": ["listFiles"]},
        "alpha": {"capabilities": ["listFiles"]},
    }
    plan = make_plan(base)
    assert plan.roles == ("zeta", "alpha")
    with pytest.raises(KeyError):
        plan.key("beta")


def test_no_keys_section_means_no_keys(make_plan, base):
    del base["keys"]
    assert make_plan(base).keys == ()


@pytest.mark.parametrize(
    "assign",
    [
        lambda plan: setattr(plan, "stack", "other"),
        lambda plan: setattr(plan, "endpoint", "https://example.com"),
        lambda plan: setattr(plan.bucket, "name", "other-bucket"),
        lambda plan: setattr(plan.bucket, "bucket_type", "allPublic"),
        lambda plan: setattr(plan.object_lock, "mode", None),
        lambda plan: setattr(plan.lifecycle[0], "file_name_prefix", ""),
        lambda plan: setattr(plan.keys[0], "capabilities", ("writeKeys",)),
        lambda plan: setattr(plan.keys[0], "name_prefix", None),
    ],
    ids=[
        "stack",
        "endpoint",
        "bucket-name",
        "bucket-type",
        "lock-mode",
        "lifecycle-prefix",
        "key-capabilities",
        "key-prefix",
    ],
)
def test_plan_is_immutable(make_plan, base, assign):
    plan = make_plan(base)
    before = plan.model_dump()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        assign(plan)
    assert plan.model_dump() == before


def test_plan_collections_are_tuples(make_plan, base):
    plan = make_plan(base)
    for collection in (plan.lifecycle, plan.keys, plan.keys[0].capabilities, plan.bucket.cors):
        assert isinstance(collection, tuple)
    with pytest.raises(AttributeError):
        plan.keys.append(plan.keys[0])  # type: ignore[attr-defined]


def test_plan_is_hashable_and_round_trips_through_json(make_plan, base):
    plan = make_plan(base)
    assert hash(plan) == hash(make_plan(base))
    assert StackPlan.model_validate_json(plan.model_dump_json()) == plan


def test_provider_credentials_flag_is_off_for_a_plain_config(make_plan, base):
    assert make_plan(base).provider_credentials_in_config is False
