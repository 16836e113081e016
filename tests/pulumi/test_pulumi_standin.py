"""The `pulumi_b2` stand-in: used only when the real SDK is missing, and true to its surface."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pulumi_b2 as b2
from pulumi._types import input_type_py_to_pulumi_names
from pxb2_standin import STANDIN_DIR

HERE = Path(__file__).resolve().parent


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


def test_args_wire_names_match_the_provider() -> None:
    """Names from shared/reference/pulumi-b2.md (the Terraform schema, camel-cased)."""
    assert input_type_py_to_pulumi_names(b2.BucketLifecycleRuleArgs) == {
        "file_name_prefix": "fileNamePrefix",
        "days_from_hiding_to_deleting": "daysFromHidingToDeleting",
        "days_from_starting_to_canceling_unfinished_large_files": (
            "daysFromStartingToCancelingUnfinishedLargeFiles"
        ),
        "days_from_uploading_to_hiding": "daysFromUploadingToHiding",
    }
    assert input_type_py_to_pulumi_names(b2.BucketFileLockConfigurationArgs) == {
        "default_retention": "defaultRetention",
        "is_file_lock_enabled": "isFileLockEnabled",
    }
    assert set(input_type_py_to_pulumi_names(b2.ApplicationKeyArgs)) == {
        "capabilities",
        "key_name",
        "bucket_id",
        "bucket_ids",
        "name_prefix",
        "valid_duration_in_seconds",
    }
    assert set(input_type_py_to_pulumi_names(b2.BucketArgs)) == {
        "bucket_name",
        "bucket_type",
        "bucket_info",
        "cors_rules",
        "default_server_side_encryption",
        "file_lock_configurations",
        "lifecycle_rules",
    }
