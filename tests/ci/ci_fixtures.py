"""A valid base config for the CI-secrets tests; the shipped stacks are read from their files."""

from __future__ import annotations

import copy
from typing import Any

from infra.core.plan_builder import build_plan
from infra.core.plan_model import StackPlan
from infra.core.stack_files import project_name


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
    return build_plan(raw, project=project_name(), stack=stack, source="ci-test")
