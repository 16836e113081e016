"""Pydantic models of a stack's raw `pixeltable-b2:` configuration: the config contract.

Only rules that look at one field live here; rules that relate sections
(key names, lock mode versus bypassGovernance) live in `infra.core.plan_builder`.
Every field carries its description: the shipped JSON Schema (`infra.core.stack_schema`)
and the README's settings reference (`infra.core.settings_reference`) are generated from them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticKnownError

from infra.core import b2_facts as b2
from infra.core.ci_stack_settings import CiSecretsConfig
from infra.core.settings_base import (
    ConfigModel,
    names_from,
    optional_in_range,
    rule_error,
    schema_pattern,
)


class CorsRuleConfig(ConfigModel):
    cors_rule_name: str = Field(description="The rule's name, unique within the bucket.")
    allowed_origins: list[str] = Field(
        min_length=1,
        description="Origins whose browsers may call the bucket, such as "
        "https://app.example.com, or '*' for any.",
    )
    allowed_operations: list[str] = names_from(
        b2.CORS_OPERATIONS, "The B2 and S3 operations those origins may call."
    )
    allowed_headers: list[str] = Field(
        default=[], description="Request headers a browser may send ('*' for any)."
    )
    expose_headers: list[str] = Field(
        default=[], description="Response headers a browser's script may read."
    )
    max_age_seconds: int = Field(
        default=3600,
        ge=0,
        le=86_400,
        description="Seconds a browser may cache the answer to its preflight request.",
    )

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
    name: str = Field(
        description="The bucket's name, unique across every B2 account: "
        f"{b2.BUCKET_NAME_MIN} to {b2.BUCKET_NAME_MAX} letters, digits and '-', not starting "
        f"with {b2.RESERVED_BUCKET_PREFIX!r}. Put your organisation in it.",
        json_schema_extra=schema_pattern(b2.BUCKET_NAME_PATTERN),
    )
    random_suffix: bool = Field(
        default=False,
        description=f"true: append '-' and {b2.RANDOM_SUFFIX_LENGTH - 1} hex digits, drawn once "
        "and kept in the stack's state (for short-lived stacks).",
    )
    public: bool = Field(
        default=False,
        description="true: anyone may download its files (allPublic); false: allPrivate.",
    )
    encryption: b2.EncryptionMode = Field(
        default=b2.SSE_B2_MODE,
        description=f"Default server-side encryption; B2 applies {b2.SSE_B2_MODE} "
        f"({b2.SSE_B2_ALGORITHM}) to every bucket and accepts no other value.",
    )
    protect: bool = Field(
        default=False,
        description="true: Pulumi refuses to delete or replace the bucket (pulumi destroy fails).",
    )
    cors: list[CorsRuleConfig] = Field(
        default=[], description="CORS rules: which web origins may call the bucket."
    )

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


_DAYS = {"minimum": 1}  # the schema's copy of `_positive_days`


class LifecycleRuleConfig(ConfigModel):
    prefix: str = Field(
        description="File names the rule applies to, matched as plain text (end it with '/'); "
        "'' is the whole bucket. Prefixes of two rules must not overlap.",
    )
    hide_after_days: int | None = Field(
        default=None,
        description="Days after upload until a file is hidden (deleteHiddenAfterDays then "
        "deletes it); at least 1.",
        json_schema_extra=_DAYS,
    )
    delete_hidden_after_days: int | None = Field(
        default=None,
        description="Days after a version is hidden or overwritten until B2 deletes it; "
        "at least 1.",
        json_schema_extra=_DAYS,
    )
    cancel_unfinished_large_files_after_days: int | None = Field(
        default=None,
        description="Days after a large-file upload starts until B2 cancels it if unfinished; "
        "at least 1.",
        json_schema_extra=_DAYS,
    )
    allow_whole_bucket_expiry: bool = Field(
        default=False,
        description="true: accept prefix '' with hideAfterDays, which hides and then deletes "
        "every file in the bucket.",
    )

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
    enabled: bool = Field(
        default=False,
        description="true: the bucket holds files under Object Lock; B2 can never turn it off "
        "again, and an existing bucket must have it enabled in B2 first.",
    )
    mode: b2.LockMode | None = Field(
        default=None,
        description="Default retention of new files: governance (a key with bypassGovernance "
        "may delete early) or compliance (nobody can, not even the account owner). "
        "Needs days or years.",
    )
    days: int | None = optional_in_range(
        b2.RETENTION_MIN_DAYS,
        b2.RETENTION_MAX_DAYS,
        f"Default retention period in days ({b2.RETENTION_MIN_DAYS} to "
        f"{b2.RETENTION_MAX_DAYS}); give days or years.",
    )
    years: int | None = optional_in_range(
        1,
        b2.RETENTION_MAX_DAYS // b2.DAYS_PER_YEAR,
        f"Default retention period in years of {b2.DAYS_PER_YEAR} days "
        f"(at most {b2.RETENTION_MAX_DAYS} days in all); give days or years.",
    )


class KeyConfig(ConfigModel):
    # Declared first: the capability and prefix rules below read it.
    account_wide: bool = Field(
        default=False,
        description="true: the key is not restricted to the bucket, so it may only read "
        "settings (the preview and auditor keys); false: restricted to the stack's bucket.",
    )
    capabilities: list[str] = names_from(
        b2.CAPABILITIES, "The B2 capabilities the key holds, by B2's names (case matters)."
    )
    name_prefix: str | None = Field(
        default=None,
        description="Restrict the key to file names under this prefix, ending in '/' "
        "(such as media/); default: the whole bucket.",
    )
    valid_days: int | None = optional_in_range(
        b2.KEY_VALID_DAYS_MIN,
        b2.KEY_VALID_DAYS_MAX,
        f"Days until the key expires ({b2.KEY_VALID_DAYS_MIN} to "
        f"{b2.KEY_VALID_DAYS_MAX}); default: it does not expire.",
    )
    rotation: int = Field(
        default=0,
        ge=0,
        description="Raise it to replace the key: the new key is named with `-r<N>` and created "
        "before the old one is deleted.",
    )
    allow_list_all_bucket_names: bool = Field(
        default=False,
        description="true: accept listAllBucketNames, which shows the name and id of every "
        "bucket in the account (S3 ListBuckets needs it).",
    )

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


class StackSettings(ConfigModel):
    """The whole `pixeltable-b2:` namespace: each field is one `pixeltable-b2:<section>` key.

    Not validated as one model: `plan_builder` parses each section on its own (so a mistake
    in one does not hide another) with the section types below."""

    region: str = Field(
        description="Your B2 account's region, as the B2 console shows it (such as "
        f"us-west-004); the S3 endpoint is derived from it: `{b2.endpoint_for('<region>')}`.",
        json_schema_extra=schema_pattern(b2.REGION_PATTERN),
    )
    bucket: BucketConfig = Field(description="The stack's one bucket.")
    lifecycle: list[LifecycleRuleConfig] = Field(
        default=[],
        description="Lifecycle rules by file-name prefix: when B2 hides and deletes files; at "
        f"most {b2.MAX_LIFECYCLE_RULES}, at least one day count each.",
    )
    object_lock: ObjectLockConfig = Field(
        default_factory=ObjectLockConfig,
        description="Object Lock and the default retention of new files; default: off.",
    )
    keys: dict[str, KeyConfig] = Field(
        default={},
        description="One B2 application key per role, named `<project>-<stack>-<role>`. Role "
        "names are lower-case letters, digits and '-', starting with a letter.",
        json_schema_extra={"propertyNames": schema_pattern(b2.ROLE_NAME_PATTERN)},
    )
    ci_secrets: CiSecretsConfig = Field(
        default_factory=CiSecretsConfig,
        description="Where each role's key and settings are pushed: GitHub Actions "
        "environments and GitLab projects; default: nowhere.",
    )


# The section types by their names in the stack file, in the stack file's order.
SECTION_MODELS: dict[str, Any] = {
    info.alias or name: info.annotation for name, info in StackSettings.model_fields.items()
}
REQUIRED_SECTIONS: tuple[str, ...] = tuple(
    info.alias or name for name, info in StackSettings.model_fields.items() if info.is_required()
)
