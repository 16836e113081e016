"""Shared helpers for the stack-plan unit tests: a valid base config and a plan builder."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from infra.core.plan_builder import build_plan
from infra.core.plan_model import StackPlan

PROJECT = "pixeltable-b2"
STACK = "test"


def base_config() -> dict[str, Any]:
    """A valid config touching every validated section (a fresh copy each call)."""
    return copy.deepcopy(
        {
            "region": "us-west-004",
            "bucket": {
                "name": "acme-pxt-media-test",
                "public": False,
                "encryption": "SSE-B2",
                "protect": False,
            },
            "lifecycle": [
                {"prefix": "tmp/", "hideAfterDays": 1, "deleteHiddenAfterDays": 1},
                {
                    "prefix": "media/",
                    "deleteHiddenAfterDays": 30,
                    "cancelUnfinishedLargeFilesAfterDays": 1,
                },
            ],
            "objectLock": {"enabled": True, "mode": "governance", "days": 30},
            "keys": {
                "app": {
                    "capabilities": ["listBuckets", "readBuckets", "listFiles", "readFiles"],
                    "namePrefix": "media/",
                },
                "smoke": {
                    "capabilities": ["listBuckets", "listFiles", "writeFiles", "deleteFiles"],
                    "namePrefix": "tmp/",
                    "validDays": 30,
                },
            },
        }
    )


def plan_from(raw: dict[str, Any], *, stack: str = STACK) -> StackPlan:
    return build_plan(raw, project=PROJECT, stack=stack, source="unit-test")


@pytest.fixture
def make_plan() -> Callable[..., StackPlan]:
    return plan_from


@pytest.fixture
def base() -> dict[str, Any]:
    return base_config()
