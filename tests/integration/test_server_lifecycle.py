"""The server is stopped by its PID and its files removed: on exit, on apply and start failures."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import infra.local.deployment as deployment_module
from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from infra.local import LocalServerError, local_deployment, select_backend, weed_process
from infra.local.weed_process import find_weed_binary
from tests.integration.support import assert_stopped, checked_deployment, our_weed_processes

PLAN = load_plan_for_stack("dev")
FAKE_WEED = """#!/bin/bash
if [ "$1" = version ]; then echo "version 0.0 fake"; exit 0; fi
echo "$$ $*" > "$PXB2_TEST_RECORD"
echo "fake weed is starting"
{body}
"""


def test_context_exit_stops_server_and_removes_files() -> None:
    with checked_deployment(PLAN) as running:
        pid = running.deployment.server_pid
        assert pid is not None
        assert psutil.Process(pid).is_running()
        assert running.workdir.is_dir()
    # checked_deployment has asserted the PID, children and temp dir are gone; again here:
    assert pid is not None
    assert_stopped(pid, running.workdir)


def test_apply_failure_stops_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real server rejects a broken bucket policy while the plan is applied."""
    seen: dict[str, object] = {}
    real_apply = deployment_module.apply_plan

    def apply_with_broken_policy(admin, plan, bucket, other, policy, context):  # type: ignore[no-untyped-def]
        [server] = our_weed_processes()
        seen["pid"] = server.pid
        seen["workdir"] = Path(
            next(a for a in server.cmdline() if a.startswith("-dir=")).removeprefix("-dir=")
        ).parent
        broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}
        return real_apply(admin, plan, bucket, other, broken, context)

    monkeypatch.setattr(deployment_module, "apply_plan", apply_with_broken_policy)
    with pytest.raises(LocalServerError) as raised, local_deployment(PLAN, backend="seaweedfs"):
        pytest.fail("the deployment must not be handed out")
    message = str(raised.value)
    assert "set the bucket policy" in message
    assert "InvalidPolicyDocument" in message
    assert "--- last lines of weed.log ---" in message
    assert isinstance(seen.get("pid"), int), "no server was running while the plan was applied"
    assert_stopped(seen["pid"], seen["workdir"])  # type: ignore[arg-type]


def _fake_weed(tmp_path: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "bin" / "weed"
    script.parent.mkdir()
    script.write_text(FAKE_WEED.format(body=body))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    record = tmp_path / "record.txt"
    monkeypatch.setenv(weed_process.BINARY_VARIABLE, str(script))
    monkeypatch.setenv("PXB2_TEST_RECORD", str(record))
    return record


def _recorded(record: Path) -> tuple[int, Path]:
    pid, *arguments = record.read_text().split()
    data = next(a for a in arguments if a.startswith("-dir=")).removeprefix("-dir=")
    return int(pid), Path(data).parent


def test_server_that_never_answers_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _fake_weed(tmp_path, "exec sleep 60", monkeypatch)
    began = time.monotonic()
    with (
        pytest.raises(LocalServerError) as raised,
        local_deployment(PLAN, backend="seaweedfs", start_timeout=1.5),
    ):
        pytest.fail("the deployment must not be handed out")
    assert time.monotonic() - began < 10
    message = str(raised.value)
    assert "did not become ready" in message
    assert "fake weed is starting" in message  # the log tail is included
    pid, workdir = _recorded(record)
    assert_stopped(pid, workdir)


def test_server_ignoring_sigterm_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = _fake_weed(tmp_path, "trap '' TERM\nwhile true; do sleep 0.1; done", monkeypatch)
    monkeypatch.setattr(weed_process, "STOP_TIMEOUT", 1.0)
    with (
        pytest.raises(LocalServerError),
        local_deployment(PLAN, backend="seaweedfs", start_timeout=1.0),
    ):
        pytest.fail("the deployment must not be handed out")
    pid, workdir = _recorded(record)
    assert_stopped(pid, workdir)


def test_server_that_exits_at_once_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _fake_weed(tmp_path, "echo 'bind: address in a bad state' >&2\nexit 3", monkeypatch)
    with (
        pytest.raises(LocalServerError) as raised,
        local_deployment(PLAN, backend="seaweedfs", start_timeout=10),
    ):
        pytest.fail("the deployment must not be handed out")
    message = str(raised.value)
    assert "exited with code 3" in message
    assert "address in a bad state" in message
    pid, workdir = _recorded(record)
    assert_stopped(pid, workdir)


def test_missing_binary_is_a_clear_error() -> None:
    with pytest.raises(LocalServerError, match="not installed"):
        find_weed_binary(environ={}, distribution="pxb2-no-such-distribution")
    with pytest.raises(LocalServerError, match=weed_process.BINARY_VARIABLE):
        find_weed_binary(environ={weed_process.BINARY_VARIABLE: "/nonexistent/weed"})
    assert find_weed_binary(environ={}).name == "weed"


@pytest.fixture
def silent_daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DOCKER_HOST pointing at a socket that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{listener.getsockname()[1]}")
        yield


@pytest.mark.usefixtures("silent_daemon")
def test_auto_falls_back_to_seaweedfs_within_the_timeout() -> None:
    began = time.monotonic()
    assert select_backend("auto") == "seaweedfs"
    assert time.monotonic() - began < 3.0


def test_auto_without_a_docker_socket_is_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/pxb2/docker.sock")
    began = time.monotonic()
    assert select_backend("auto", docker_timeout=2.0) == "seaweedfs"
    assert time.monotonic() - began < 2.5


def test_forced_container_without_docker_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/pxb2/docker.sock")
    began = time.monotonic()
    with (
        pytest.raises(LocalServerError, match=r"'container'.* daemon failed: no Docker daemon"),
        local_deployment(PLAN, backend="container"),
    ):
        pytest.fail("the deployment must not be handed out")
    assert time.monotonic() - began < 6.0
    assert our_weed_processes() == []


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(LocalServerError, match="'seaweed' is not a local backend"):
        select_backend("seaweed")
    assert select_backend("seaweedfs") == "seaweedfs"


CHILD = """
import sys
from infra.local import local_deployment
from infra.local.weed_process import BINARY_VARIABLE
from infra.core.stack_files import load_plan_for_stack
from tests.integration.support import workdir_of

context = local_deployment(load_plan_for_stack("dev"), backend="seaweedfs")
deployment = context.__enter__()  # never exited: only atexit (or the kernel) can stop it
print(deployment.server_pid, workdir_of(deployment.server_pid), flush=True)
if sys.argv[1] == "hang":
    import time
    time.sleep(120)
"""


def _child(mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("PXB2_WEED_BINARY", None)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, mode],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def test_interpreter_exit_stops_a_server_left_running() -> None:
    child = _child("exit")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err[-2000:]
    pid, workdir = out.split()
    assert _wait_gone(int(pid), 5), "atexit did not stop the server"
    assert not Path(workdir).exists()


def test_killed_python_takes_its_server_along() -> None:
    """SIGKILL skips atexit; the kernel's parent-death signal still stops the server."""
    child = _child("hang")
    assert child.stdout is not None
    line = child.stdout.readline()
    pid, workdir = line.split()
    child.kill()
    child.communicate(timeout=30)
    try:
        assert _wait_gone(int(pid), 15), f"server {pid} outlived its killed parent"
    finally:
        if psutil.pid_exists(int(pid)):
            os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)  # nobody ran the clean-up: do it here
