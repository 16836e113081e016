"""A private Docker daemon for the container-backend tests: its own socket and directories
in a temporary directory, no bridge network, no iptables; stopped by PID with its
containerd, and handed to the run guard so a killed test run takes it along.

`python -m tests.docker_daemon -- CMD...` runs CMD with DOCKER_HOST set to such a daemon
(used to run ./scripts/demo against a daemon that has no registry).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from infra.local.run_guard import forget, guard, remove_path

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
# dockerd's own stop (SIGTERM) stops its containers and containerd; then SIGKILL the tree.
DAEMON_STOP = (("SIGTERM", 6.0), ("SIGKILL", 3.0))


class DaemonUnavailable(Exception):
    """No private Docker daemon can run here; the message says why."""


def _ping(host: str) -> bool:
    import docker

    try:
        client = docker.DockerClient(base_url=host, timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@contextlib.contextmanager
def private_docker_daemon(timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Start dockerd; yield its DOCKER_HOST; stop it and remove its directories."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise DaemonUnavailable(
            "dockerd is not installed (Debian: apt-get install docker.io; .ci/run installs it)"
        )
    if os.geteuid() != 0:
        raise DaemonUnavailable("dockerd needs root here, and the tests do not run as root")
    root = Path(tempfile.mkdtemp(prefix="pxb2-dockerd-", dir="/tmp"))  # short socket path
    run = guard()
    watched = [run.watch_path(root)]
    host = f"unix://{root}/docker.sock"
    log_path = root / "dockerd.log"
    with open(log_path, "wb") as log:
        daemon = subprocess.Popen(
            [
                dockerd,
                "--host",
                host,
                "--data-root",
                str(root / "data"),
                "--exec-root",
                str(root / "exec"),
                "--pidfile",
                str(root / "dockerd.pid"),
                "--bridge=none",
                "--iptables=false",
                "--ip-masq=false",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    watched.append(run.watch_process(daemon.pid, stop=DAEMON_STOP, tree=True))
    try:
        deadline = time.monotonic() + timeout
        while not _ping(host):
            if daemon.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace").splitlines()[-5:]
                raise DaemonUnavailable(
                    f"dockerd did not answer within {timeout:.0f} s "
                    f"(exit {daemon.poll()}): {' | '.join(tail)}"
                )
            time.sleep(0.2)
        yield host
    finally:
        _stop(daemon)
        remove_path(root)  # also detaches mounts a daemon leaves behind
        forget(*watched)


def _stop(daemon: subprocess.Popen[bytes]) -> None:
    import psutil

    try:
        family = [psutil.Process(daemon.pid), *psutil.Process(daemon.pid).children(recursive=True)]
    except psutil.Error:
        family = []
    daemon.terminate()
    try:
        daemon.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait(timeout=5)
    for process in family[1:]:
        with contextlib.suppress(psutil.Error):
            process.kill()


def containers_on(host: str) -> list[str]:
    """Names of every container on the daemon at `host`, running or not."""
    import docker

    client = docker.DockerClient(base_url=host, timeout=10)
    try:
        return [c.name for c in client.containers.list(all=True)]
    finally:
        client.close()


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    try:
        with private_docker_daemon() as host:
            print(f"private Docker daemon at {host}", file=sys.stderr, flush=True)
            environ = {**os.environ, "DOCKER_HOST": host}
            code = subprocess.run(command, env=environ, check=False).returncode
            left = containers_on(host)
            print(f"containers left on the daemon: {len(left)} {left}", file=sys.stderr)
            return code or (1 if left else 0)
    except DaemonUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
