"""The explicit `b2.Provider` (`pulumi:providers:b2`), as generated for a parameterized package."""

from typing import Any, Optional

import pulumi

from . import _utilities
from ._resource_args import ProviderArgs

__all__ = ["Provider", "ProviderArgs"]


class Provider(pulumi.ProviderResource):
    def __init__(__self__, resource_name: str, *args: Any, **kwargs: Any) -> None:
        resource_args, opts = _utilities.get_resource_args_opts(
            ProviderArgs, pulumi.ResourceOptions, *args, **kwargs
        )
        if resource_args is not None:
            __self__._internal_init(resource_name, opts, **resource_args.__dict__)
        else:
            __self__._internal_init(resource_name, *args, **kwargs)

    def _internal_init(
        __self__,
        resource_name: str,
        opts: Optional[pulumi.ResourceOptions] = None,
        application_key: Optional[pulumi.Input[str]] = None,
        application_key_id: Optional[pulumi.Input[str]] = None,
        endpoint: Optional[pulumi.Input[str]] = None,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        __props__ = ProviderArgs.__new__(ProviderArgs)
        __props__.__dict__["application_key"] = (
            None if application_key is None else pulumi.Output.secret(application_key)
        )
        __props__.__dict__["application_key_id"] = application_key_id
        __props__.__dict__["endpoint"] = endpoint
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["applicationKey"])
        opts = pulumi.ResourceOptions.merge(opts, secret_opts)
        super().__init__(
            "b2", resource_name, __props__, opts, package_ref=_utilities.get_package()
        )
