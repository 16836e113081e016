"""Whatever ends a run, nothing it started survives: SIGKILL of `python -m smoke` while the
server starts, during the Pixeltable ingest and during clean-up, and a CI cancellation
(SIGINT, SIGTERM 7 s later, SIGKILL 3 s after that). Within 10 s no process of the run is
left; its temporary directory is gone at the latest after the next start."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from infra.core.stack_files import PROJECT_ROOT
from infra.local import run_guard

GONE_WITHIN = 10.0
WAIT_FOR_POINT = 120.0
CANCEL_SEQUENCE = ((signal.SIGINT, 7.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 0.0))


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A TMPDIR short enough for the unix sockets of weed and PostgreSQL nested in it."""
    path = Path(tempfile.mkdtemp(prefix="pxb2t-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


SMOKE = (sys.executable, "-m", "smoke", "--local", "--backend", "seaweedfs")
# The other entry points, each killed while its first server starts.
ENTRY_POINTS = {
    "demo": ("./scripts/demo", "--backend", "seaweedfs", "--only", "preflight"),
    "bench": (sys.executable, "scripts/bench.py", "--only", "suite"),  # starts a server first
    "reliability": (sys.executable, "-m", "smoke.faults.matrix", "--only", "busy-outage"),
}


class SmokeRun:
    """An entry point (`python -m smoke --local ARGS` by default) in its own TMPDIR, its
    output collected line by line."""

    def __init__(self, tmp: Path, *args: str, entry: tuple[str, ...] = SMOKE) -> None:
        self.tmp = tmp
        env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
        env.pop("PXB2_WEED_BINARY", None)
        self.process = subprocess.Popen(
            [*entry, *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def run_dir(self) -> Path | None:
        found = list(self.tmp.glob(run_guard.RUN_PREFIX + "*"))
        return found[0] if found else None

    def manifest(self) -> list[dict]:
        run_dir = self.run_dir()
        if run_dir is None:
            return []
        try:
            text = (run_dir / run_guard.MANIFEST_FILE).read_text()
        except OSError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.endswith("}")]

    def wait_for(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_FOR_POINT
        while not ready():
            if self.process.poll() is not None:
                pytest.fail(f"the run ended before {what}:\n{''.join(self.lines)[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {WAIT_FOR_POINT:.0f} s")
            time.sleep(0.05)

    def family(self) -> list[psutil.Process]:
        """Every process the run started: its descendants, what its manifest names, and the
        PostgreSQL of any Pixeltable home (which daemonises, so is no descendant)."""
        found = [psutil.Process(self.process.pid)]
        found += found[0].children(recursive=True)
        for entry in self.manifest():
            if entry["op"] == "process":
                pid = entry["pid"]
            elif entry["op"] == "pidfile":
                pid = _first_line_pid(Path(entry["path"]))
            else:
                continue
            if pid and psutil.pid_exists(pid):
                found.append(psutil.Process(pid))
        return found


def _first_line_pid(path: Path) -> int | None:
    try:
        first = path.read_text().splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    return int(first) if first.isdigit() else None


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _assert_nothing_left(run: SmokeRun, family: list[psutil.Process]) -> None:
    run.process.wait(timeout=30)
    deadline = time.monotonic() + GONE_WITHIN
    while time.monotonic() < deadline and any(_alive(p) for p in family):
        time.sleep(0.1)
    left = [f"{p.pid} {p.name()}" for p in family if _alive(p)]
    for process in family:  # never leave them to the rest of the suite
        if _alive(process):
            process.kill()
    assert not left, f"still running {GONE_WITHIN:.0f} s after the run ended: {left}"
    # The next start reaps whatever the run left in TMPDIR.
    env = {**os.environ, "TMPDIR": str(run.tmp)}
    next_start = "from infra.local.run_guard import guard; guard()"
    subprocess.run([sys.executable, "-c", next_start], cwd=PROJECT_ROOT, env=env, check=True)
    assert list(run.tmp.iterdir()) == [], "temporary files outlived the next start"


def _kill(run: SmokeRun) -> None:
    family = run.family()
    run.process.send_signal(signal.SIGKILL)
    _assert_nothing_left(run, family)


def _server_entry(run: SmokeRun) -> bool:
    return any(e["op"] == "process" for e in run.manifest())


def test_sigkill_while_the_server_starts(short_tmp: Path) -> None:
    run = SmokeRun(short_tmp, "--only", "preflight")
    run.wait_for("weed started", lambda: _server_entry(run))
    _kill(run)


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_sigkill_of_other_entry_points_while_the_server_starts(short_tmp: Path, name: str) -> None:
    run = SmokeRun(short_tmp, entry=ENTRY_POINTS[name])
    run.wait_for("weed started", lambda: _server_entry(run))
    _kill(run)


def test_sigkill_during_cleanup(short_tmp: Path) -> None:
    """The summary is printed inside the server's context: right after it, the run stops
    its server and removes its files."""
    run = SmokeRun(short_tmp, "--only", "preflight")
    run.wait_for("the summary line", lambda: any(" passed, " in line for line in run.lines))
    _kill(run)


def test_sigkill_during_pixeltable_ingest(short_tmp: Path) -> None:
    run = SmokeRun(short_tmp, "--embedding", "tiny", "--only", "preflight,pixeltable")

    def postgres_up() -> bool:
        return any(
            e["op"] == "pidfile" and _first_line_pid(Path(e["path"])) for e in run.manifest()
        )

    run.wait_for("Pixeltable's PostgreSQL", postgres_up)
    time.sleep(0.5)  # the first insert runs
    postgres = [p for p in run.family() if p.name() in run_guard.POSTGRES_NAMES]
    assert postgres, "no PostgreSQL found in the run"
    _kill(run)


def test_ci_cancellation_sequence(short_tmp: Path) -> None:
    run = SmokeRun(short_tmp, "--only", "preflight,connectivity,scoping")
    run.wait_for(
        "the suite started", lambda: any("smoke[/]" in x or "smoke run" in x for x in run.lines)
    )
    family = run.family()
    for sig, pause in CANCEL_SEQUENCE:
        if run.process.poll() is not None:
            break
        run.process.send_signal(sig)
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline and run.process.poll() is None:
            time.sleep(0.05)
    _assert_nothing_left(run, family)


# ---------------------------------------------------------------- the reaper and caches


def test_reaper_stops_what_a_dead_run_left(tmp_path: Path) -> None:
    """Owner and watchdog both gone (e.g. a process group SIGKILLed): the next start stops the
    processes the manifest names and removes the run dir and its paths."""
    orphan = subprocess.Popen(["sleep", "300"], start_new_session=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "data").write_text("x")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_dir = tmp_path / f"{run_guard.RUN_PREFIX}{dead.pid}-test"
    run_dir.mkdir()
    (run_dir / run_guard.OWNER_FILE).write_text(json.dumps({"pid": dead.pid, "start": 1.0}))
    entries = [
        {"op": "process", "key": "p", "pid": orphan.pid, "start": run_guard.start_time(orphan.pid)},
        {"op": "path", "key": "d", "path": str(outside)},
    ]
    (run_dir / run_guard.MANIFEST_FILE).write_text("".join(json.dumps(e) + "\n" for e in entries))
    try:
        assert run_guard.reap_leftovers(tmp_path) == [run_dir]
        orphan.wait(timeout=GONE_WITHIN)
        assert list(tmp_path.iterdir()) == []
    finally:
        if orphan.poll() is None:
            orphan.kill()


def test_reaper_spares_a_live_run(tmp_path: Path) -> None:
    run_dir = tmp_path / f"{run_guard.RUN_PREFIX}{os.getpid()}-test"
    run_dir.mkdir()
    owner = {"pid": os.getpid(), "start": run_guard.start_time(os.getpid())}
    (run_dir / run_guard.OWNER_FILE).write_text(json.dumps(owner))
    assert run_guard.reap_leftovers(tmp_path) == []
    assert run_dir.is_dir()


def test_reaper_ignores_a_reused_pid(tmp_path: Path) -> None:
    """Same PID, other start time: the owner is gone, the live process is not touched."""
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        run_dir = tmp_path / f"{run_guard.RUN_PREFIX}reused"
        run_dir.mkdir()
        (run_dir / run_guard.OWNER_FILE).write_text(json.dumps({"pid": os.getpid(), "start": 1}))
        entry = {"op": "process", "key": "p", "pid": bystander.pid, "start": 1.0}
        (run_dir / run_guard.MANIFEST_FILE).write_text(json.dumps(entry) + "\n")
        assert run_guard.reap_leftovers(tmp_path) == [run_dir]
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_deep_tmpdir_keeps_room_for_unix_sockets() -> None:
    deep = Path("/tmp", "d" * (run_guard.SOCKET_PATH_MAX - run_guard.SOCKET_ROOM))
    changes = run_guard.cache_environment(deep, {})
    assert "TMPDIR" not in changes
    assert changes["TORCHINDUCTOR_CACHE_DIR"] == str(deep / "torchinductor")


def test_caches_go_into_the_run_dir_unless_set() -> None:
    run_dir = Path("/tmp/pxb2-run-test")
    changes = run_guard.cache_environment(run_dir, {"HF_HOME": "/data/hf"})
    assert changes["TMPDIR"] == str(run_dir)
    assert "HF_HOME" not in changes
    for name, _ in run_guard.CACHE_VARIABLES:
        if name != "HF_HOME":
            assert Path(changes[name]).parent == run_dir
