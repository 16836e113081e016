"""The validated, immutable stack plan: the single source of truth.

The Pulumi program declares it, the local server emulates it, the smoke
suite and the audit expect it. Built only by `infra.core.plan_builder.build_plan`.
"""

from __future__ import annotations

from infra.core import b2_facts as b2
from infra.core.ci_plan_model import CiSecretsPlan
from infra.core.settings_base import PlanModel


class CorsRulePlan(PlanModel):
    cors_rule_name: str
    allowed_origins: tuple[str, ...]
    allowed_operations: tuple[str, ...]
    allowed_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age_seconds: int


class EncryptionPlan(PlanModel):
    """B2 default server-side encryption, in B2's terms."""

    mode: b2.EncryptionMode = b2.SSE_B2_MODE
    algorithm: str = b2.SSE_B2_ALGORITHM


class BucketPlan(PlanModel):
    name: str
    random_suffix: bool
    bucket_type: str  # allPrivate | allPublic
    encryption: EncryptionPlan | None
    protect: bool
    cors: tuple[CorsRulePlan, ...]
    bucket_info: tuple[tuple[str, str], ...]

    @property
    def public(self) -> bool:
        return self.bucket_type == "allPublic"

    @property
    def versioning_enabled(self) -> bool:
        """B2 keeps every version of every file: versioning is always on."""
        return True


class LifecycleRulePlan(PlanModel):
    """One lifecycle rule in B2's own field names."""

    file_name_prefix: str
    days_from_uploading_to_hiding: int | None
    days_from_hiding_to_deleting: int | None
    days_from_starting_to_canceling_unfinished_large_files: int | None


class RetentionPeriod(PlanModel):
    duration: int
    unit: str  # days | years

    @property
    def days(self) -> int:
        return self.duration * (b2.DAYS_PER_YEAR if self.unit == "years" else 1)


class ObjectLockPlan(PlanModel):
    enabled: bool
    mode: b2.LockMode | None  # None: no default retention
    period: RetentionPeriod | None

    @property
    def default_retention_active(self) -> bool:
        return self.enabled and self.mode is not None and self.period is not None


class KeyPlan(PlanModel):
    role: str
    key_name: str
    capabilities: tuple[str, ...]  # sorted
    name_prefix: str | None
    valid_duration_seconds: int | None
    rotation: int
    account_wide: bool = False  # no bucket restriction: a read-only preview or auditor key

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


class StackPlan(PlanModel):
    project: str
    stack: str
    region: str
    endpoint: str
    bucket: BucketPlan
    lifecycle: tuple[LifecycleRulePlan, ...]
    object_lock: ObjectLockPlan
    keys: tuple[KeyPlan, ...]
    ci_secrets: CiSecretsPlan
    provider_credentials_in_config: bool

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(k.role for k in self.keys)

    def key(self, role: str) -> KeyPlan:
        for key in self.keys:
            if key.role == role:
                return key
        raise KeyError(role)

    def lifecycle_rule_covering(self, object_name: str) -> LifecycleRulePlan | None:
        """The rule whose prefix matches an object name (prefixes never overlap)."""
        for rule in self.lifecycle:
            if object_name.startswith(rule.file_name_prefix):
                return rule
        return None
