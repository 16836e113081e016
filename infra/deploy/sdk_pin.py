"""Is the importable `pulumi_b2` the SDK generated for the provider pinned in Pulumi.yaml?

`pulumi install` generates `pulumi_b2` from the Terraform provider named under
`packages: b2:` in Pulumi.yaml. An SDK generated for another provider version has
another surface (before 0.13.0 every key fails on `valid_duration_in_seconds`), so
the program compares the SDK's own `pulumi-plugin.json` with the pin before it
declares anything. Pulumi.yaml is the one place the versions are written.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.core.stack_files import PROJECT_ROOT

SDK_MODULE = "pulumi_b2"
PACKAGE = "b2"
PLUGIN_FILE = "pulumi-plugin.json"
FIX = "run `pulumi install` in the project directory to generate the pinned SDK under sdks/b2"


class SdkProblem(Exception):
    """The SDK cannot serve the pinned provider: one paragraph naming both versions and the fix."""


@dataclass(frozen=True)
class ProviderPin:
    bridge: str  # the terraform-provider bridge plugin
    source: str  # backblaze/b2
    provider: str  # the B2 Terraform provider


@dataclass(frozen=True)
class InstalledSdk:
    path: str
    bridge: str | None
    provider: str | None


def read_pin(root: Path = PROJECT_ROOT) -> ProviderPin:
    """The `packages: b2:` entry of Pulumi.yaml."""
    path = root / "Pulumi.yaml"
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        entry = document["packages"][PACKAGE]
        source, provider = entry["parameters"]
        return ProviderPin(bridge=str(entry["version"]), source=str(source), provider=str(provider))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as error:
        raise SdkProblem(
            f"Pulumi.yaml: packages.{PACKAGE} does not pin the B2 provider ({type(error).__name__}:"
            f" {error}). Fix: write `packages: {{{PACKAGE}: {{source: terraform-provider, version: "
            "<bridge>, parameters: [backblaze/b2, <provider version>]}}` as the README shows, "
            "then run `pulumi install`."
        ) from None


def parse_plugin_json(text: str, path: str) -> InstalledSdk:
    """What a generated SDK's pulumi-plugin.json says it is (pure)."""
    try:
        document = json.loads(text)
        parameterization = document.get("parameterization") or {}
        return InstalledSdk(
            path=path,
            bridge=document.get("version"),
            provider=parameterization.get("version"),
        )
    except (ValueError, AttributeError):
        return InstalledSdk(path=path, bridge=None, provider=None)


def find_sdk() -> InstalledSdk | None:
    """The importable `pulumi_b2` (not imported), or None when there is none."""
    spec = importlib.util.find_spec(SDK_MODULE)
    if spec is None or spec.origin is None:
        return None
    package_dir = Path(spec.origin).parent
    plugin = package_dir / PLUGIN_FILE
    try:
        text = plugin.read_text(encoding="utf-8")
    except OSError:
        return InstalledSdk(path=str(package_dir), bridge=None, provider=None)
    return parse_plugin_json(text, str(package_dir))


def sdk_problem(pin: ProviderPin, sdk: InstalledSdk | None) -> str | None:
    """Why the SDK does not match the pin, as one paragraph, or None (pure)."""
    pinned = f"{pin.source} {pin.provider} (bridge terraform-provider {pin.bridge})"
    if sdk is None:
        return (
            f"The B2 SDK `{SDK_MODULE}` is not installed in this Python environment; Pulumi.yaml "
            f"pins {pinned}. Fix: {FIX} and install it into .venv (the README's 'Deploy to B2')."
        )
    if sdk.provider is None:
        return (
            f"The importable `{SDK_MODULE}` at {sdk.path} does not say which provider it was "
            f"generated for (no {PLUGIN_FILE} with a parameterization version); Pulumi.yaml pins "
            f"{pinned}. Fix: {FIX}, and remove any other `{SDK_MODULE}` from the environment."
        )
    if sdk.provider != pin.provider or sdk.bridge != pin.bridge:
        return (
            f"The importable `{SDK_MODULE}` at {sdk.path} was generated for {pin.source} "
            f"{sdk.provider} (bridge {sdk.bridge}), but Pulumi.yaml pins {pinned}; its resources "
            f"and arguments differ, so nothing is declared. Fix: {FIX} (it regenerates the SDK "
            "for the pinned versions), or move the pin in Pulumi.yaml as the README describes."
        )
    return None


def check_sdk(root: Path = PROJECT_ROOT) -> InstalledSdk:
    """The matching SDK, or SdkProblem with the paragraph to show."""
    pin = read_pin(root)
    sdk = find_sdk()
    problem = sdk_problem(pin, sdk)
    if problem is not None:
        raise SdkProblem(problem)
    assert sdk is not None
    return sdk
