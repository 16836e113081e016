"""Resource argument types (BucketArgs, ApplicationKeyArgs, ProviderArgs), as generated.

Written from the provider's Terraform schema (shared/reference/pulumi-b2.md), not from
the program that uses it. Lines between "since X >>>" and "<<< since X" exist only in SDKs
generated for provider X or newer (the variant builder drops them for older versions).
"""

import warnings
from collections.abc import Mapping, Sequence
from typing import NotRequired, Optional, TypedDict

import pulumi

from ._inputs import (
    BucketCorsRuleArgs,
    BucketDefaultServerSideEncryptionArgs,
    BucketFileLockConfigurationArgs,
    BucketLifecycleRuleArgs,
)

__all__ = [
    "BucketArgs",
    "BucketArgsDict",
    "ApplicationKeyArgs",
    "ApplicationKeyArgsDict",
    "ProviderArgs",
    "ProviderArgsDict",
]


class BucketArgsDict(TypedDict):
    bucket_name: pulumi.Input[str]
    bucket_type: pulumi.Input[str]
    b2_bucket_id: NotRequired[pulumi.Input[str]]
    bucket_info: NotRequired[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    cors_rules: NotRequired[pulumi.Input[Sequence[pulumi.Input['BucketCorsRuleArgs']]]]
    default_server_side_encryption: NotRequired[pulumi.Input['BucketDefaultServerSideEncryptionArgs']]
    file_lock_configurations: NotRequired[pulumi.Input[Sequence[pulumi.Input['BucketFileLockConfigurationArgs']]]]
    lifecycle_rules: NotRequired[pulumi.Input[Sequence[pulumi.Input['BucketLifecycleRuleArgs']]]]


@pulumi.input_type
class BucketArgs:
    def __init__(
        __self__,
        *,
        bucket_name: pulumi.Input[str],
        bucket_type: pulumi.Input[str],
        b2_bucket_id: Optional[pulumi.Input[str]] = None,
        bucket_info: Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]] = None,
        cors_rules: Optional[pulumi.Input[Sequence[pulumi.Input['BucketCorsRuleArgs']]]] = None,
        default_server_side_encryption: Optional[pulumi.Input['BucketDefaultServerSideEncryptionArgs']] = None,
        file_lock_configurations: Optional[pulumi.Input[Sequence[pulumi.Input['BucketFileLockConfigurationArgs']]]] = None,
        lifecycle_rules: Optional[pulumi.Input[Sequence[pulumi.Input['BucketLifecycleRuleArgs']]]] = None,
    ) -> None:
        pulumi.set(__self__, "bucket_name", bucket_name)
        pulumi.set(__self__, "bucket_type", bucket_type)
        if b2_bucket_id is not None:
            pulumi.set(__self__, "b2_bucket_id", b2_bucket_id)
        if bucket_info is not None:
            pulumi.set(__self__, "bucket_info", bucket_info)
        if cors_rules is not None:
            pulumi.set(__self__, "cors_rules", cors_rules)
        if default_server_side_encryption is not None:
            pulumi.set(__self__, "default_server_side_encryption", default_server_side_encryption)
        if file_lock_configurations is not None:
            pulumi.set(__self__, "file_lock_configurations", file_lock_configurations)
        if lifecycle_rules is not None:
            pulumi.set(__self__, "lifecycle_rules", lifecycle_rules)

    @property
    @pulumi.getter(name="bucketName")
    def bucket_name(self) -> pulumi.Input[str]:
        return pulumi.get(self, "bucket_name")

    @bucket_name.setter
    def bucket_name(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "bucket_name", value)

    @property
    @pulumi.getter(name="bucketType")
    def bucket_type(self) -> pulumi.Input[str]:
        return pulumi.get(self, "bucket_type")

    @bucket_type.setter
    def bucket_type(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "bucket_type", value)

    @property
    @pulumi.getter(name="b2BucketId")
    def b2_bucket_id(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "b2_bucket_id")

    @b2_bucket_id.setter
    def b2_bucket_id(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "b2_bucket_id", value)

    @property
    @pulumi.getter(name="bucketInfo")
    def bucket_info(self) -> Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]]:
        return pulumi.get(self, "bucket_info")

    @bucket_info.setter
    def bucket_info(self, value: Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]]) -> None:
        pulumi.set(self, "bucket_info", value)

    @property
    @pulumi.getter(name="corsRules")
    def cors_rules(self) -> Optional[pulumi.Input[Sequence[pulumi.Input['BucketCorsRuleArgs']]]]:
        return pulumi.get(self, "cors_rules")

    @cors_rules.setter
    def cors_rules(self, value: Optional[pulumi.Input[Sequence[pulumi.Input['BucketCorsRuleArgs']]]]) -> None:
        pulumi.set(self, "cors_rules", value)

    @property
    @pulumi.getter(name="defaultServerSideEncryption")
    def default_server_side_encryption(self) -> Optional[pulumi.Input['BucketDefaultServerSideEncryptionArgs']]:
        return pulumi.get(self, "default_server_side_encryption")

    @default_server_side_encryption.setter
    def default_server_side_encryption(self, value: Optional[pulumi.Input['BucketDefaultServerSideEncryptionArgs']]) -> None:
        pulumi.set(self, "default_server_side_encryption", value)

    @property
    @pulumi.getter(name="fileLockConfigurations")
    def file_lock_configurations(self) -> Optional[pulumi.Input[Sequence[pulumi.Input['BucketFileLockConfigurationArgs']]]]:
        return pulumi.get(self, "file_lock_configurations")

    @file_lock_configurations.setter
    def file_lock_configurations(self, value: Optional[pulumi.Input[Sequence[pulumi.Input['BucketFileLockConfigurationArgs']]]]) -> None:
        pulumi.set(self, "file_lock_configurations", value)

    @property
    @pulumi.getter(name="lifecycleRules")
    def lifecycle_rules(self) -> Optional[pulumi.Input[Sequence[pulumi.Input['BucketLifecycleRuleArgs']]]]:
        return pulumi.get(self, "lifecycle_rules")

    @lifecycle_rules.setter
    def lifecycle_rules(self, value: Optional[pulumi.Input[Sequence[pulumi.Input['BucketLifecycleRuleArgs']]]]) -> None:
        pulumi.set(self, "lifecycle_rules", value)

class ApplicationKeyArgsDict(TypedDict):
    capabilities: pulumi.Input[Sequence[pulumi.Input[str]]]
    key_name: pulumi.Input[str]
    b2_application_key_id: NotRequired[pulumi.Input[str]]
    bucket_id: NotRequired[pulumi.Input[str]]
    bucket_ids: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    name_prefix: NotRequired[pulumi.Input[str]]
    # since 0.13.0 >>>
    valid_duration_in_seconds: NotRequired[pulumi.Input[float]]
    # <<< since 0.13.0


@pulumi.input_type
class ApplicationKeyArgs:
    def __init__(
        __self__,
        *,
        capabilities: pulumi.Input[Sequence[pulumi.Input[str]]],
        key_name: pulumi.Input[str],
        b2_application_key_id: Optional[pulumi.Input[str]] = None,
        bucket_id: Optional[pulumi.Input[str]] = None,
        bucket_ids: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
        name_prefix: Optional[pulumi.Input[str]] = None,
        # since 0.13.0 >>>
        valid_duration_in_seconds: Optional[pulumi.Input[float]] = None,
        # <<< since 0.13.0
    ) -> None:
        pulumi.set(__self__, "capabilities", capabilities)
        pulumi.set(__self__, "key_name", key_name)
        if b2_application_key_id is not None:
            pulumi.set(__self__, "b2_application_key_id", b2_application_key_id)
        if bucket_id is not None:
            warnings.warn("""bucket_id is deprecated. Use bucket_ids instead.""", DeprecationWarning)
            pulumi.log.warn("""bucket_id is deprecated: bucket_id is deprecated. Use bucket_ids instead.""")
        if bucket_id is not None:
            pulumi.set(__self__, "bucket_id", bucket_id)
        if bucket_ids is not None:
            pulumi.set(__self__, "bucket_ids", bucket_ids)
        if name_prefix is not None:
            pulumi.set(__self__, "name_prefix", name_prefix)
        # since 0.13.0 >>>
        if valid_duration_in_seconds is not None:
            pulumi.set(__self__, "valid_duration_in_seconds", valid_duration_in_seconds)
        # <<< since 0.13.0

    @property
    @pulumi.getter
    def capabilities(self) -> pulumi.Input[Sequence[pulumi.Input[str]]]:
        return pulumi.get(self, "capabilities")

    @capabilities.setter
    def capabilities(self, value: pulumi.Input[Sequence[pulumi.Input[str]]]) -> None:
        pulumi.set(self, "capabilities", value)

    @property
    @pulumi.getter(name="keyName")
    def key_name(self) -> pulumi.Input[str]:
        return pulumi.get(self, "key_name")

    @key_name.setter
    def key_name(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "key_name", value)

    @property
    @pulumi.getter(name="b2ApplicationKeyId")
    def b2_application_key_id(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "b2_application_key_id")

    @b2_application_key_id.setter
    def b2_application_key_id(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "b2_application_key_id", value)

    @property
    @pulumi.getter(name="bucketId")
    def bucket_id(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "bucket_id")

    @bucket_id.setter
    def bucket_id(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "bucket_id", value)

    @property
    @pulumi.getter(name="bucketIds")
    def bucket_ids(self) -> Optional[pulumi.Input[Sequence[pulumi.Input[str]]]]:
        return pulumi.get(self, "bucket_ids")

    @bucket_ids.setter
    def bucket_ids(self, value: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]]) -> None:
        pulumi.set(self, "bucket_ids", value)

    @property
    @pulumi.getter(name="namePrefix")
    def name_prefix(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "name_prefix")

    @name_prefix.setter
    def name_prefix(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "name_prefix", value)

    # since 0.13.0 >>>
    @property
    @pulumi.getter(name="validDurationInSeconds")
    def valid_duration_in_seconds(self) -> Optional[pulumi.Input[float]]:
        return pulumi.get(self, "valid_duration_in_seconds")

    @valid_duration_in_seconds.setter
    def valid_duration_in_seconds(self, value: Optional[pulumi.Input[float]]) -> None:
        pulumi.set(self, "valid_duration_in_seconds", value)
    # <<< since 0.13.0

class ProviderArgsDict(TypedDict):
    application_key: NotRequired[pulumi.Input[str]]
    application_key_id: NotRequired[pulumi.Input[str]]
    endpoint: NotRequired[pulumi.Input[str]]


@pulumi.input_type
class ProviderArgs:
    def __init__(
        __self__,
        *,
        application_key: Optional[pulumi.Input[str]] = None,
        application_key_id: Optional[pulumi.Input[str]] = None,
        endpoint: Optional[pulumi.Input[str]] = None,
    ) -> None:
        if application_key is not None:
            pulumi.set(__self__, "application_key", application_key)
        if application_key_id is not None:
            pulumi.set(__self__, "application_key_id", application_key_id)
        if endpoint is not None:
            pulumi.set(__self__, "endpoint", endpoint)

    @property
    @pulumi.getter(name="applicationKey")
    def application_key(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "application_key")

    @application_key.setter
    def application_key(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "application_key", value)

    @property
    @pulumi.getter(name="applicationKeyId")
    def application_key_id(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "application_key_id")

    @application_key_id.setter
    def application_key_id(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "application_key_id", value)

    @property
    @pulumi.getter
    def endpoint(self) -> Optional[pulumi.Input[str]]:
        return pulumi.get(self, "endpoint")

    @endpoint.setter
    def endpoint(self, value: Optional[pulumi.Input[str]]) -> None:
        pulumi.set(self, "endpoint", value)

