"""`b2.ApplicationKey` as generated. Lines marked "since 0.13.0" exist from provider 0.13.0 on."""

from collections.abc import Sequence
from typing import Any, Optional

import pulumi

from . import _utilities
from ._resource_args import ApplicationKeyArgs

__all__ = ["ApplicationKey", "ApplicationKeyArgs"]


class ApplicationKey(pulumi.CustomResource):
    def __init__(__self__, resource_name: str, *args: Any, **kwargs: Any) -> None:
        resource_args, opts = _utilities.get_resource_args_opts(
            ApplicationKeyArgs, pulumi.ResourceOptions, *args, **kwargs
        )
        if resource_args is not None:
            __self__._internal_init(resource_name, opts, **resource_args.__dict__)
        else:
            __self__._internal_init(resource_name, *args, **kwargs)

    def _internal_init(
        __self__,
        resource_name: str,
        opts: Optional[pulumi.ResourceOptions] = None,
        b2_application_key_id: Optional[pulumi.Input[str]] = None,
        bucket_id: Optional[pulumi.Input[str]] = None,
        bucket_ids: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
        capabilities: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
        key_name: Optional[pulumi.Input[str]] = None,
        name_prefix: Optional[pulumi.Input[str]] = None,
        # since 0.13.0 >>>
        valid_duration_in_seconds: Optional[pulumi.Input[float]] = None,
        # <<< since 0.13.0
        __props__: Any = None,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        if opts.id is None:
            if __props__ is not None:
                raise TypeError(
                    "__props__ is only valid when passed in combination with a valid opts.id "
                    "to get an existing resource"
                )
            __props__ = ApplicationKeyArgs.__new__(ApplicationKeyArgs)
            __props__.__dict__["b2_application_key_id"] = b2_application_key_id
            __props__.__dict__["bucket_id"] = bucket_id
            __props__.__dict__["bucket_ids"] = bucket_ids
            if capabilities is None and not opts.urn:
                raise TypeError("Missing required property 'capabilities'")
            __props__.__dict__["capabilities"] = capabilities
            if key_name is None and not opts.urn:
                raise TypeError("Missing required property 'key_name'")
            __props__.__dict__["key_name"] = key_name
            __props__.__dict__["name_prefix"] = name_prefix
            # since 0.13.0 >>>
            __props__.__dict__["valid_duration_in_seconds"] = valid_duration_in_seconds
            __props__.__dict__["expiration_timestamp"] = None
            # <<< since 0.13.0
            __props__.__dict__["application_key"] = None
            __props__.__dict__["application_key_id"] = None
            __props__.__dict__["options"] = None
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["applicationKey"])
        opts = pulumi.ResourceOptions.merge(opts, secret_opts)
        super().__init__(
            "b2:index/applicationKey:ApplicationKey",
            resource_name,
            __props__,
            opts,
            package_ref=_utilities.get_package(),
        )

    @property
    @pulumi.getter(name="applicationKey")
    def application_key(self) -> pulumi.Output[str]:
        return pulumi.get(self, "application_key")

    @property
    @pulumi.getter(name="applicationKeyId")
    def application_key_id(self) -> pulumi.Output[str]:
        return pulumi.get(self, "application_key_id")

    @property
    @pulumi.getter(name="b2ApplicationKeyId")
    def b2_application_key_id(self) -> pulumi.Output[str]:
        return pulumi.get(self, "b2_application_key_id")

    @property
    @pulumi.getter(name="bucketId")
    def bucket_id(self) -> pulumi.Output[Optional[str]]:
        return pulumi.get(self, "bucket_id")

    @property
    @pulumi.getter(name="bucketIds")
    def bucket_ids(self) -> pulumi.Output[Sequence[str]]:
        return pulumi.get(self, "bucket_ids")

    @property
    @pulumi.getter
    def capabilities(self) -> pulumi.Output[Sequence[str]]:
        return pulumi.get(self, "capabilities")

    @property
    @pulumi.getter(name="keyName")
    def key_name(self) -> pulumi.Output[str]:
        return pulumi.get(self, "key_name")

    @property
    @pulumi.getter(name="namePrefix")
    def name_prefix(self) -> pulumi.Output[Optional[str]]:
        return pulumi.get(self, "name_prefix")

    @property
    @pulumi.getter
    def options(self) -> pulumi.Output[Sequence[str]]:
        return pulumi.get(self, "options")

    # since 0.13.0 >>>
    @property
    @pulumi.getter(name="expirationTimestamp")
    def expiration_timestamp(self) -> pulumi.Output[float]:
        return pulumi.get(self, "expiration_timestamp")

    @property
    @pulumi.getter(name="validDurationInSeconds")
    def valid_duration_in_seconds(self) -> pulumi.Output[Optional[float]]:
        return pulumi.get(self, "valid_duration_in_seconds")

    # <<< since 0.13.0
