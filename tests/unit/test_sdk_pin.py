"""The SDK check's pure parts: reading a pin, reading pulumi-plugin.json, the verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.deploy.sdk_pin import (
    InstalledSdk,
    ProviderPin,
    SdkProblem,
    parse_plugin_json,
    read_pin,
    sdk_problem,
)

PIN = ProviderPin(bridge="9.9.0", source="backblaze/b2", provider="7.7.7")


def _plugin(bridge: str, provider: str) -> str:
    return json.dumps(
        {
            "resource": True,
            "name": "terraform-provider",
            "version": bridge,
            "parameterization": {"name": "b2", "version": provider, "value": "e30="},
        }
    )


def test_the_pin_is_read_from_pulumi_yaml(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: x\npackages:\n  b2:\n    source: terraform-provider\n    version: 9.9.0\n"
        "    parameters: [backblaze/b2, 7.7.7]\n"
    )
    assert read_pin(tmp_path) == PIN


def test_an_unpinned_provider_is_a_problem_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: x\npackages:\n  b2:\n    source: terraform-provider\n    version: 9.9.0\n"
        "    parameters: [backblaze/b2]\n"
    )
    with pytest.raises(SdkProblem, match=r"packages\.b2 does not pin the B2 provider"):
        read_pin(tmp_path)


def test_the_shipped_project_pins_a_provider() -> None:
    pin = read_pin()
    assert pin.source == "backblaze/b2"
    assert pin.provider.count(".") == 2


def test_matching_sdk_passes() -> None:
    assert sdk_problem(PIN, parse_plugin_json(_plugin("9.9.0", "7.7.7"), "/sdk")) is None


def test_other_provider_version_names_both_and_the_fix() -> None:
    message = sdk_problem(PIN, parse_plugin_json(_plugin("9.9.0", "0.12.1"), "/sdk"))
    assert message is not None
    assert "generated for backblaze/b2 0.12.1" in message
    assert "Pulumi.yaml pins backblaze/b2 7.7.7" in message
    assert "pulumi install" in message


def test_other_bridge_version_is_refused_too() -> None:
    assert sdk_problem(PIN, parse_plugin_json(_plugin("1.0.0", "7.7.7"), "/sdk")) is not None


@pytest.mark.parametrize(
    "sdk",
    [None, InstalledSdk("/sdk", None, None), parse_plugin_json("not json", "/sdk")],
    ids=["missing", "no-plugin-json", "broken-plugin-json"],
)
def test_missing_or_unlabelled_sdk_is_a_problem(sdk: InstalledSdk | None) -> None:
    message = sdk_problem(PIN, sdk)
    assert message is not None
    assert "7.7.7" in message
    assert "pulumi install" in message
