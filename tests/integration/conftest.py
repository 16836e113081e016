"""Module-scoped local deployments: few server starts, each checked to be gone afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.core.stack_files import load_plan_for_stack
from tests.integration.support import Running, checked_deployment, matrix_plan


@pytest.fixture(scope="module")
def dev_running() -> Iterator[Running]:
    with checked_deployment(load_plan_for_stack("dev")) as running:
        yield running


@pytest.fixture(scope="module")
def prod_running() -> Iterator[Running]:
    with checked_deployment(load_plan_for_stack("prod")) as running:
        yield running


@pytest.fixture(scope="module")
def matrix_running() -> Iterator[Running]:
    with checked_deployment(matrix_plan()) as running:
        yield running
