"""A backend that cannot start is one paragraph on every entry point: the backend, what
failed, the fix; exit 2; no traceback; nothing left in TMPDIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.core.stack_files import PROJECT_ROOT

NO_DAEMON = {"DOCKER_HOST": "unix:///nonexistent/pxb2/docker.sock"}
NO_WEED = {"PXB2_WEED_BINARY": "/nonexistent/pxb2/weed"}
CASES = {
    "smoke-container-no-daemon": (
        [sys.executable, "-m", "smoke", "--local", "--backend", "container"],
        NO_DAEMON,
        "backend 'container' (SeaweedFS in Docker at unix:///nonexistent/pxb2/docker.sock): "
        "daemon failed",
    ),
    "demo-container-no-daemon": (
        ["./scripts/demo", "--backend", "container"],
        NO_DAEMON,
        "backend 'container'",
    ),
    "smoke-seaweedfs-no-binary": (
        [sys.executable, "-m", "smoke", "--local", "--backend", "seaweedfs"],
        NO_WEED,
        "backend 'seaweedfs' (a `weed mini` process): PXB2_WEED_BINARY",
    ),
    "bench-no-binary": (
        [sys.executable, "scripts/bench.py", "--only", "suite"],
        NO_WEED,
        "backend 'seaweedfs'",
    ),
    "reliability-no-binary": (
        [sys.executable, "-m", "smoke.faults.matrix", "--only", "busy-outage"],
        NO_WEED,
        "backend 'seaweedfs'",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_backend_failure_is_a_message(name: str, tmp_path: Path) -> None:
    argv, extra, expected = CASES[name]
    env = {**os.environ, "TMPDIR": str(tmp_path), **extra}
    result = subprocess.run(
        argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    text = result.stdout + result.stderr
    assert result.returncode == 2, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert expected in text
    assert "Fix:" in text
    assert list(tmp_path.iterdir()) == []
