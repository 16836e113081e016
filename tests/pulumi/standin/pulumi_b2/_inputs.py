"""Input types as `pulumi package add terraform-provider backblaze/b2` generates them.

Written from the provider's Terraform schema (shared/reference/pulumi-b2.md), not from
the program that uses it. Lines between "since X >>>" and "<<< since X" exist only in SDKs
generated for provider X or newer (the variant builder drops them for older versions).
"""

import warnings
from collections.abc import Mapping, Sequence
from typing import NotRequired, Optional, TypedDict

import pulumi

__all__ = [
    "BucketCorsRuleArgs",
    "BucketCorsRuleArgsDict",
    "BucketDefaultServerSideEncryptionArgs",
    "BucketDefaultServerSideEncryptionArgsDict",
    "BucketFileLockConfigurationDefaultRetentionPeriodArgs",
    "BucketFileLockConfigurationDefaultRetentionPeriodArgsDict",
    "BucketFileLockConfigurationDefaultRetentionArgs",
    "BucketFileLockConfigurationDefaultRetentionArgsDict",
    "BucketFileLockConfigurationArgs",
    "BucketFileLockConfigurationArgsDict",
    "BucketLifecycleRuleArgs",
    "BucketLifecycleRuleArgsDict",
]


class BucketCorsRuleArgsDict(TypedDict):
    allowed_operations: pulumi.Input[Sequence[pulumi.Input[str]]]
    allowed_origins: pulumi.Input[Sequence[pulumi.Input[str]]]
    cors_rule_name: pulumi.Input[str]
    max_age_seconds: pulumi.Input[float]
    allowed_headers: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    expose_headers: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]


@pulumi.input_type
class BucketCorsRuleArgs:
    def __init__(
        __self__,
        *,
        allowed_operations: pulumi.Input[Sequence[pulumi.Input[str]]],
        allowed_origins: pulumi.Input[Sequence[pulumi.Input[str]]],
        cors_rule_name: pulumi.Input[str],
        max_age_seconds: pulumi.Input[float],
        allowed_headers: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
        expose_headers: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
    ) -> None:
        pulumi.set(__self__, "allowed_operations", allowed_operations)
        pulumi.set(__self__, "allowed_origins", allowed_origins)
        pulumi.set(__self__, "cors_rule_name", cors_rule_name)
        pulumi.set(__self__, "max_age_seconds", max_age_seconds)
        if allowed_headers is not None:
            pulumi.set(__self__, "allowed_headers", allowed_headers)
        if expose_headers is not None:
            pulumi.set(__self__, "expose_headers", expose_headers)

    @property
    @pulumi.getter(name="allowedOperations")
    def allowed_operations(self) -> pulumi.Input[Sequence[pulumi.Input[str]]]:
        return pulumi.get(self, "allowed_operations")

    @allowed_operations.setter
    def allowed_operations(self, value: pulumi.Input[Sequence[pulumi.Input[str]]]) -> None:
        pulumi.set(self, "allowed_operations", value)

    @property
    @pulumi.getter(name="allowedOrigins")
    def allowed_origins(self) -> pulumi.Input[Sequence[pulumi.Input[str]]]:
        return pulumi.get(self, "allowed_origins")

    @allowed_origins.setter
    def allowed_origins(self, value: pulumi.Input[Sequence[pulumi.Input[str]]]) -> None:
        pulumi.set(self, "allowed_origins", value)

    @property
    @pulumi.getter(name="corsRuleName")
    def cors_rule_name(self) -> pulumi.Input[str]:
        return pulumi.get(self, "cors_rule_name")

    @cors_rule_name.setter
    def cors_rule_name(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "cors_rule_name", value)

    @property
    @pulumi.getter(name="maxAgeSeconds")
    def max_age_seconds(self) -> pulumi.Input[float]:
        return pulumi.get(self, "max_age_seconds")

    @max_age_seconds.setter
    def max_age_seconds(self, value: pulumi.Input[float]) -> None:
        pulumi.set(self, "max_age_seconds", value)

    @property
    @pulumi.getter(name="allowedHeaders")
    def allowed_headers(self) -> Optional[pulumi.Input[Sequence[pulumi.Input[str]]]]:
        return pulumi.get(self, "allowed_headers")

    @allowed_headers.setter
    def allowed_headers(self, value: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]]) -> None:
        pulumi.set(self, "allowed_headers", value)

    @property
    @pulumi.getter(name="exposeHeaders")
    def expose_headers(self) -> Optional[pulumi.Input[Sequence[pulumi.Input[str]]]]:
        return pulumi.get(self, "expose_headers")

    @expose_headers.setter
    def expose_headers(self, value: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]]) -> None:
        pulumi.set(self, "expose_headers", value)

class BucketDefaultServerSideEncryptionArgsDict(TypedDict):
    algorithm: NotRequired[pulumi.Input[str]]
    mode: NotRequired[pulumi.Input[str]]


@pulumi.input_type
class BucketDefaultServerSideEncryptionArgs:
    def __init__(
        __self__,
        *,
        algorithm: Optional[pulumi.Input[str]] = None,
        mode: Optional[pulumi.Input[str]] = None,
    ) -> None:
        if algorithm is not None:
            pulumi.set(__self__, "algorithm", algorithm)
        if mode is not None:
            pulumi.set(__self__, "mode", mode)

    @property
    @pulumi.getter
    def algorithm(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "algorithm")

    @algorithm.setter
    def algorithm(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "algorithm", value)

    @property
    @pulumi.getter
    def mode(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "mode")

    @mode.setter
    def mode(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "mode", value)

class BucketFileLockConfigurationDefaultRetentionPeriodArgsDict(TypedDict):
    duration: pulumi.Input[float]
    unit: pulumi.Input[str]


@pulumi.input_type
class BucketFileLockConfigurationDefaultRetentionPeriodArgs:
    def __init__(
        __self__,
        *,
        duration: pulumi.Input[float],
        unit: pulumi.Input[str],
    ) -> None:
        pulumi.set(__self__, "duration", duration)
        pulumi.set(__self__, "unit", unit)

    @property
    @pulumi.getter
    def duration(self) -> pulumi.Input[float]:
        return pulumi.get(self, "duration")

    @duration.setter
    def duration(self, value: pulumi.Input[float]) -> None:
        pulumi.set(self, "duration", value)

    @property
    @pulumi.getter
    def unit(self) -> pulumi.Input[str]:
        return pulumi.get(self, "unit")

    @unit.setter
    def unit(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "unit", value)

class BucketFileLockConfigurationDefaultRetentionArgsDict(TypedDict):
    mode: pulumi.Input[str]
    period: NotRequired[pulumi.Input['BucketFileLockConfigurationDefaultRetentionPeriodArgs']]


@pulumi.input_type
class BucketFileLockConfigurationDefaultRetentionArgs:
    def __init__(
        __self__,
        *,
        mode: pulumi.Input[str],
        period: Optional[pulumi.Input['BucketFileLockConfigurationDefaultRetentionPeriodArgs']] = None,
    ) -> None:
        pulumi.set(__self__, "mode", mode)
        if period is not None:
            pulumi.set(__self__, "period", period)

    @property
    @pulumi.getter
    def mode(self) -> pulumi.Input[str]:
        return pulumi.get(self, "mode")

    @mode.setter
    def mode(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "mode", value)

    @property
    @pulumi.getter
    def period(self) -> Optional[pulumi.Input['BucketFileLockConfigurationDefaultRetentionPeriodArgs']]:
        return pulumi.get(self, "period")

    @period.setter
    def period(self, value: Optional[pulumi.Input['BucketFileLockConfigurationDefaultRetentionPeriodArgs']]) -> None:
        pulumi.set(self, "period", value)

class BucketFileLockConfigurationArgsDict(TypedDict):
    default_retention: NotRequired[pulumi.Input['BucketFileLockConfigurationDefaultRetentionArgs']]
    is_file_lock_enabled: NotRequired[pulumi.Input[bool]]


@pulumi.input_type
class BucketFileLockConfigurationArgs:
    def __init__(
        __self__,
        *,
        default_retention: Optional[pulumi.Input['BucketFileLockConfigurationDefaultRetentionArgs']] = None,
        is_file_lock_enabled: Optional[pulumi.Input[bool]] = None,
    ) -> None:
        if default_retention is not None:
            pulumi.set(__self__, "default_retention", default_retention)
        if is_file_lock_enabled is not None:
            pulumi.set(__self__, "is_file_lock_enabled", is_file_lock_enabled)

    @property
    @pulumi.getter(name="defaultRetention")
    def default_retention(self) -> Optional[pulumi.Input['BucketFileLockConfigurationDefaultRetentionArgs']]:
        return pulumi.get(self, "default_retention")

    @default_retention.setter
    def default_retention(self, value: Optional[pulumi.Input['BucketFileLockConfigurationDefaultRetentionArgs']]) -> None:
        pulumi.set(self, "default_retention", value)

    @property
    @pulumi.getter(name="isFileLockEnabled")
    def is_file_lock_enabled(self) -> Optional[pulumi.Input[bool]]:
        return pulumi.get(self, "is_file_lock_enabled")

    @is_file_lock_enabled.setter
    def is_file_lock_enabled(self, value: Optional[pulumi.Input[bool]]) -> None:
        pulumi.set(self, "is_file_lock_enabled", value)

class BucketLifecycleRuleArgsDict(TypedDict):
    file_name_prefix: pulumi.Input[str]
    days_from_hiding_to_deleting: NotRequired[pulumi.Input[float]]
    days_from_starting_to_canceling_unfinished_large_files: NotRequired[pulumi.Input[float]]
    days_from_uploading_to_hiding: NotRequired[pulumi.Input[float]]


@pulumi.input_type
class BucketLifecycleRuleArgs:
    def __init__(
        __self__,
        *,
        file_name_prefix: pulumi.Input[str],
        days_from_hiding_to_deleting: Optional[pulumi.Input[float]] = None,
        days_from_starting_to_canceling_unfinished_large_files: Optional[pulumi.Input[float]] = None,
        days_from_uploading_to_hiding: Optional[pulumi.Input[float]] = None,
    ) -> None:
        pulumi.set(__self__, "file_name_prefix", file_name_prefix)
        if days_from_hiding_to_deleting is not None:
            pulumi.set(__self__, "days_from_hiding_to_deleting", days_from_hiding_to_deleting)
        if days_from_starting_to_canceling_unfinished_large_files is not None:
            pulumi.set(__self__, "days_from_starting_to_canceling_unfinished_large_files", days_from_starting_to_canceling_unfinished_large_files)
        if days_from_uploading_to_hiding is not None:
            pulumi.set(__self__, "days_from_uploading_to_hiding", days_from_uploading_to_hiding)

    @property
    @pulumi.getter(name="fileNamePrefix")
    def file_name_prefix(self) -> pulumi.Input[str]:
        return pulumi.get(self, "file_name_prefix")

    @file_name_prefix.setter
    def file_name_prefix(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "file_name_prefix", value)

    @property
    @pulumi.getter(name="daysFromHidingToDeleting")
    def days_from_hiding_to_deleting(self) -> Optional[pulumi.Input[float]]:
        return pulumi.get(self, "days_from_hiding_to_deleting")

    @days_from_hiding_to_deleting.setter
    def days_from_hiding_to_deleting(self, value: Optional[pulumi.Input[float]]) -> None:
        pulumi.set(self, "days_from_hiding_to_deleting", value)

    @property
    @pulumi.getter(name="daysFromStartingToCancelingUnfinishedLargeFiles")
    def days_from_starting_to_canceling_unfinished_large_files(self) -> Optional[pulumi.Input[float]]:
        return pulumi.get(self, "days_from_starting_to_canceling_unfinished_large_files")

    @days_from_starting_to_canceling_unfinished_large_files.setter
    def days_from_starting_to_canceling_unfinished_large_files(self, value: Optional[pulumi.Input[float]]) -> None:
        pulumi.set(self, "days_from_starting_to_canceling_unfinished_large_files", value)

    @property
    @pulumi.getter(name="daysFromUploadingToHiding")
    def days_from_uploading_to_hiding(self) -> Optional[pulumi.Input[float]]:
        return pulumi.get(self, "days_from_uploading_to_hiding")

    @days_from_uploading_to_hiding.setter
    def days_from_uploading_to_hiding(self, value: Optional[pulumi.Input[float]]) -> None:
        pulumi.set(self, "days_from_uploading_to_hiding", value)

