"""Helpers for the Pixeltable tests: child processes, and PostgreSQL leak checks by PID."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from tests.pixeltable.pxt_child import RESULT_PREFIX

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 240.0


@dataclass
class ChildRun:
    returncode: int
    output: str  # stdout and stderr together
    result: dict[str, Any] | None


def child_env(fake_home: Path) -> dict[str, str]:
    """The child's environment: offline model loading, and a HOME that shows ~/.pixeltable leaks."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIXELTABLE_", "AWS_"))}
    environ.update(
        HOME=str(fake_home),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONPATH=str(PROJECT_ROOT),
        PYTHONUNBUFFERED="1",
    )
    return environ


def start_child(mode: str, config: dict[str, Any], fake_home: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.pixeltable.pxt_child", mode],
        cwd=PROJECT_ROOT,
        env=child_env(fake_home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(config))
    process.stdin.close()
    process.stdin = None  # communicate() must not touch the closed pipe
    return process


def finish_child(
    process: subprocess.Popen, timeout: float = CHILD_TIMEOUT, already_read: str = ""
) -> ChildRun:
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    output = already_read + output
    result = None
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
    return ChildRun(process.returncode, output, result)


def run_child(mode: str, config: dict[str, Any], fake_home: Path) -> ChildRun:
    return finish_child(start_child(mode, config, fake_home))


def process_gone(pid: int) -> bool:
    """Exited, or a zombie nobody reaped yet (this sandbox's init reaps lazily)."""
    try:
        process = psutil.Process(pid)
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def postgres_under(parent: Path) -> list[int]:
    """Live postgres processes whose command line names a directory under `parent`."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        if process.info["name"] != "postgres" or process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if any(str(parent) in arg for arg in process.info["cmdline"] or ()):
            found.append(process.pid)
    return found


def stop_leftovers(parent: Path) -> list[int]:
    """Stop (by PID) any postgres a failed test left under `parent`; returns their PIDs."""
    leftovers = postgres_under(parent)
    for pid in leftovers:
        try:
            psutil.Process(pid).send_signal(signal.SIGINT)
            psutil.Process(pid).wait(10)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            psutil.Process(pid).kill()
    return leftovers
