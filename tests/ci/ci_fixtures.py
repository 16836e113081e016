"""Shared pieces for the CI-secrets tests: a valid base config and the proposed stack files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from infra.core.plan_builder import build_plan
from infra.core.plan_model import StackPlan
from infra.core.stack_files import PROJECT_ROOT, load_plan_file

PROJECT = "pixeltable-b2"
NS = "pixeltable-b2"

# The ciSecrets sections proposed for the shipped stacks (report to the lead). Used only
# while the shipped file has no ciSecrets of its own.
PROPOSED_CI_SECRETS: dict[str, dict[str, Any]] = {
    "dev": {
        "github": {"repository": "acme/media-platform", "environment": "dev", "roles": ["smoke"]}
    },
    "prod": {
        "github": [
            {
                "repository": "acme/media-platform",
                "environment": "prod",
                "createEnvironment": True,
                "reviewers": {"teams": [4242001]},
                "waitTimerMinutes": 5,
                "preventSelfReview": True,
                "protectedBranchesOnly": True,
                "roles": ["smoke", "app"],
                "secretPrefixes": {"app": "APP_"},
            }
        ],
        "gitlab": [
            {
                "project": "acme/media-analytics",
                "environmentScope": "*",
                "roles": ["readonly"],
            }
        ],
    },
}


def base_config() -> dict[str, Any]:
    """Valid, with two roles and one GitHub target; a fresh copy each call."""
    return copy.deepcopy(
        {
            "region": "us-west-004",
            "bucket": {"name": "acme-pxt-media-ci"},
            "keys": {
                "app": {"capabilities": ["listBuckets", "listFiles", "readFiles", "writeFiles"]},
                "smoke": {
                    "capabilities": ["listBuckets", "listFiles", "writeFiles", "deleteFiles"],
                    "namePrefix": "smoke/",
                },
            },
            "ciSecrets": {
                "github": [
                    {
                        "repository": "acme/media-platform",
                        "environment": "dev",
                        "roles": ["app", "smoke"],
                        "secretPrefixes": {"smoke": "SMOKE_"},
                    }
                ],
                "gitlab": [
                    {
                        "project": "acme/platform/media",
                        "environmentScope": "*",
                        "roles": ["app"],
                    }
                ],
            },
        }
    )


def plan_from(raw: dict[str, Any], *, stack: str = "ci") -> StackPlan:
    return build_plan(raw, project=PROJECT, stack=stack, source="ci-test")


def stack_file_with_ci(stack: str, directory: Path) -> Path:
    """The shipped stack file, plus the proposed ciSecrets when it has none yet."""
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    config = document["config"]
    config.setdefault(f"{NS}:ciSecrets", copy.deepcopy(PROPOSED_CI_SECRETS[stack]))
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def shipped_plan_with_ci(stack: str, directory: Path) -> StackPlan:
    return load_plan_file(stack_file_with_ci(stack, directory), stack=stack, project=PROJECT)
