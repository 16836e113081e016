"""The B2 twin as a pytest fixture: one twin per module, for a stack file the module picks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infra.core.stack_files import PROJECT_ROOT, load_plan_file
from infra.local.twin import B2Twin, running_twin, unavailable_reason

# The seed's own check needs a role B2 lets list buckets: the dev plan plus such a role.
SEED_ROLE, LEAST_PRIVILEGE_ROLE, SEED_PREFIX = "seed", "app", "seed/"


def twin_stack_file(directory: Path) -> Path:
    """Pulumi.dev.yaml with one more key role holding listAllBucketNames (explicitly allowed)."""
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    keys = document["config"]["pixeltable-b2:keys"]
    keys[SEED_ROLE] = {
        "capabilities": [*keys[LEAST_PRIVILEGE_ROLE]["capabilities"], "listAllBucketNames"],
        "allowListAllBucketNames": True,
        "namePrefix": SEED_PREFIX,
    }
    path = directory / "Pulumi.twin.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture(scope="module")
def twin_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twin_stack_file(tmp_path_factory.mktemp("twin-stack"))


@pytest.fixture(scope="module")
def b2_twin(twin_file: Path) -> Iterator[B2Twin]:
    """A running B2 twin for the module; stopped by PID at the end, also on failure."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"the B2 twin cannot run here: {reason}")
    with running_twin(twin_file, load_plan_file(twin_file)) as twin:
        yield twin
