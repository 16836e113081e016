"""`b2.Bucket` as generated: resource_name, BucketArgs or keywords, outputs, `Bucket.get`."""

from collections.abc import Mapping, Sequence
from typing import Any, Optional

import pulumi

from . import _utilities
from ._inputs import (
    BucketCorsRuleArgs,
    BucketDefaultServerSideEncryptionArgs,
    BucketFileLockConfigurationArgs,
    BucketLifecycleRuleArgs,
)
from ._resource_args import BucketArgs

__all__ = ["Bucket", "BucketArgs"]

_STATE_NAMES = (
    "account_id",
    "b2_bucket_id",
    "bucket_id",
    "bucket_info",
    "bucket_name",
    "bucket_type",
    "cors_rules",
    "default_server_side_encryption",
    "file_lock_configurations",
    "lifecycle_rules",
    "options",
    "revision",
)


class Bucket(pulumi.CustomResource):
    def __init__(__self__, resource_name: str, *args: Any, **kwargs: Any) -> None:
        resource_args, opts = _utilities.get_resource_args_opts(
            BucketArgs, pulumi.ResourceOptions, *args, **kwargs
        )
        if resource_args is not None:
            __self__._internal_init(resource_name, opts, **resource_args.__dict__)
        else:
            __self__._internal_init(resource_name, *args, **kwargs)

    def _internal_init(
        __self__,
        resource_name: str,
        opts: Optional[pulumi.ResourceOptions] = None,
        b2_bucket_id: Optional[pulumi.Input[str]] = None,
        bucket_info: Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]] = None,
        bucket_name: Optional[pulumi.Input[str]] = None,
        bucket_type: Optional[pulumi.Input[str]] = None,
        cors_rules: Optional[pulumi.Input[Sequence[pulumi.Input[BucketCorsRuleArgs]]]] = None,
        default_server_side_encryption: Optional[
            pulumi.Input[BucketDefaultServerSideEncryptionArgs]
        ] = None,
        file_lock_configurations: Optional[
            pulumi.Input[Sequence[pulumi.Input[BucketFileLockConfigurationArgs]]]
        ] = None,
        lifecycle_rules: Optional[
            pulumi.Input[Sequence[pulumi.Input[BucketLifecycleRuleArgs]]]
        ] = None,
        __props__: Any = None,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        if opts.id is None:
            if __props__ is not None:
                raise TypeError(
                    "__props__ is only valid when passed in combination with a valid opts.id "
                    "to get an existing resource"
                )
            __props__ = BucketArgs.__new__(BucketArgs)
            __props__.__dict__["b2_bucket_id"] = b2_bucket_id
            __props__.__dict__["bucket_info"] = bucket_info
            if bucket_name is None and not opts.urn:
                raise TypeError("Missing required property 'bucket_name'")
            __props__.__dict__["bucket_name"] = bucket_name
            if bucket_type is None and not opts.urn:
                raise TypeError("Missing required property 'bucket_type'")
            __props__.__dict__["bucket_type"] = bucket_type
            __props__.__dict__["cors_rules"] = cors_rules
            __props__.__dict__["default_server_side_encryption"] = default_server_side_encryption
            __props__.__dict__["file_lock_configurations"] = file_lock_configurations
            __props__.__dict__["lifecycle_rules"] = lifecycle_rules
            __props__.__dict__["account_id"] = None
            __props__.__dict__["bucket_id"] = None
            __props__.__dict__["options"] = None
            __props__.__dict__["revision"] = None
        super().__init__(
            "b2:index/bucket:Bucket",
            resource_name,
            __props__,
            opts,
            package_ref=_utilities.get_package(),
        )

    @staticmethod
    def get(
        resource_name: str,
        id: pulumi.Input[str],
        opts: Optional[pulumi.ResourceOptions] = None,
        **state: Any,
    ) -> "Bucket":
        """Reads an existing bucket's live state by its id (the engine asks the provider)."""
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        __props__ = BucketArgs.__new__(BucketArgs)
        for name in _STATE_NAMES:
            __props__.__dict__[name] = state.get(name)
        return Bucket(resource_name, opts=opts, __props__=__props__)

    @property
    @pulumi.getter(name="accountId")
    def account_id(self) -> pulumi.Output[str]:
        return pulumi.get(self, "account_id")

    @property
    @pulumi.getter(name="b2BucketId")
    def b2_bucket_id(self) -> pulumi.Output[str]:
        return pulumi.get(self, "b2_bucket_id")

    @property
    @pulumi.getter(name="bucketId")
    def bucket_id(self) -> pulumi.Output[str]:
        return pulumi.get(self, "bucket_id")

    @property
    @pulumi.getter(name="bucketInfo")
    def bucket_info(self) -> pulumi.Output[Optional[Mapping[str, str]]]:
        return pulumi.get(self, "bucket_info")

    @property
    @pulumi.getter(name="bucketName")
    def bucket_name(self) -> pulumi.Output[str]:
        return pulumi.get(self, "bucket_name")

    @property
    @pulumi.getter(name="bucketType")
    def bucket_type(self) -> pulumi.Output[str]:
        return pulumi.get(self, "bucket_type")

    @property
    @pulumi.getter(name="corsRules")
    def cors_rules(self) -> pulumi.Output[Optional[Sequence[Any]]]:
        return pulumi.get(self, "cors_rules")

    @property
    @pulumi.getter(name="defaultServerSideEncryption")
    def default_server_side_encryption(self) -> pulumi.Output[Any]:
        return pulumi.get(self, "default_server_side_encryption")

    @property
    @pulumi.getter(name="fileLockConfigurations")
    def file_lock_configurations(self) -> pulumi.Output[Sequence[Any]]:
        return pulumi.get(self, "file_lock_configurations")

    @property
    @pulumi.getter(name="lifecycleRules")
    def lifecycle_rules(self) -> pulumi.Output[Optional[Sequence[Any]]]:
        return pulumi.get(self, "lifecycle_rules")

    @property
    @pulumi.getter
    def options(self) -> pulumi.Output[Sequence[str]]:
        return pulumi.get(self, "options")

    @property
    @pulumi.getter
    def revision(self) -> pulumi.Output[float]:
        return pulumi.get(self, "revision")
