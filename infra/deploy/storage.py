"""The B2 storage component: one bucket plus one scoped application key per role.

Everything it declares comes from the stack plan (`infra.core.plan_model.StackPlan`). The
argument builders (`bucket_args`, `key_args` and their parts) are pure functions of the plan,
kept apart from the resource creation, so tests hold every declared input against the plan
without running Pulumi.

Object Lock safety: the B2 provider marks `is_file_lock_enabled` as force-new,
so changing it would make Pulumi delete and re-create the bucket. The guard
compares the plan with what the stack's bucket records and refuses, with
instructions, a lock change or a default retention the provider would silently
keep. Where the engine supports state migrations, the guard is a state-migration
callback (the engine hands it the bucket's prior state before it diffs the
bucket; it never changes the state). Where it does not (Pulumi's standard test
mocks, CLIs without the feature), the bucket ignores changes to the lock flag,
so no replacement can be planned, and the guard reads the bucket the stack
recorded (its id from the stack's own previous outputs, its live settings
through `Bucket.get`) before the bucket is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_b2 as b2
import pulumi_random as random
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import resource_pb2

from infra.core import b2_facts
from infra.core.plan_model import BucketPlan, KeyPlan, LifecycleRulePlan, ObjectLockPlan, StackPlan
from infra.core.problems import field_path

COMPONENT_TYPE = "pixeltable-b2:index:PixeltableStorage"
BUCKET_RESOURCE = "bucket"
SUFFIX_RESOURCE = "bucket-suffix"
SUFFIX_BYTES = (b2_facts.RANDOM_SUFFIX_LENGTH - 1) // 2  # "-" + 6 hex digits = 3 bytes

# Wire (checkpoint) names of the bucket's lock setting, as the provider records them.
LOCK_CONFIGS = "fileLockConfigurations"
LOCK_FLAG = "isFileLockEnabled"
DEFAULT_RETENTION = "defaultRetention"
# The fallback's belt and braces: a lock-flag diff can never plan a replacement.
LOCK_FLAG_PATH = f"{LOCK_CONFIGS}[0].{LOCK_FLAG}"
RECORDED_BUCKET_RESOURCE = "bucket-as-recorded"
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
    """SSE-B2 as planned: B2 applies it to every bucket, and provider 0.14.0 refuses `none`."""
    assert bucket.encryption is not None, "validation refuses encryption: none"
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
    """The lock flag, plus the default retention only when one is planned.

    "No default retention" is sent by leaving it out: the provider's helper cannot apply
    mode `none`. On an existing bucket that would keep B2's old retention, which the guard
    refuses (`lock_change_problem`) instead of letting it stay silently.
    """
    if not lock.default_retention_active:
        return [b2.BucketFileLockConfigurationArgs(is_file_lock_enabled=lock.enabled)]
    assert lock.mode is not None
    assert lock.period is not None
    retention = b2.BucketFileLockConfigurationDefaultRetentionArgs(
        mode=lock.mode,
        period=b2.BucketFileLockConfigurationDefaultRetentionPeriodArgs(
            duration=lock.period.duration, unit=lock.period.unit
        ),
    )
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


def bucket_args(plan: StackPlan, bucket_name: pulumi.Input[str]) -> dict[str, Any]:
    """`b2.Bucket` keyword arguments: the planned bucket under `bucket_name`."""
    return {
        "bucket_name": bucket_name,
        "bucket_type": plan.bucket.bucket_type,
        "bucket_info": bucket_info(plan.bucket),
        "default_server_side_encryption": encryption_args(plan.bucket),
        "lifecycle_rules": lifecycle_rule_args(plan.lifecycle) or None,
        "file_lock_configurations": file_lock_args(plan.object_lock),
        "cors_rules": cors_rule_args(plan.bucket) or None,
    }


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


@dataclass(frozen=True)
class RecordedLock:
    """The Object Lock settings a stack's bucket records (state or live read)."""

    enabled: bool
    retention_mode: b2_facts.LockMode | None = None  # None: no default retention


def recorded_lock_of(properties: Mapping[str, Any] | None) -> RecordedLock | None:
    """The lock settings in a bucket's properties (wire names), None when they hold none."""
    configs = _plain((_plain(properties) or {}).get(LOCK_CONFIGS))
    if not configs:
        return None
    config = _plain(configs[0]) or {}
    flag = _plain(config.get(LOCK_FLAG))
    retention = _plain(config.get(DEFAULT_RETENTION)) or {}
    mode = _plain(retention.get("mode")) or None
    return RecordedLock(
        enabled=bool(flag), retention_mode=mode if mode in b2_facts.LOCK_MODES else None
    )


def recorded_lock(resource: Mapping[str, Any]) -> RecordedLock:
    """The lock a bucket's checkpoint state records (outputs first; the provider's default: off)."""
    for section in ("outputs", "inputs"):
        found = recorded_lock_of(resource.get(section))
        if found is not None:
            return found
    return RecordedLock(enabled=False)


def recorded_lock_enabled(resource: Mapping[str, Any]) -> bool:
    return recorded_lock(resource).enabled


def _recorded_bucket_name(resource: Mapping[str, Any]) -> str:
    for section in ("outputs", "inputs"):
        properties = _plain(resource.get(section)) or {}
        name = _plain(properties.get("bucketName"))
        if name:
            return str(name)
    return str(resource.get("id") or "(unknown)")


def lock_change_problem(plan: StackPlan, recorded: RecordedLock, bucket_name: str) -> str | None:
    """Why the planned lock settings cannot be applied to the existing bucket, or None."""
    planned = plan.object_lock.enabled
    stack = plan.stack
    where = field_path("objectLock", ("enabled",))
    refresh_then_up = (
        f"then run `pulumi refresh --stack {stack}` so the state records it, then "
        f"`pulumi up --stack {stack}` again"
    )
    if planned and not recorded.enabled:
        return (
            f"{where} = true: bucket {bucket_name!r} already exists in stack {stack!r} "
            "without Object Lock, and the B2 provider can only add it by deleting and "
            "re-creating the bucket, which this program refuses to plan. Fix: enable Object "
            "Lock on the existing bucket in B2 (the web console's bucket settings, or the "
            f"b2_update_bucket API with fileLockEnabled=true), {refresh_then_up}. "
            "B2 can never turn Object Lock off again."
        )
    if recorded.enabled and not planned:
        return (
            f"{where} = false: bucket {bucket_name!r} in stack {stack!r} has Object Lock "
            "enabled, and B2 can never turn it off; the only way would be to delete and "
            "re-create the bucket with all its data, which this program refuses. Fix: set "
            "objectLock enabled: true again."
        )
    if planned and recorded.retention_mode and not plan.object_lock.default_retention_active:
        return (
            f"{field_path('objectLock', ('mode',))}: the plan has no default retention, but "
            f"bucket {bucket_name!r} in stack {stack!r} has a default {recorded.retention_mode} "
            "retention, and the B2 provider cannot remove one (it sends nothing, so B2 would "
            "keep it). Fix: turn the default retention off in B2 (the web console's Object Lock "
            "settings, or b2_update_bucket with a defaultRetention whose mode is null), "
            f"{refresh_then_up}; or put mode and days/years back into objectLock."
        )
    return None


def lock_guard(plan: StackPlan) -> pulumi.StateMigration:
    """A no-op state migration that refuses lock changes on an existing bucket."""

    def guard(args: pulumi.StateMigrationArgs) -> None:
        own = args.old_state[0]  # the engine passes the bucket itself first
        problem = lock_change_problem(plan, recorded_lock(own), _recorded_bucket_name(own))
        if problem is not None:
            raise ObjectLockChangeRefused(problem)
        return None  # the state stays as it is

    return guard


def engine_supports_state_migrations() -> bool:
    """Does the resource monitor (engine, or test mocks) run state-migration callbacks?"""
    return runtime_settings.monitor_supports_feature(
        resource_pb2.RESOURCE_MONITOR_FEATURE_STATE_MIGRATIONS
    )


def _check_recorded(plan: StackPlan, bucket: Mapping[str, Any]) -> None:
    """Refuses the plan when the bucket read back (wire names) does not allow it."""
    name = str(_plain(bucket.get("bucketName")) or bucket.get("bucketId") or "(unknown)")
    problem = lock_change_problem(plan, recorded_lock_of(bucket) or RecordedLock(False), name)
    if problem is not None:
        raise ObjectLockChangeRefused(problem)


def recorded_bucket_guard(
    plan: StackPlan, parent: pulumi.Resource, provider: pulumi.ProviderResource | None
) -> pulumi.Output[None]:
    """The guard without state migrations: resolves once the recorded bucket allows the plan.

    The stack's own previous outputs say whether it holds a bucket (`bucketId`); its live
    settings are read with `Bucket.get`, so a lock enabled in B2 and refreshed is seen.
    """
    from infra.deploy import program

    own = pulumi.StackReference(
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    bucket_id = own.outputs.apply(lambda outputs: (outputs or {}).get(program.BUCKET_ID))

    def read(found_id: str | None) -> pulumi.Output[None] | None:
        if not found_id:
            return None  # a new stack: nothing recorded, nothing to guard
        recorded = b2.Bucket.get(
            RECORDED_BUCKET_RESOURCE,
            found_id,
            opts=pulumi.ResourceOptions(parent=parent, provider=provider),
        )
        properties = pulumi.Output.all(
            bucketId=found_id,
            bucketName=recorded.bucket_name,
            fileLockConfigurations=recorded.file_lock_configurations,
        )
        return properties.apply(lambda values: _check_recorded(plan, _wire_lock(values)))

    return bucket_id.apply(read)


def _wire_lock(values: Mapping[str, Any]) -> dict[str, Any]:
    """`Bucket.get` outputs (Python names inside nested values) in the provider's wire names."""
    configs = []
    for config in values.get("fileLockConfigurations") or []:
        config = _plain(config) or {}
        retention = config.get("default_retention", config.get(DEFAULT_RETENTION))
        configs.append(
            {
                LOCK_FLAG: config.get("is_file_lock_enabled", config.get(LOCK_FLAG)),
                DEFAULT_RETENTION: retention,
            }
        )
    return {**values, LOCK_CONFIGS: configs}


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
        # The Object Lock guard: a state migration where the engine runs them, else a read of
        # the recorded bucket that must pass before the bucket is declared.
        self.guarded_by_state_migration = engine_supports_state_migrations()
        guard_opts: dict[str, Any] = {"state_migrations": [lock_guard(plan)]}
        checks: list[pulumi.Input[Any]] = [self.s3_endpoint]
        if not self.guarded_by_state_migration:
            guard_opts = {"ignore_changes": [LOCK_FLAG_PATH]}
            checks.append(recorded_bucket_guard(plan, self, provider))
        # The bucket waits for the region and lock checks: a refusal creates nothing.
        bucket_name = pulumi.Output.all(base_name, *checks).apply(lambda v: v[0])

        self.bucket = b2.Bucket(
            BUCKET_RESOURCE,
            **bucket_args(plan, bucket_name),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                protect=plan.bucket.protect,
                **guard_opts,
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
