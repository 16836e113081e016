"""Test stand-in for the generated `pulumi_b2` SDK (public surface only).

`pulumi install` generates the real SDK from Backblaze's Terraform provider;
it cannot be generated on machines without the Pulumi CLI and network, so the
unit tests declare resources through this module instead. It mirrors the
generated module's names, argument names, wire names and type tokens
(see shared/reference/pulumi-b2.md) and does nothing else: resources are
plain `pulumi.CustomResource` declarations, B2 itself is not simulated.
It is put on sys.path only when the real module is not importable.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

STANDIN = True

__all__ = [
    "STANDIN",
    "ApplicationKey",
    "ApplicationKeyArgs",
    "Bucket",
    "BucketArgs",
    "BucketCorsRuleArgs",
    "BucketDefaultServerSideEncryptionArgs",
    "BucketFileLockConfigurationArgs",
    "BucketFileLockConfigurationDefaultRetentionArgs",
    "BucketFileLockConfigurationDefaultRetentionPeriodArgs",
    "BucketLifecycleRuleArgs",
    "GetAccountInfoResult",
    "Provider",
    "ProviderArgs",
    "get_account_info",
    "get_account_info_output",
]

_In = pulumi.Input[Any] | None


@pulumi.input_type
class BucketCorsRuleArgs:
    allowed_operations: pulumi.Input[Sequence[pulumi.Input[str]]] = pulumi.property(
        "allowedOperations"
    )
    allowed_origins: pulumi.Input[Sequence[pulumi.Input[str]]] = pulumi.property("allowedOrigins")
    cors_rule_name: pulumi.Input[str] = pulumi.property("corsRuleName")
    max_age_seconds: pulumi.Input[int] = pulumi.property("maxAgeSeconds")
    allowed_headers: _In = pulumi.property("allowedHeaders", default=None)
    expose_headers: _In = pulumi.property("exposeHeaders", default=None)


@pulumi.input_type
class BucketDefaultServerSideEncryptionArgs:
    algorithm: _In = pulumi.property("algorithm", default=None)
    mode: _In = pulumi.property("mode", default=None)


@pulumi.input_type
class BucketFileLockConfigurationDefaultRetentionPeriodArgs:
    duration: pulumi.Input[int] = pulumi.property("duration")
    unit: pulumi.Input[str] = pulumi.property("unit")


@pulumi.input_type
class BucketFileLockConfigurationDefaultRetentionArgs:
    mode: pulumi.Input[str] = pulumi.property("mode")
    period: _In = pulumi.property("period", default=None)


@pulumi.input_type
class BucketFileLockConfigurationArgs:
    default_retention: _In = pulumi.property("defaultRetention", default=None)
    is_file_lock_enabled: _In = pulumi.property("isFileLockEnabled", default=None)


@pulumi.input_type
class BucketLifecycleRuleArgs:
    file_name_prefix: pulumi.Input[str] = pulumi.property("fileNamePrefix")
    days_from_hiding_to_deleting: _In = pulumi.property("daysFromHidingToDeleting", default=None)
    days_from_starting_to_canceling_unfinished_large_files: _In = pulumi.property(
        "daysFromStartingToCancelingUnfinishedLargeFiles", default=None
    )
    days_from_uploading_to_hiding: _In = pulumi.property("daysFromUploadingToHiding", default=None)


@pulumi.input_type
class BucketArgs:
    bucket_name: pulumi.Input[str] = pulumi.property("bucketName")
    bucket_type: pulumi.Input[str] = pulumi.property("bucketType")
    bucket_info: _In = pulumi.property("bucketInfo", default=None)
    cors_rules: _In = pulumi.property("corsRules", default=None)
    default_server_side_encryption: _In = pulumi.property(
        "defaultServerSideEncryption", default=None
    )
    file_lock_configurations: _In = pulumi.property("fileLockConfigurations", default=None)
    lifecycle_rules: _In = pulumi.property("lifecycleRules", default=None)


@pulumi.input_type
class ApplicationKeyArgs:
    capabilities: pulumi.Input[Sequence[pulumi.Input[str]]] = pulumi.property("capabilities")
    key_name: pulumi.Input[str] = pulumi.property("keyName")
    bucket_id: _In = pulumi.property("bucketId", default=None)  # deprecated: use bucket_ids
    bucket_ids: _In = pulumi.property("bucketIds", default=None)
    name_prefix: _In = pulumi.property("namePrefix", default=None)
    valid_duration_in_seconds: _In = pulumi.property("validDurationInSeconds", default=None)


@pulumi.input_type
class ProviderArgs:
    application_key: _In = pulumi.property("applicationKey", default=None)
    application_key_id: _In = pulumi.property("applicationKeyId", default=None)
    endpoint: _In = pulumi.property("endpoint", default=None)


def _props(args_cls: type, inputs: Mapping[str, Any], outputs: Sequence[str]) -> Any:
    """The generated SDKs' `__props__`: declared inputs plus output slots set to None."""
    props = args_cls.__new__(args_cls)
    props.__dict__.update(inputs)
    props.__dict__.update(dict.fromkeys(outputs))
    return props


class Bucket(pulumi.CustomResource):
    bucket_name: pulumi.Output[str] = pulumi.property("bucketName")
    bucket_type: pulumi.Output[str] = pulumi.property("bucketType")
    bucket_info: pulumi.Output[Mapping[str, str] | None] = pulumi.property("bucketInfo")
    cors_rules: pulumi.Output[Sequence[Any] | None] = pulumi.property("corsRules")
    default_server_side_encryption: pulumi.Output[Any] = pulumi.property(
        "defaultServerSideEncryption"
    )
    file_lock_configurations: pulumi.Output[Sequence[Any]] = pulumi.property(
        "fileLockConfigurations"
    )
    lifecycle_rules: pulumi.Output[Sequence[Any] | None] = pulumi.property("lifecycleRules")
    bucket_id: pulumi.Output[str] = pulumi.property("bucketId")
    account_id: pulumi.Output[str] = pulumi.property("accountId")
    options: pulumi.Output[Sequence[str]] = pulumi.property("options")
    revision: pulumi.Output[int] = pulumi.property("revision")

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        bucket_name: _In = None,
        bucket_type: _In = None,
        bucket_info: _In = None,
        cors_rules: _In = None,
        default_server_side_encryption: _In = None,
        file_lock_configurations: _In = None,
        lifecycle_rules: _In = None,
    ) -> None:
        if bucket_name is None:
            raise TypeError("Missing required property 'bucket_name'")
        if bucket_type is None:
            raise TypeError("Missing required property 'bucket_type'")
        inputs = {
            "bucket_name": bucket_name,
            "bucket_type": bucket_type,
            "bucket_info": bucket_info,
            "cors_rules": cors_rules,
            "default_server_side_encryption": default_server_side_encryption,
            "file_lock_configurations": file_lock_configurations,
            "lifecycle_rules": lifecycle_rules,
        }
        outputs = ("account_id", "bucket_id", "options", "revision")
        super().__init__(
            "b2:index/bucket:Bucket", resource_name, _props(BucketArgs, inputs, outputs), opts
        )


class ApplicationKey(pulumi.CustomResource):
    capabilities: pulumi.Output[Sequence[str]] = pulumi.property("capabilities")
    key_name: pulumi.Output[str] = pulumi.property("keyName")
    bucket_id: pulumi.Output[str | None] = pulumi.property("bucketId")
    bucket_ids: pulumi.Output[Sequence[str]] = pulumi.property("bucketIds")
    name_prefix: pulumi.Output[str | None] = pulumi.property("namePrefix")
    valid_duration_in_seconds: pulumi.Output[int | None] = pulumi.property("validDurationInSeconds")
    application_key: pulumi.Output[str] = pulumi.property("applicationKey")
    application_key_id: pulumi.Output[str] = pulumi.property("applicationKeyId")
    expiration_timestamp: pulumi.Output[int] = pulumi.property("expirationTimestamp")
    options: pulumi.Output[Sequence[str]] = pulumi.property("options")

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        capabilities: _In = None,
        key_name: _In = None,
        bucket_id: _In = None,
        bucket_ids: _In = None,
        name_prefix: _In = None,
        valid_duration_in_seconds: _In = None,
    ) -> None:
        if capabilities is None:
            raise TypeError("Missing required property 'capabilities'")
        if key_name is None:
            raise TypeError("Missing required property 'key_name'")
        inputs = {
            "capabilities": capabilities,
            "key_name": key_name,
            "bucket_id": bucket_id,
            "bucket_ids": bucket_ids,
            "name_prefix": name_prefix,
            "valid_duration_in_seconds": valid_duration_in_seconds,
        }
        outputs = ("application_key", "application_key_id", "expiration_timestamp", "options")
        # As generated: the provider marks the key's secret half sensitive.
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["applicationKey"])
        )
        super().__init__(
            "b2:index/applicationKey:ApplicationKey",
            resource_name,
            _props(ApplicationKeyArgs, inputs, outputs),
            opts,
        )


class Provider(pulumi.ProviderResource):
    application_key: pulumi.Output[str | None] = pulumi.property("applicationKey")
    application_key_id: pulumi.Output[str | None] = pulumi.property("applicationKeyId")
    endpoint: pulumi.Output[str | None] = pulumi.property("endpoint")

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        application_key: _In = None,
        application_key_id: _In = None,
        endpoint: _In = None,
    ) -> None:
        inputs = {
            "application_key": None
            if application_key is None
            else pulumi.Output.secret(application_key),
            "application_key_id": application_key_id,
            "endpoint": endpoint,
        }
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["applicationKey"])
        )
        super().__init__("b2", resource_name, _props(ProviderArgs, inputs, ()), opts)


@pulumi.output_type
class GetAccountInfoResult:
    account_id: str = pulumi.property("accountId")
    allowed: Sequence[Any] = pulumi.property("allowed")
    api_url: str = pulumi.property("apiUrl")
    download_url: str = pulumi.property("downloadUrl")
    id: str = pulumi.property("id")
    s3_api_url: str = pulumi.property("s3ApiUrl")


_GET_ACCOUNT_INFO = "b2:index/getAccountInfo:getAccountInfo"


def get_account_info(opts: pulumi.InvokeOptions | None = None) -> GetAccountInfoResult:
    return pulumi.runtime.invoke(_GET_ACCOUNT_INFO, {}, opts=opts, typ=GetAccountInfoResult).value


def get_account_info_output(
    opts: pulumi.InvokeOptions | None = None,
) -> pulumi.Output[GetAccountInfoResult]:
    return pulumi.runtime.invoke_output(_GET_ACCOUNT_INFO, {}, opts=opts, typ=GetAccountInfoResult)
