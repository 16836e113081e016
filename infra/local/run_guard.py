"""Whatever ends a run, what it started is stopped and what it wrote is removed.

One mechanism for every entry point (smoke CLI, demo, bench, reliability runner) and
the test fixtures:

- Per process, a run directory `$TMPDIR/pxb2-run-*` holds `owner.json` (owner and
  watchdog PID with their start times) and `manifest.jsonl` (every process, PID file,
  container and path the run asked to have cleaned up).
- A small watchdog process (this file, run as a script; stdlib and psutil only) reads
  the same entries from a pipe. When the pipe closes, because the owner exited or was
  SIGKILLed, it stops the containers, then the processes (in parallel, each with its
  own signal sequence), then removes the paths and the run directory.
- At start-up, `reap_leftovers()` cleans up run directories whose owner and watchdog
  are both gone (e.g. a whole process group was SIGKILLed), from their manifest.
- `run_scope()` (entry points only) also points TMPDIR and library caches (torch
  inductor, Hugging Face, matplotlib, XDG) into the run directory unless the user set
  them, so nothing a library writes stays in TMPDIR.

Processes are matched by PID and start time, so a reused PID is never signalled.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

RUN_PREFIX = "pxb2-run-"
OWNER_FILE = "owner.json"
MANIFEST_FILE = "manifest.jsonl"
WATCHDOG_LOG = "watchdog.log"
CLOSE_TIMEOUT = 30.0
YOUNG_DIR_SECONDS = 10.0  # a run dir this new may still be writing its owner file
START_TIME_TOLERANCE = 0.05
# (signal name, seconds to wait for exit) tried in order; the last one is always SIGKILL.
TERMINATE = (("SIGTERM", 4.0), ("SIGKILL", 3.0))
POSTGRES_STOP = (("SIGINT", 3.0), ("SIGQUIT", 2.0), ("SIGKILL", 2.0))
POSTGRES_NAMES = ("postgres", "postmaster")
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux, 104 on macOS
# What servers nest below a temp dir before their unix socket: weed's
# pxb2-weed-XXXXXXXX/filer.sock, PostgreSQL's pxt-home-XXXXXXXX/pgdata/.s.PGSQL.5432.
SOCKET_ROOM = 40
# Library caches that default to TMPDIR or a shared per-user folder; (variable, subfolder).
CACHE_VARIABLES = (
    ("TORCHINDUCTOR_CACHE_DIR", "torchinductor"),
    ("TRITON_CACHE_DIR", "triton"),
    ("HF_HOME", "huggingface"),
    ("MPLCONFIGDIR", "matplotlib"),
    ("XDG_CACHE_HOME", "xdg-cache"),
)


# ---------------------------------------------------------------- cleanup actions (both sides)


def _process(pid: int, start: float | None) -> Any:
    """The psutil process with that PID and start time, or None if it is gone or reused."""
    import psutil

    try:
        process = psutil.Process(pid)
        if start is not None and abs(process.create_time() - start) > START_TIME_TOLERANCE:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.Error:
        return None
    return process


def start_time(pid: int) -> float | None:
    """The start time of `pid` (seconds since the epoch), None if it is not running."""
    process = _process(pid, None)
    return None if process is None else process.create_time()


def _alive(pid: Any, start: Any) -> bool:
    return isinstance(pid, int) and _process(pid, start) is not None


def _stop_processes(processes: list[Any], sequence: Sequence[Sequence[Any]]) -> None:
    import psutil

    for name, seconds in sequence:
        alive = []
        for process in processes:
            with contextlib.suppress(psutil.Error):
                process.send_signal(getattr(signal, name))
                alive.append(process)
        _, processes = psutil.wait_procs(alive, timeout=seconds)
        if not processes:
            return


def _postmaster(pidfile: Path) -> Any:
    """The PostgreSQL server named in `pidfile` (its first line) if it serves that pgdata."""
    try:
        first = pidfile.read_text().splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    if not first.isdigit():
        return None
    process = _process(int(first), None)
    if process is None:
        return None
    import psutil

    try:
        if process.name() not in POSTGRES_NAMES:
            return None
        pgdata = str(pidfile.parent)
        if not any(pgdata in arg for arg in process.cmdline()):
            return None
    except psutil.AccessDenied:
        return process
    except psutil.Error:
        return None
    return process


def _stop_entry(entry: Mapping[str, Any]) -> None:
    """Stop one process entry (with its descendants when `tree`), or a PID file's server."""
    import psutil

    if entry["op"] == "pidfile":
        process = _postmaster(Path(entry["path"]))
    else:
        process = _process(entry["pid"], entry.get("start"))
    if process is None:
        return
    victims = [process]
    if entry.get("tree"):
        with contextlib.suppress(psutil.Error):
            victims += process.children(recursive=True)
    _stop_processes(victims[:1], entry.get("stop") or TERMINATE)
    leftovers = [p for p in victims[1:] if p.is_running()]
    if leftovers:
        _stop_processes(leftovers, TERMINATE[-1:])


def _remove_container(entry: Mapping[str, Any]) -> None:
    try:
        import docker

        client = docker.DockerClient(base_url=entry["docker_host"], timeout=5)
        try:
            client.containers.get(entry["id"]).remove(force=True)
        finally:
            client.close()
    except Exception:  # noqa: S110 - daemon or container already gone: nothing to remove
        pass


def _unmount_below(path: Path) -> None:
    """Detach mounts a killed daemon left under `path` (overlay, shm) so it can be removed."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return
    prefix = str(path.resolve()) + "/"
    points = [line.split()[1] for line in lines if len(line.split()) > 1]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False, timeout=10)


def remove_path(path: Path) -> None:
    if not path.exists() and not path.is_symlink():
        return
    _unmount_below(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def clean_up(entries: Iterable[Mapping[str, Any]]) -> None:
    """Containers first, then every process at once, then paths (latest first)."""
    live: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        if entry["op"] == "forget":
            live.pop(entry["key"], None)
        else:
            live[entry["key"]] = entry
    ordered = list(live.values())
    for entry in ordered:
        if entry["op"] == "container":
            _remove_container(entry)
    workers = [
        threading.Thread(target=_stop_entry, args=(e,), daemon=True)
        for e in ordered
        if e["op"] in ("process", "pidfile")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=15)
    for entry in reversed(ordered):
        if entry["op"] == "path":
            remove_path(Path(entry["path"]))
        elif entry["op"] == "glob":
            for match in Path(entry["path"]).glob(entry["pattern"]):
                remove_path(match)


def _read_manifest(run_dir: Path) -> list[dict[str, Any]]:
    entries = []
    try:
        lines = (run_dir / MANIFEST_FILE).read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        with contextlib.suppress(ValueError):
            entries.append(json.loads(line))
    return entries


def reap_leftovers(root: Path | None = None) -> list[Path]:
    """Clean up run directories in `root` whose owner and watchdog are both gone."""
    root = Path(tempfile.gettempdir()) if root is None else root
    reaped = []
    for run_dir in sorted(root.glob(RUN_PREFIX + "*")):
        try:
            owner = json.loads((run_dir / OWNER_FILE).read_text())
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                if time.time() - run_dir.stat().st_mtime > YOUNG_DIR_SECONDS:
                    remove_path(run_dir)
                    reaped.append(run_dir)
            continue
        if _alive(owner.get("pid"), owner.get("start")) or _alive(
            owner.get("watchdog_pid"), owner.get("watchdog_start")
        ):
            continue
        clean_up(_read_manifest(run_dir))
        remove_path(run_dir)
        reaped.append(run_dir)
    return reaped


# ---------------------------------------------------------------- the owner's side


class RunGuard:
    """This process's run directory and watchdog; tell it what to clean up."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(tempfile.gettempdir()) if root is None else root
        reap_leftovers(self.root)
        self.run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=self.root))
        self._lock = threading.Lock()
        self._count = 0
        self._closed = False
        log = open(self.run_dir / WATCHDOG_LOG, "wb")  # noqa: SIM115 - handed to the child
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve())],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C or a CI job's group signal spares it
                cwd=self.root,
            )
        finally:
            log.close()
        owner = {
            "pid": os.getpid(),
            "start": start_time(os.getpid()),
            "watchdog_pid": self._watchdog.pid,
            "watchdog_start": start_time(self._watchdog.pid),
        }
        (self.run_dir / OWNER_FILE).write_text(json.dumps(owner))
        self.watch_path(self.run_dir)

    @property
    def watchdog_pid(self) -> int:
        return self._watchdog.pid

    def _send(self, entry: dict[str, Any]) -> str:
        with self._lock:
            if self._closed:
                raise RuntimeError("the run guard is closed")
            if "key" not in entry:
                self._count += 1
                entry["key"] = f"{entry['op']}-{self._count}"
            line = json.dumps(entry) + "\n"
            with open(self.run_dir / MANIFEST_FILE, "a") as manifest:
                manifest.write(line)
            assert self._watchdog.stdin is not None
            # A watchdog someone killed: the manifest still lets the next start reap it.
            with contextlib.suppress(OSError, ValueError):
                self._watchdog.stdin.write(line.encode())
                self._watchdog.stdin.flush()
            return entry["key"]

    def watch_process(
        self, pid: int, *, stop: Sequence[tuple[str, float]] = TERMINATE, tree: bool = False
    ) -> str:
        """Stop `pid` (and with `tree` its descendants) if it outlives the run."""
        started = start_time(pid)
        if started is None:  # already gone: never name a PID that may be reused
            return ""
        return self._send(
            {"op": "process", "pid": pid, "start": started, "stop": stop, "tree": tree}
        )

    def watch_postgres(self, pgdata: Path) -> str:
        """Stop whatever PostgreSQL serves `pgdata` (by its postmaster.pid) at the end."""
        pidfile = str(pgdata.resolve() / "postmaster.pid")
        return self._send({"op": "pidfile", "path": pidfile, "stop": POSTGRES_STOP})

    def watch_container(self, container_id: str, docker_host: str) -> str:
        return self._send({"op": "container", "id": container_id, "docker_host": docker_host})

    def watch_path(self, path: Path) -> str:
        return self._send({"op": "path", "path": str(Path(path).resolve())})

    def watch_glob(self, directory: Path, pattern: str) -> str:
        """Remove what matches `pattern` in `directory` (files a program puts in fixed places)."""
        return self._send({"op": "glob", "path": str(directory), "pattern": pattern})

    def forget(self, key: str) -> None:
        """What `key` named was stopped or removed normally."""
        if not key:
            return
        with contextlib.suppress(RuntimeError, OSError, ValueError):
            self._send({"op": "forget", "key": key})

    def close(self) -> None:
        """Let the watchdog clean up now and wait for it (normal end of the process)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        with contextlib.suppress(OSError, ValueError):
            assert self._watchdog.stdin is not None
            self._watchdog.stdin.close()
        try:
            self._watchdog.wait(timeout=CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._watchdog.kill()
            self._watchdog.wait(timeout=5)
        remove_path(self.run_dir)


_GUARD: RunGuard | None = None
_GUARD_LOCK = threading.Lock()


def guard() -> RunGuard:
    """This process's run guard, started on first use and closed at interpreter exit."""
    global _GUARD
    with _GUARD_LOCK:
        if _GUARD is None or _GUARD._closed:
            _GUARD = RunGuard()
            atexit.register(_GUARD.close)
        return _GUARD


def forget(*keys: str) -> None:
    """Tell this process's guard (if still open) that these were cleaned up normally."""
    current = _GUARD
    if current is not None and not current._closed:
        for key in keys:
            current.forget(key)


def cache_environment(run_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """TMPDIR and every library cache the user has not set, inside `run_dir`.

    TMPDIR moves only where the servers' unix sockets still fit below the run dir; under a
    deeper TMPDIR our own temp dirs stay at its top level, each one known to the watchdog.
    """
    changes = {}
    if len(str(run_dir)) + SOCKET_ROOM <= SOCKET_PATH_MAX:
        changes["TMPDIR"] = str(run_dir)
    for name, folder in CACHE_VARIABLES:
        if not environ.get(name):
            changes[name] = str(run_dir / folder)
    return changes


@contextlib.contextmanager
def temporary_directory(prefix: str) -> Iterator[Path]:
    """tempfile.TemporaryDirectory that the watchdog removes if the process dies first."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    key = guard().watch_path(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        forget(key)


@contextlib.contextmanager
def run_scope() -> Iterator[RunGuard]:
    """An entry point's run: temp files and caches in the run directory, all gone after."""
    run = guard()
    saved_tempdir = tempfile.tempdir
    with environment(cache_environment(run.run_dir, os.environ)):
        tempfile.tempdir = None  # re-read TMPDIR
        try:
            yield run
        finally:
            tempfile.tempdir = saved_tempdir


@contextlib.contextmanager
def environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Set the variables (None: unset) for the block; every old value comes back after."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        set_environment(changes)
        yield
    finally:
        set_environment(saved)


def set_environment(values: Mapping[str, str | None]) -> None:
    """Set each variable, or unset it where the value is None."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# ---------------------------------------------------------------- the watchdog process


def _watchdog_main() -> None:
    """Collect entries from stdin until it closes (or SIGTERM), then clean up everything."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    entries: list[dict[str, Any]] = []
    stop = threading.Event()

    def reader() -> None:
        for raw in sys.stdin.buffer:
            with contextlib.suppress(ValueError):
                entries.append(json.loads(raw))
        stop.set()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=reader, daemon=True).start()
    while not stop.wait(1.0):
        pass
    clean_up(list(entries))


if __name__ == "__main__":
    _watchdog_main()
