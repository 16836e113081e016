"""Helpers the generated SDK carries: its version and its parameterized package registration."""

import json
from pathlib import Path
from typing import Any

import pulumi

_PLUGIN = json.loads((Path(__file__).parent / "pulumi-plugin.json").read_text())


def get_version() -> str:
    """The B2 provider version this SDK was generated for."""
    return _PLUGIN["parameterization"]["version"]


def get_plugin_download_url() -> str | None:
    return _PLUGIN.get("server")


async def get_package() -> str | None:
    """The parameterized package's reference; the SDK caches it per deployment."""
    parameterization = _PLUGIN["parameterization"]
    return await pulumi.runtime.register_package(
        base_provider_name=_PLUGIN["name"],
        base_provider_version=_PLUGIN["version"],
        base_provider_download_url=get_plugin_download_url() or "",
        package_name=parameterization["name"],
        package_version=parameterization["version"],
        base64_parameter=parameterization["value"],
    )


def get_resource_args_opts(resource_args_type: type, resource_options_type: type, *args, **kwargs):
    """(args object, opts) when called as Resource(name, ResourceArgs(...), opts), else (None, opts)."""
    resource_args, opts = None, None
    if args and isinstance(args[0], resource_args_type):
        resource_args = args[0]
        if len(args) > 1 and isinstance(args[1], resource_options_type):
            opts = args[1]
    if resource_args is None and isinstance(kwargs.get("args"), resource_args_type):
        resource_args = kwargs["args"]
        opts = kwargs.get("opts")
    return resource_args, opts
