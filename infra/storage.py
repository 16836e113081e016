"""The B2 storage component: one bucket plus one scoped application key per role.

Everything it declares comes from the stack plan (`infra.plan.StackPlan`). The
argument builders are pure functions of the plan so tests can hold every
declared input against the plan.

Object Lock safety: the B2 provider marks `is_file_lock_enabled` as
force-new, so changing it would make Pulumi delete and re-create the bucket.
The bucket therefore carries a state-migration callback (`lock_guard`): the
engine hands it the bucket's prior state, in previews and updates alike,
before it diffs the bucket, and only when the stack already holds the bucket.
The callback never changes the state; it refuses, with instructions, any
plan whose lock setting differs from the recorded one, so no lock-driven
replacement can be planned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_b2 as b2
import pulumi_random as random

from infra import b2_facts
from infra.plan import BucketPlan, KeyPlan, LifecycleRulePlan, ObjectLockPlan, StackPlan
from infra.problems import field_path

COMPONENT_TYPE = "pixeltable-b2:index:PixeltableStorage"
BUCKET_RESOURCE = "bucket"
SUFFIX_RESOURCE = "bucket-suffix"
SUFFIX_BYTES = (b2_facts.RANDOM_SUFFIX_LENGTH - 1) // 2  # "-" + 6 hex digits = 3 bytes

# Wire (checkpoint) names of the bucket's lock setting, as the provider records them.
LOCK_CONFIGS = "fileLockConfigurations"
LOCK_FLAG = "isFileLockEnabled"
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 (Pulumi's secret marker, not a secret)
_S3_URL = re.compile(r"^https://s3\.(?P<region>[a-z0-9-]+)\.backblazeb2\.com/?$")


class ObjectLockChangeRefused(pulumi.RunError):
    """Object Lock can only change on an existing bucket by replacing it: refused."""


class RegionMismatch(pulumi.RunError):
    """The configured region is not the deploying account's region."""


# --- Arguments, built from the plan (pure) -------------------------------------------------


def bucket_info(bucket: BucketPlan) -> dict[str, str]:
    return dict(bucket.bucket_info)


def encryption_args(bucket: BucketPlan) -> b2.BucketDefaultServerSideEncryptionArgs:
    """SSE-B2 as planned, or an explicit `none` so a previous setting is really turned off."""
    if bucket.encryption is None:
        return b2.BucketDefaultServerSideEncryptionArgs(mode="none")
    return b2.BucketDefaultServerSideEncryptionArgs(
        mode=bucket.encryption.mode, algorithm=bucket.encryption.algorithm
    )


def lifecycle_rule_args(rules: tuple[LifecycleRulePlan, ...]) -> list[b2.BucketLifecycleRuleArgs]:
    return [
        b2.BucketLifecycleRuleArgs(
            file_name_prefix=rule.file_name_prefix,
            days_from_uploading_to_hiding=rule.days_from_uploading_to_hiding,
            days_from_hiding_to_deleting=rule.days_from_hiding_to_deleting,
            days_from_starting_to_canceling_unfinished_large_files=(
                rule.days_from_starting_to_canceling_unfinished_large_files
            ),
        )
        for rule in rules
    ]


def file_lock_args(lock: ObjectLockPlan) -> list[b2.BucketFileLockConfigurationArgs]:
    """Always explicit: the provider drops an omitted default retention silently."""
    if not lock.enabled:
        return [b2.BucketFileLockConfigurationArgs(is_file_lock_enabled=False)]
    if lock.default_retention_active:
        assert lock.mode is not None
        assert lock.period is not None
        retention = b2.BucketFileLockConfigurationDefaultRetentionArgs(
            mode=lock.mode,
            period=b2.BucketFileLockConfigurationDefaultRetentionPeriodArgs(
                duration=lock.period.duration, unit=lock.period.unit
            ),
        )
    else:
        retention = b2.BucketFileLockConfigurationDefaultRetentionArgs(mode="none")
    return [
        b2.BucketFileLockConfigurationArgs(is_file_lock_enabled=True, default_retention=retention)
    ]


def cors_rule_args(bucket: BucketPlan) -> list[b2.BucketCorsRuleArgs]:
    return [
        b2.BucketCorsRuleArgs(
            cors_rule_name=rule.cors_rule_name,
            allowed_origins=list(rule.allowed_origins),
            allowed_operations=list(rule.allowed_operations),
            allowed_headers=list(rule.allowed_headers) or None,
            expose_headers=list(rule.expose_headers) or None,
            max_age_seconds=rule.max_age_seconds,
        )
        for rule in bucket.cors
    ]


def key_args(key: KeyPlan, bucket_id: pulumi.Input[str]) -> dict[str, Any]:
    """`b2.ApplicationKey` keyword arguments: scoped to the one bucket unless account-wide."""
    return {
        "key_name": key.key_name,
        "capabilities": list(key.capabilities),
        "bucket_ids": None if key.account_wide else [bucket_id],
        "name_prefix": key.name_prefix,
        "valid_duration_in_seconds": key.valid_duration_seconds,
    }


# --- Region check (pure) -------------------------------------------------------------------


def verified_endpoint(plan: StackPlan, account_s3_url: str) -> str:
    """The planned S3 endpoint, once the deploying account is known to live in that region."""
    if account_s3_url.rstrip("/").lower() == plan.endpoint.lower():
        return plan.endpoint
    match = _S3_URL.match(account_s3_url.strip())
    fix = (
        f"set {field_path('region')} to {match['region']}"
        if match
        else f"set {field_path('region')} to your account's region"
    )
    raise RegionMismatch(
        f"{field_path('region')} = {plan.region!r}: the B2 account of the deploying key serves "
        f"S3 at {account_s3_url}, not {plan.endpoint}, so the stack's outputs would point "
        f"clients at the wrong endpoint. Fix: {fix} (or deploy with a key of the intended "
        "account)."
    )


# --- Object Lock guard -----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A checkpoint value with Pulumi's secret envelope removed."""
    if isinstance(value, Mapping) and _SECRET_SIG_KEY in value:
        plaintext = value.get("plaintext")
        return json.loads(plaintext) if isinstance(plaintext, str) else value.get("value")
    return value


def recorded_lock_enabled(resource: Mapping[str, Any]) -> bool:
    """The lock flag a bucket's checkpoint state records (the provider's default is off)."""
    for section in ("outputs", "inputs"):
        properties = _plain(resource.get(section)) or {}
        configs = _plain(properties.get(LOCK_CONFIGS))
        if configs:
            flag = _plain(_plain(configs[0]).get(LOCK_FLAG))
            if flag is not None:
                return bool(flag)
    return False


def _recorded_bucket_name(resource: Mapping[str, Any]) -> str:
    for section in ("outputs", "inputs"):
        properties = _plain(resource.get(section)) or {}
        name = _plain(properties.get("bucketName"))
        if name:
            return str(name)
    return str(resource.get("id") or "(unknown)")


def lock_change_problem(plan: StackPlan, recorded: bool, bucket_name: str) -> str | None:
    """Why the planned lock setting cannot be applied to the existing bucket, or None."""
    planned = plan.object_lock.enabled
    if planned == recorded:
        return None
    where = field_path("objectLock", ("enabled",))
    stack = plan.stack
    if planned:
        return (
            f"{where} = true: bucket {bucket_name!r} already exists in stack {stack!r} "
            "without Object Lock, and the B2 provider can only add it by deleting and "
            "re-creating the bucket, which this program refuses to plan. Fix: enable Object "
            "Lock on the existing bucket in B2 (the web console's bucket settings, or the "
            "b2_update_bucket API with fileLockEnabled=true), then run "
            f"`pulumi refresh --stack {stack}` so the state records it, then "
            f"`pulumi up --stack {stack}` again. B2 can never turn Object Lock off again."
        )
    return (
        f"{where} = false: bucket {bucket_name!r} in stack {stack!r} has Object Lock enabled, "
        "and B2 can never turn it off; the only way would be to delete and re-create the "
        "bucket with all its data, which this program refuses. Fix: set objectLock "
        "enabled: true again (to stop applying a default retention, leave out mode and "
        "days/years)."
    )


def lock_guard(plan: StackPlan) -> pulumi.StateMigration:
    """A no-op state migration that refuses lock changes on an existing bucket."""

    def guard(args: pulumi.StateMigrationArgs) -> None:
        own = args.old_state[0]  # the engine passes the bucket itself first
        problem = lock_change_problem(plan, recorded_lock_enabled(own), _recorded_bucket_name(own))
        if problem is not None:
            raise ObjectLockChangeRefused(problem)
        return None  # the state stays as it is

    return guard


# --- The component ----------------------------------------------------------------------------


class PixeltableStorage(pulumi.ComponentResource):
    """A private B2 bucket for Pixeltable media and one least-privilege key per role.

    `bucket` and `keys` (role -> `b2.ApplicationKey`) are public so that other
    parts of the program (CI secrets) can consume them.
    """

    bucket: b2.Bucket
    keys: Mapping[str, b2.ApplicationKey]
    suffix: random.RandomId | None
    s3_endpoint: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        plan: StackPlan,
        *,
        provider: pulumi.ProviderResource | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.plan = plan

        account = b2.get_account_info_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)
        )
        self.s3_endpoint = account.s3_api_url.apply(lambda url: verified_endpoint(plan, url))

        self.suffix = None
        base_name: pulumi.Input[str] = plan.bucket.name
        if plan.bucket.random_suffix:
            # Generated once and kept in state, so the name is stable across updates.
            self.suffix = random.RandomId(
                SUFFIX_RESOURCE,
                byte_length=SUFFIX_BYTES,
                opts=pulumi.ResourceOptions(parent=self, protect=plan.bucket.protect),
            )
            base_name = pulumi.Output.concat(plan.bucket.name, "-", self.suffix.hex)
        # The bucket waits for the region check: a wrong region stops before anything is created.
        bucket_name = pulumi.Output.all(self.s3_endpoint, base_name).apply(lambda v: v[1])

        self.bucket = b2.Bucket(
            BUCKET_RESOURCE,
            bucket_name=bucket_name,
            bucket_type=plan.bucket.bucket_type,
            bucket_info=bucket_info(plan.bucket),
            default_server_side_encryption=encryption_args(plan.bucket),
            lifecycle_rules=lifecycle_rule_args(plan.lifecycle) or None,
            file_lock_configurations=file_lock_args(plan.object_lock),
            cors_rules=cors_rule_args(plan.bucket) or None,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                protect=plan.bucket.protect,
                state_migrations=[lock_guard(plan)],
            ),
        )

        # Every key input forces a new key; replacement is create-before-delete (the default),
        # so consumers can move to the new key before the old one is deleted. Every key waits for
        # the bucket (an account-wide key has no bucket input): a refused bucket creates no key.
        self.keys = {
            key.role: b2.ApplicationKey(
                f"{key.role}-key",
                **key_args(key, self.bucket.bucket_id),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=provider,
                    replace_on_changes=["*"],
                    depends_on=[self.bucket],
                ),
            )
            for key in plan.keys
        }

        self.register_outputs(
            {
                "bucketName": self.bucket.bucket_name,
                "bucketId": self.bucket.bucket_id,
                "s3Endpoint": self.s3_endpoint,
                "keyIds": {role: key.application_key_id for role, key in self.keys.items()},
            }
        )
