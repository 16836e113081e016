"""Fixtures for the smoke suite's tests: a local deployment and a process-leak guard."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from infra.local import LocalDeployment, local_deployment
from smoke.faults import hanging_socket
from smoke.target import local_environment

SERVER_PROCESS_NAMES = frozenset({"weed", "postgres"})


def server_pids() -> set[int]:
    """Running weed and PostgreSQL processes of this environment (their binaries live in
    this virtualenv: on a shared machine other checkouts' servers are not ours)."""
    pids = set()
    for process in psutil.process_iter(["name", "status", "exe"]):
        # A zombie has stopped; it only waits for its parent (or PID 1) to reap it.
        ours = (process.info["exe"] or "").startswith(sys.prefix)
        if (
            ours
            and process.info["name"] in SERVER_PROCESS_NAMES
            and (process.info["status"] != psutil.STATUS_ZOMBIE)
        ):
            pids.add(process.pid)
    return pids


@pytest.fixture
def no_leftover_servers() -> Iterator[set[int]]:
    """Fails the test if a weed or PostgreSQL process it started is still running."""
    before = server_pids()
    yield before
    deadline = time.monotonic() + 10
    while (left := server_pids() - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes left running: {sorted(left)}"


@dataclass
class SmokeRun:
    code: int
    stdout: str
    stderr: str
    seconds: float
    report: dict | None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_smoke(
    args: list[str], tmp_path: Path, *, environ: dict[str, str] | None = None, timeout: float = 600
) -> SmokeRun:
    report = tmp_path / "report.json"
    junit = tmp_path / "report.xml"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "smoke", *args, "--json", str(report), "--junit-xml", str(junit)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(environ or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - started
    document = json.loads(report.read_text()) if report.is_file() else None
    return SmokeRun(result.returncode, result.stdout, result.stderr, seconds, document)


def environment_for(deployment: LocalDeployment, role: str, **overrides: str) -> dict[str, str]:
    """What a user would export for `--env`, from a local deployment's role key."""
    return {**local_environment(deployment, role), **overrides}


@pytest.fixture(scope="module")
def prod_deployment() -> Iterator[LocalDeployment]:
    with local_deployment(load_plan_for_stack("prod"), backend="seaweedfs") as deployment:
        yield deployment


@pytest.fixture
def hanging_endpoint() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    with hanging_socket.hanging_endpoint() as url:
        yield url


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port
