"""Helpers for the local-server integration tests: plans, process checks, S3 probes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from botocore.exceptions import ClientError

from infra.core.plan_builder import build_plan
from infra.core.plan_model import StackPlan
from infra.local import LocalDeployment, client_for, local_deployment

WEED = "weed"

# A plan whose roles each lack one capability while holding ones whose SeaweedFS
# grants would otherwise let the refused operation through.
MATRIX_CONFIG: dict[str, Any] = {
    "region": "us-west-004",
    "bucket": {"name": "pxb2-matrix-test", "randomSuffix": True},
    "objectLock": {"enabled": True},
    "keys": {
        "lister": {
            "capabilities": ["listBuckets", "readBuckets", "readFiles", "writeFiles"],
            "namePrefix": "media/",
        },
        "scanner": {"capabilities": ["listFiles", "readFiles"]},
        "reader": {"capabilities": ["listBuckets", "readBuckets", "listFiles"]},
        "deleter": {"capabilities": ["deleteFiles", "listFiles"]},
        "prefixed": {
            "capabilities": [
                "listBuckets",
                "readBuckets",
                "listFiles",
                "readFiles",
                "writeFiles",
                "deleteFiles",
            ],
            "namePrefix": "media/",
        },
    },
}


def matrix_plan() -> StackPlan:
    return build_plan(MATRIX_CONFIG, project="pixeltable-b2", stack="matrix", source="test")


@dataclass(frozen=True)
class Running:
    deployment: LocalDeployment
    workdir: Path

    def client(self, role: str | None = None) -> Any:
        return client_for(self.deployment, role, connect_timeout=2.0, read_timeout=10.0)


def workdir_of(pid: int) -> Path:
    """The server's temp dir, read from its `-dir=<workdir>/data` argument."""
    for argument in psutil.Process(pid).cmdline():
        if argument.startswith("-dir="):
            return Path(argument.removeprefix("-dir=")).parent
    raise AssertionError(f"process {pid} has no -dir argument")


def our_weed_processes() -> list[psutil.Process]:
    """`weed` processes started by this test process (any depth)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.name() == WEED or Path(child.exe()).name == WEED:
                found.append(child)
    return found


def assert_stopped(pid: int, workdir: Path) -> None:
    """The server PID is gone, no weed child of ours is left, and its files are removed."""
    if psutil.pid_exists(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            process = psutil.Process(pid)
            assert process.status() == psutil.STATUS_ZOMBIE or process.name() != WEED, (
                f"server PID {pid} is still running"
            )
    assert our_weed_processes() == [], f"weed processes left: {our_weed_processes()}"
    assert not workdir.exists(), f"temp dir {workdir} was not removed"


@contextlib.contextmanager
def checked_deployment(plan: StackPlan, **options: Any) -> Iterator[Running]:
    """A SeaweedFS deployment that must be fully gone after the context exits."""
    with local_deployment(plan, backend="seaweedfs", **options) as deployment:
        assert deployment.server_pid is not None
        pid = deployment.server_pid
        workdir = workdir_of(pid)
        yield Running(deployment, workdir)
    assert_stopped(pid, workdir)


def error_code(call: Callable[[], Any]) -> str | None:
    """None when the call succeeds, else the S3 error code (or the HTTP status for HEAD)."""
    try:
        call()
    except ClientError as error:
        return str(error.response.get("Error", {}).get("Code", ""))
    return None


def status_of(call: Callable[[], Any]) -> int:
    """The HTTP status of a call: 200 on success, else the error's status."""
    try:
        call()
    except ClientError as error:
        return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return 200


def assert_denied(call: Callable[[], Any], what: str) -> None:
    status = status_of(call)
    assert status == 403, f"{what}: expected 403 AccessDenied, got HTTP {status}"


def assert_allowed(call: Callable[[], Any], what: str) -> Any:
    try:
        return call()
    except ClientError as error:
        raise AssertionError(
            f"{what}: expected success, got {error.response.get('Error')}"
        ) from None
