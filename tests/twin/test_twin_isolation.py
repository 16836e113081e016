"""The twin changes nothing outside its namespace, runs in parallel, and stops with its run."""

from __future__ import annotations

import hashlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from infra.local import twin_core
from infra.local.twin import main as twin_main
from infra.local.twin import unavailable_reason

pytestmark = pytest.mark.skipif(
    unavailable_reason() is not None, reason=f"the B2 twin cannot run here: {unavailable_reason()}"
)

HOST = twin_core.service_host(load_plan_for_stack("dev"))
# Inside: the name resolves to loopback, TLS verifies against the run's CA, B2 mode answers.
INSIDE = f"""
import os, socket, ssl, sys, time
assert socket.gethostbyname({HOST!r}) == "127.0.0.1"
context = ssl.create_default_context(cafile=os.environ["AWS_CA_BUNDLE"])
with socket.create_connection(({HOST!r}, 443), timeout=5) as raw:
    with context.wrap_socket(raw, server_hostname={HOST!r}) as tls:
        tls.sendall(b"GET / HTTP/1.1\\r\\nHost: {HOST}\\r\\nConnection: close\\r\\n\\r\\n")
        head = tls.recv(200)
assert head.startswith(b"HTTP/1.1 "), head
print("inside ok", flush=True)
time.sleep(float(sys.argv[1]))
"""


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _resolves_outside(name: str) -> bool:
    try:
        socket.getaddrinfo(name, 443)
    except socket.gaierror:
        return False
    return True


def _port_open_outside(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _twin(sleep: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "infra.local.twin", "--stack", "dev", "--"),
            *(sys.executable, "-c", INSIDE, str(sleep)),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen[str], text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if text in line:
            return
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no {text!r} line; stderr: {process.stderr.read()[-2000:]}")


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def test_two_twins_run_at_once_change_nothing_outside_and_stop_with_their_run() -> None:
    hosts_before = _digest("/etc/hosts")
    assert not _resolves_outside(HOST)
    assert not _port_open_outside(443)
    finishing, killed = _twin(8), _twin(60)
    try:
        _wait_for_line(killed, "inside ok", 90)
        _wait_for_line(finishing, "inside ok", 90)
        # Both are up at once, each with its own 443: the first still sleeps.
        assert finishing.poll() is None
        assert killed.poll() is None
        processes = _tree(killed.pid)
        assert any(p.name() == "weed" for p in processes)
        workdirs = [
            Path(arg)
            for p in processes
            for arg in p.cmdline()
            if Path(arg).name.startswith("pxb2-twin-")
        ]
        assert workdirs
        assert all(w.is_dir() for w in workdirs)
        # While they run: the machine's hosts file, name resolution and port 443 are unchanged.
        assert _digest("/etc/hosts") == hosts_before
        assert not _resolves_outside(HOST)
        assert not _port_open_outside(443)
        _, stderr = finishing.communicate(timeout=120)
        assert finishing.returncode == 0, stderr[-2000:]
        # A run killed outright takes its twin with it: the server, the proxy, the weed.
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        _, alive = psutil.wait_procs(processes, timeout=30)
        assert not alive, f"left running: {[(p.pid, p.name()) for p in alive]}"
    finally:
        for process in (finishing, killed):
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert _digest("/etc/hosts") == hosts_before
    assert not _resolves_outside(HOST)
    assert not _port_open_outside(443)
    assert not [w for w in workdirs if w.exists()], "the killed run's twin left its files"


def test_bad_invocations_exit_2_naming_the_option_and_the_fix(tmp_path, capsys) -> None:
    cases = {
        ("--stack", "dev"): "no command given",
        ("--stack", "nosuch", "--", "true"): "--stack",
        ("--stack", "dev", "--role", "nobody", "--", "true"): "--role 'nobody'",
        ("--file", str(tmp_path / "missing.yaml"), "--", "true"): "--file",
    }
    for argv, named in cases.items():
        assert twin_main(list(argv)) == 2, argv
        stderr = capsys.readouterr().err
        assert named in stderr, (argv, stderr)
        assert "fix" in stderr.lower(), (argv, stderr)
        assert "Traceback" not in stderr, (argv, stderr)
