"""A B2 account on b2sdk's in-process simulator, provisioned the way the plan describes.

Independent of the audit's reader: the plan is turned into B2 request values
here with b2sdk's own types, so a wrong field name in the reader cannot be
mirrored by the setup. Every secret is a sentinel so leaks can be searched for.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from b2sdk.v3 import (
    SSE_NONE,
    B2Api,
    B2HttpApiConfig,
    Bucket,
    BucketRetentionSetting,
    BucketSimulator,
    EncryptionAlgorithm,
    EncryptionMode,
    EncryptionSetting,
    InMemoryAccountInfo,
    RawSimulator,
    RetentionMode,
    RetentionPeriod,
)

from infra.core.plan_model import KeyPlan, StackPlan
from smoke.audit.credentials import ACCOUNT_KEY, ACCOUNT_KEY_ID, role_variables
from smoke.audit.reader import AUDITOR_CAPABILITIES

SENTINEL = "SENTINEL-SECRET-"
AUDITOR_KEY_NAME = "pixeltable-b2-auditor"
UNSET = object()


@dataclass(frozen=True)
class Issued:
    key_id: str
    secret: str


def lifecycle_rules(plan: StackPlan) -> list[dict[str, Any]]:
    """B2's lifecycleRules; unset day counts are null, as B2 returns them."""
    return [
        {
            "fileNamePrefix": rule.file_name_prefix,
            "daysFromUploadingToHiding": rule.days_from_uploading_to_hiding,
            "daysFromHidingToDeleting": rule.days_from_hiding_to_deleting,
            "daysFromStartingToCancelingUnfinishedLargeFiles": (
                rule.days_from_starting_to_canceling_unfinished_large_files
            ),
        }
        for rule in plan.lifecycle
    ]


def cors_rules(plan: StackPlan) -> list[dict[str, Any]]:
    return [
        {
            "corsRuleName": rule.cors_rule_name,
            "allowedOrigins": list(rule.allowed_origins),
            "allowedOperations": list(rule.allowed_operations),
            "allowedHeaders": list(rule.allowed_headers),
            "exposeHeaders": list(rule.expose_headers),
            "maxAgeSeconds": rule.max_age_seconds,
        }
        for rule in plan.bucket.cors
    ]


def default_retention(plan: StackPlan, days_delta: int = 0) -> BucketRetentionSetting:
    lock = plan.object_lock
    assert lock.mode is not None
    assert lock.period is not None
    period = RetentionPeriod(**{lock.period.unit: lock.period.duration + days_delta})
    return BucketRetentionSetting(RetentionMode(lock.mode), period)


class World:
    """One simulated account: the admin (master key), the bucket, the role keys."""

    def __init__(self, plan: StackPlan) -> None:
        self.plan = plan
        self.sim = RawSimulator()
        account_id, _ = self.sim.create_account()
        self.secrets: list[str] = []
        master = self._sentinel(account_id, "master")
        self.master = Issued(account_id, master)
        self.admin = self.api()
        self.admin.authorize_account(account_id, master)
        self.bucket: Bucket | None = None
        self.roles: dict[str, Issued] = {}
        self.auditor: Issued | None = None

    def api(self) -> B2Api:
        """A fresh client on this world's simulator (the audit's injected api factory)."""
        sim = self.sim
        return B2Api(
            InMemoryAccountInfo(), api_config=B2HttpApiConfig(_raw_api_class=lambda _http: sim)
        )

    def _sentinel(self, key_id: str, label: str) -> str:
        secret = f"{SENTINEL}{label}-{secrets.token_hex(8)}"
        self.sim.key_id_to_key[key_id].key = secret
        self.secrets.append(secret)
        return secret

    def create_bucket(self, name: str | None = None, *, file_lock: bool | None = None) -> Bucket:
        plan = self.plan
        encryption = plan.bucket.encryption
        bucket = self.admin.create_bucket(
            name or plan.bucket.name,
            plan.bucket.bucket_type,
            bucket_info=dict(plan.bucket.bucket_info),
            cors_rules=cors_rules(plan),
            lifecycle_rules=lifecycle_rules(plan),
            default_server_side_encryption=EncryptionSetting(
                EncryptionMode(encryption.mode), EncryptionAlgorithm(encryption.algorithm)
            )
            if encryption
            else None,
            is_file_lock_enabled=plan.object_lock.enabled if file_lock is None else file_lock,
        )
        if encryption is None:  # b2sdk refuses "none" as a bucket default; set it directly
            self.sim_bucket(bucket.name).default_server_side_encryption = SSE_NONE
        lock_on = plan.object_lock.enabled if file_lock is None else file_lock
        if lock_on and plan.object_lock.default_retention_active:
            bucket = bucket.update(
                is_file_lock_enabled=True, default_retention=default_retention(plan)
            )
        return bucket

    def sim_bucket(self, name: str | None = None) -> BucketSimulator:
        return self.sim.bucket_name_to_bucket[name or self.plan.bucket.name]

    def create_key(
        self,
        key_name: str,
        capabilities: Sequence[str],
        *,
        bucket_ids: list[str] | None,
        name_prefix: str | None = None,
        valid_duration_seconds: int | None = None,
    ) -> Issued:
        created = self.admin.create_key(
            list(capabilities),
            key_name,
            valid_duration_seconds=valid_duration_seconds,
            bucket_ids=bucket_ids,
            name_prefix=name_prefix,
        )
        return Issued(created.id_, self._sentinel(created.id_, key_name))

    def create_role_key(self, key: KeyPlan, **changes: Any) -> Issued:
        """The planned key; `changes` override one field to create drift."""
        assert self.bucket is not None
        values: dict[str, Any] = {
            "capabilities": key.capabilities,
            "bucket_ids": None if key.account_wide else [self.bucket.id_],
            "name_prefix": key.name_prefix,
            "valid_duration_seconds": key.valid_duration_seconds,
        }
        values.update(changes)
        issued = self.create_key(key.key_name, **values)
        self.roles[key.role] = issued
        return issued

    def provision(
        self,
        *,
        key_changes: Mapping[str, Mapping[str, Any]] | None = None,
        file_lock: bool | None = None,
        auditor: bool = True,
    ) -> World:
        """The whole planned state, plus an account-level auditor key."""
        self.bucket = self.create_bucket(file_lock=file_lock)
        for key in self.plan.keys:
            self.create_role_key(key, **dict((key_changes or {}).get(key.role, {})))
        if auditor:
            self.auditor = self.create_key(AUDITOR_KEY_NAME, AUDITOR_CAPABILITIES, bucket_ids=None)
        return self

    def env(self, *, account: bool = True) -> dict[str, str]:
        found = {}
        for role, issued in self.roles.items():
            id_name, key_name = role_variables(role)
            found[id_name], found[key_name] = issued.key_id, issued.secret
        if account and self.auditor is not None:
            found[ACCOUNT_KEY_ID], found[ACCOUNT_KEY] = self.auditor.key_id, self.auditor.secret
        return found
