"""The `pulumi_b2` stand-in: used only when the real SDK is missing, and true to the provider.

Expected names come from the B2 Terraform provider's schema (its docs and
shared/reference/pulumi-b2.md): the bridge camel-cases each attribute for the wire and
renames Terraform's `id` argument to `b2_<resource>_id`. The table is written here, from
the schema, never read from the stand-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pulumi_b2 as b2
import pytest
from pulumi._types import input_type_py_to_pulumi_names

from tests.pulumi.pxb2_standin import STANDIN_DIR, build_variant

HERE = Path(__file__).resolve().parent

# resource/block -> {Terraform attribute (Python name): wire name}, provider 0.14.0
TERRAFORM_SCHEMA: dict[str, dict[str, str]] = {
    "BucketArgs": {  # b2_bucket arguments
        "bucket_name": "bucketName",
        "bucket_type": "bucketType",
        "b2_bucket_id": "b2BucketId",  # Terraform's `id`, renamed by the bridge
        "bucket_info": "bucketInfo",
        "cors_rules": "corsRules",
        "default_server_side_encryption": "defaultServerSideEncryption",
        "file_lock_configurations": "fileLockConfigurations",
        "lifecycle_rules": "lifecycleRules",
    },
    "BucketCorsRuleArgs": {
        "allowed_operations": "allowedOperations",
        "allowed_origins": "allowedOrigins",
        "cors_rule_name": "corsRuleName",
        "max_age_seconds": "maxAgeSeconds",
        "allowed_headers": "allowedHeaders",
        "expose_headers": "exposeHeaders",
    },
    "BucketDefaultServerSideEncryptionArgs": {"algorithm": "algorithm", "mode": "mode"},
    "BucketFileLockConfigurationArgs": {
        "default_retention": "defaultRetention",
        "is_file_lock_enabled": "isFileLockEnabled",
    },
    "BucketFileLockConfigurationDefaultRetentionArgs": {"mode": "mode", "period": "period"},
    "BucketFileLockConfigurationDefaultRetentionPeriodArgs": {
        "duration": "duration",
        "unit": "unit",
    },
    "BucketLifecycleRuleArgs": {
        "file_name_prefix": "fileNamePrefix",
        "days_from_hiding_to_deleting": "daysFromHidingToDeleting",
        "days_from_starting_to_canceling_unfinished_large_files": (
            "daysFromStartingToCancelingUnfinishedLargeFiles"
        ),
        "days_from_uploading_to_hiding": "daysFromUploadingToHiding",
    },
    "ApplicationKeyArgs": {  # b2_application_key arguments
        "capabilities": "capabilities",
        "key_name": "keyName",
        "b2_application_key_id": "b2ApplicationKeyId",  # Terraform's `id`, renamed
        "bucket_id": "bucketId",  # deprecated since 0.12.0
        "bucket_ids": "bucketIds",
        "name_prefix": "namePrefix",
        "valid_duration_in_seconds": "validDurationInSeconds",  # 0.13.0+
    },
}
# Computed attributes (outputs only), per resource class.
COMPUTED = {
    "Bucket": {"account_id", "bucket_id", "options", "revision"},
    "ApplicationKey": {"application_key", "application_key_id", "options", "expiration_timestamp"},
}


@pytest.mark.parametrize("args_class", sorted(TERRAFORM_SCHEMA))
def test_args_wire_names_match_the_terraform_schema(args_class: str) -> None:
    assert input_type_py_to_pulumi_names(getattr(b2, args_class)) == TERRAFORM_SCHEMA[args_class]


@pytest.mark.parametrize("resource", sorted(COMPUTED))
def test_resources_expose_the_computed_outputs(resource: str) -> None:
    cls = getattr(b2, resource)
    for name in COMPUTED[resource]:
        assert isinstance(getattr(cls, name), property), name


def test_plugin_json_says_what_the_sdk_is() -> None:
    plugin = json.loads((STANDIN_DIR / "pulumi_b2" / "pulumi-plugin.json").read_text())
    assert plugin["resource"] is True
    assert plugin["name"] == "terraform-provider"
    assert plugin["parameterization"]["name"] == "b2"
    assert b2._utilities.get_version() == plugin["parameterization"]["version"]


def _which_pulumi_b2(extra_path: Path | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    result = subprocess.run(
        [sys.executable, str(HERE / "pxb2_standin.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return result.stdout.split()


def test_stand_in_is_used_when_no_sdk_is_installed() -> None:
    which, path = _which_pulumi_b2(None)
    if which == "real":  # a machine where `pulumi install` generated the SDK
        assert not Path(path).is_relative_to(STANDIN_DIR)
        return
    assert which == "stand-in"
    assert Path(path).is_relative_to(STANDIN_DIR)


def test_real_sdk_wins_when_present(tmp_path: Path) -> None:
    fake = tmp_path / "pulumi_b2"
    fake.mkdir()
    (fake / "__init__.py").write_text('"""Pretends to be the generated SDK."""\n')
    which, path = _which_pulumi_b2(tmp_path)
    assert which == "real"
    assert Path(path) == (fake / "__init__.py").resolve()


# --- An SDK generated for provider 0.12.1 -------------------------------------------------


def _variant_module(tmp_path: Path, provider: str) -> dict[str, object]:
    """Import a variant in a fresh interpreter and report its surface."""
    root = build_variant(tmp_path / provider, provider)
    probe = (
        "import json, pulumi_b2 as b2\n"
        "from pulumi._types import input_type_py_to_pulumi_names as names\n"
        "try:\n"
        "    b2.ApplicationKey('k', capabilities=['listFiles'], key_name='k',\n"
        "                      valid_duration_in_seconds=None)\n"
        "    error = None\n"
        "except TypeError as e:\n"
        "    error = str(e)\n"
        "print(json.dumps({'version': b2._utilities.get_version(),\n"
        "                  'args': sorted(names(b2.ApplicationKeyArgs)), 'error': error}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_0_12_1_sdk_lacks_valid_duration_as_generated(tmp_path: Path) -> None:
    """The issue's TypeError, reproduced: before 0.13.0 even None is an unknown argument."""
    old = _variant_module(tmp_path, "0.12.1")
    assert old["version"] == "0.12.1"
    assert "valid_duration_in_seconds" not in old["args"]
    assert "unexpected keyword argument 'valid_duration_in_seconds'" in str(old["error"])
    assert "_internal_init" in str(old["error"])


def _run_program_with(sdk_root: Path | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    from infra.core.stack_files import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if sdk_root is not None:
        env["PYTHONPATH"] = str(sdk_root)
    return subprocess.run(
        [sys.executable, str(HERE / "pulumi_exec_under_mocks.py"), str(PROJECT_ROOT), "dev"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_the_program_stops_on_a_0_12_1_sdk_with_the_version_message(tmp_path: Path) -> None:
    from infra.deploy.sdk_pin import read_pin

    pin = read_pin()
    result = _run_program_with(build_variant(tmp_path / "old", "0.12.1"), tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    message = result.stderr
    assert "generated for backblaze/b2 0.12.1" in message
    assert f"Pulumi.yaml pins backblaze/b2 {pin.provider}" in message
    assert "pulumi install" in message
    assert "valid_duration_in_seconds" not in message  # stopped before any key was declared


def test_the_program_stops_without_an_sdk_with_the_same_kind_of_message(tmp_path: Path) -> None:
    result = _run_program_with(None, tmp_path)  # the stand-in is not on the path here
    if "not installed" not in result.stderr:
        pytest.skip("a generated pulumi_b2 is installed in this environment")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "`pulumi_b2` is not installed" in result.stderr
    assert "pulumi install" in result.stderr
