"""Pydantic models of a stack's raw `pixeltable-b2:` configuration.

Only rules that look at one field live here; rules that relate sections
(key names, lock mode versus bypassGovernance) live in `infra.core.plan_builder`.
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticKnownError

from infra.core import b2_facts as b2
from infra.core.ci_stack_settings import CiSecretsConfig
from infra.core.settings_base import ConfigModel, rule_error


class CorsRuleConfig(ConfigModel):
    cors_rule_name: str
    allowed_origins: list[str] = Field(min_length=1)
    allowed_operations: list[str] = Field(min_length=1)
    allowed_headers: list[str] = []
    expose_headers: list[str] = []
    max_age_seconds: int = Field(default=3600, ge=0, le=86_400)

    @field_validator("allowed_operations")
    @classmethod
    def _known_operations(cls, operations: list[str]) -> list[str]:
        unknown = [op for op in operations if op not in b2.CORS_OPERATIONS]
        if unknown:
            raise rule_error(
                f"{', '.join(unknown)} is not a B2 CORS operation",
                f"use only {', '.join(b2.CORS_OPERATIONS)}",
            )
        return operations


class BucketConfig(ConfigModel):
    name: str
    random_suffix: bool = False
    public: bool = False
    encryption: b2.EncryptionMode = b2.SSE_B2_MODE
    protect: bool = False
    cors: list[CorsRuleConfig] = []

    @field_validator("encryption", mode="before")
    @classmethod
    def _sse_b2_only(cls, mode: object) -> object:
        """Before the type check, so another mode gets B2's reason rather than a bare refusal."""
        if not isinstance(mode, str):
            raise PydanticKnownError("string_type")
        if mode != b2.SSE_B2_MODE:
            raise rule_error(
                f"B2 applies {b2.SSE_B2_MODE} to every bucket, existing ones included, and no "
                "longer accepts another default (the B2 provider refuses 'none' from 0.14.0, "
                "b2sdk from 2.13)",
                f"write encryption: {b2.SSE_B2_MODE}, or leave the setting out",
            )
        return mode

    @field_validator("name")
    @classmethod
    def _b2_bucket_name(cls, name: str) -> str:
        if not b2.BUCKET_NAME_PATTERN.fullmatch(name):
            raise rule_error(
                f"B2 bucket names are {b2.BUCKET_NAME_MIN} to {b2.BUCKET_NAME_MAX} characters "
                "of letters, digits and '-' (this one has "
                f"{len(name)} characters)",
                "rename it, for example 'acme-pxt-media-dev'",
            )
        if name.lower().startswith(b2.RESERVED_BUCKET_PREFIX):
            raise rule_error(
                "B2 reserves bucket names starting with 'b2-'",
                "choose a name that does not start with 'b2-'",
            )
        return name


class LifecycleRuleConfig(ConfigModel):
    prefix: str
    hide_after_days: int | None = None
    delete_hidden_after_days: int | None = None
    cancel_unfinished_large_files_after_days: int | None = None
    allow_whole_bucket_expiry: bool = False

    @field_validator(
        "hide_after_days", "delete_hidden_after_days", "cancel_unfinished_large_files_after_days"
    )
    @classmethod
    def _positive_days(cls, days: int | None) -> int | None:
        if days is not None and days < 1:
            raise rule_error(
                "B2 refuses a day count of 0 or below",
                "use a whole number of days from 1 up, or remove the field",
            )
        return days


class ObjectLockConfig(ConfigModel):
    enabled: bool = False
    mode: b2.LockMode | None = None
    days: int | None = None
    years: int | None = None


class KeyConfig(ConfigModel):
    # Declared first: the capability and prefix rules below read it.
    account_wide: bool = False
    capabilities: list[str] = Field(min_length=1)
    name_prefix: str | None = None
    valid_days: int | None = None
    rotation: int = Field(default=0, ge=0)
    allow_list_all_bucket_names: bool = False

    @field_validator("capabilities")
    @classmethod
    def _known_bucket_capabilities(cls, capabilities: list[str], info: ValidationInfo) -> list[str]:
        unknown = [c for c in capabilities if c not in b2.CAPABILITIES]
        if unknown:
            raise rule_error(
                f"{', '.join(unknown)} is not a B2 capability",
                "use B2's capability names (case matters), for example listFiles, "
                "readFiles, writeFiles, deleteFiles",
            )
        if info.data.get("account_wide") is True:
            beyond = sorted(set(capabilities) - b2.ACCOUNT_READ_CAPABILITIES)
            if beyond:
                raise rule_error(
                    f"an account-wide key reaches every bucket and key of the account, so it "
                    f"may only read settings; {', '.join(beyond)} goes beyond that",
                    f"remove {', '.join(beyond)}, or remove accountWide to scope the key to "
                    "the stack's bucket; account-wide keys may hold "
                    f"{', '.join(sorted(b2.ACCOUNT_READ_CAPABILITIES))}",
                )
            return capabilities
        account = sorted(set(capabilities) & b2.ACCOUNT_LEVEL_CAPABILITIES)
        if account:
            readable = sorted(set(account) & b2.ACCOUNT_READ_CAPABILITIES)
            read_only = (
                f"; a read-only key that must {', '.join(readable)} (a preview or auditor "
                "key) needs accountWide: true"
                if readable
                else ""
            )
            raise rule_error(
                f"{', '.join(account)} act on the whole account and cannot be held "
                "by a bucket-scoped key",
                f"remove {', '.join(account)}; manage keys and buckets with the "
                f"deployer's own credentials instead{read_only}",
            )
        return capabilities

    @field_validator("name_prefix")
    @classmethod
    def _prefix_ends_with_slash(cls, prefix: str | None, info: ValidationInfo) -> str | None:
        if prefix is not None and info.data.get("account_wide") is True:
            raise rule_error(
                "B2 applies a name prefix only to a key restricted to a bucket",
                "remove namePrefix from this account-wide key, or remove accountWide",
            )
        if prefix == "":
            raise rule_error(
                "an empty name prefix restricts nothing",
                "remove namePrefix for a whole-bucket key, or give a prefix such as 'media/'",
            )
        if prefix is not None and not prefix.endswith("/"):
            raise rule_error(
                "B2 matches key name prefixes as plain text, so 'media' also grants "
                "'media-private/...'",
                f"end the prefix with '/', for example {prefix + '/'!r}",
            )
        if prefix is not None and prefix.startswith("/"):
            raise rule_error("object names in B2 do not start with '/'", "drop the leading '/'")
        return prefix

    @field_validator("valid_days")
    @classmethod
    def _valid_days_range(cls, days: int | None) -> int | None:
        if days is not None and not b2.KEY_VALID_DAYS_MIN <= days <= b2.KEY_VALID_DAYS_MAX:
            raise rule_error(
                f"B2 keys can be valid for {b2.KEY_VALID_DAYS_MIN} to {b2.KEY_VALID_DAYS_MAX} days",
                "use a number of days in that range, or remove validDays for a key "
                "that does not expire",
            )
        return days


SECTION_MODELS: dict[str, object] = {
    "region": str,
    "bucket": BucketConfig,
    "lifecycle": list[LifecycleRuleConfig],
    "objectLock": ObjectLockConfig,
    "keys": dict[str, KeyConfig],
    "ciSecrets": CiSecretsConfig,
}
REQUIRED_SECTIONS: tuple[str, ...] = ("region", "bucket")
