"""The `b2_account_info` data source (`b2:index/getAccountInfo:getAccountInfo`)."""

from collections.abc import Sequence
from typing import Any, Optional

import pulumi

from . import _utilities

__all__ = ["GetAccountInfoResult", "get_account_info", "get_account_info_output"]

_TOKEN = "b2:index/getAccountInfo:getAccountInfo"


@pulumi.output_type
class GetAccountInfoResult:
    def __init__(__self__, account_id=None, allowed=None, api_url=None, download_url=None,
                 id=None, s3_api_url=None):  # fmt: skip
        pulumi.set(__self__, "account_id", account_id)
        pulumi.set(__self__, "allowed", allowed)
        pulumi.set(__self__, "api_url", api_url)
        pulumi.set(__self__, "download_url", download_url)
        pulumi.set(__self__, "id", id)
        pulumi.set(__self__, "s3_api_url", s3_api_url)

    @property
    @pulumi.getter(name="accountId")
    def account_id(self) -> str:
        return pulumi.get(self, "account_id")

    @property
    @pulumi.getter
    def allowed(self) -> Sequence[Any]:
        return pulumi.get(self, "allowed")

    @property
    @pulumi.getter(name="apiUrl")
    def api_url(self) -> str:
        return pulumi.get(self, "api_url")

    @property
    @pulumi.getter(name="downloadUrl")
    def download_url(self) -> str:
        return pulumi.get(self, "download_url")

    @property
    @pulumi.getter
    def id(self) -> str:
        return pulumi.get(self, "id")

    @property
    @pulumi.getter(name="s3ApiUrl")
    def s3_api_url(self) -> str:
        return pulumi.get(self, "s3_api_url")


def get_account_info(opts: Optional[pulumi.InvokeOptions] = None) -> GetAccountInfoResult:
    return pulumi.runtime.invoke(
        _TOKEN, {}, opts=opts, typ=GetAccountInfoResult, package_ref=_utilities.get_package()
    ).value


def get_account_info_output(
    opts: Optional[pulumi.InvokeOutputOptions] = None,
) -> pulumi.Output[GetAccountInfoResult]:
    return pulumi.runtime.invoke_output(
        _TOKEN, {}, opts=opts, typ=GetAccountInfoResult, package_ref=_utilities.get_package()
    )
