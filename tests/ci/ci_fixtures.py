"""A valid base config and B2 keys for the CI-secrets tests (shipped stacks: their own files)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from infra.core.plan_builder import build_plan
from infra.core.plan_model import StackPlan
from infra.core.stack_files import project_name

if TYPE_CHECKING:
    import pulumi_b2


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


def application_keys(
    plan: StackPlan, roles: tuple[str, ...] | None = None
) -> dict[str, pulumi_b2.ApplicationKey]:
    """The roles' B2 keys as `declare_ci_secrets` receives them (declared under mocks)."""
    import pulumi_b2  # the generated SDK or its stand-in: see tests/pulumi/pxb2_standin.py

    return {
        k.role: pulumi_b2.ApplicationKey(
            f"{k.role}-key", key_name=k.key_name, capabilities=list(k.capabilities)
        )
        for k in plan.keys
        if roles is None or k.role in roles
    }
