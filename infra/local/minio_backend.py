"""A MinIO container (testcontainers) with one user and policy per plan role.

Chosen only where a Docker daemon answers. NOT RUN in this project's build
environment (no Docker engine): this path is implemented, not tested.
Per-role users are created through MinIO's admin API with the `minio`
package's MinioAdmin (pure HTTP; no `mc` binary needed).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from infra.local.minio_access import minio_policy, policy_name
from infra.local.model import LocalServerError, RoleCredentials, redact
from infra.plan import StackPlan

IMAGE_VARIABLE = "PXB2_MINIO_IMAGE"
DEFAULT_IMAGE = "minio/minio:RELEASE.2025-04-22T22-12-26Z"
PORT = 9000
HEALTH_PATH = "/minio/health/live"


@contextlib.contextmanager
def running_minio(admin: RoleCredentials) -> Iterator[str]:
    """Start MinIO bound to 127.0.0.1 with `admin` as root; yield its endpoint; remove it."""
    try:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import HttpWaitStrategy
    except ImportError as error:
        raise LocalServerError(
            f"the MinIO backend needs testcontainers ({error}). Fix: pip install -e '.[local]', "
            "or use backend 'seaweedfs'."
        ) from None
    image = os.environ.get(IMAGE_VARIABLE, DEFAULT_IMAGE)
    container = DockerContainer(image, _wait_strategy=HttpWaitStrategy(PORT, HEALTH_PATH))
    container.with_env("MINIO_ROOT_USER", admin.access_key_id)
    container.with_env("MINIO_ROOT_PASSWORD", admin.secret_access_key)
    container.with_command(f"server /data --address :{PORT}")
    # Loopback only: docker publishes ("127.0.0.1",) on a random port of that address.
    container.ports[f"{PORT}/tcp"] = ("127.0.0.1",)  # type: ignore[assignment]
    try:
        container.start()
    except Exception as error:
        with contextlib.suppress(Exception):
            container.stop()
        raise LocalServerError(
            f"the MinIO container ({image}) did not start: "
            f"{redact(str(error), [admin.secret_access_key])[:400]}. Fix: check that Docker can "
            f"pull the image (or set {IMAGE_VARIABLE}), or use backend 'seaweedfs'."
        ) from None
    try:
        host = container.get_container_host_ip()
        host = "127.0.0.1" if host in ("localhost", "0.0.0.0") else host  # noqa: S104
        yield f"http://{host}:{container.get_exposed_port(PORT)}"
    finally:
        container.stop()


def create_role_users(
    endpoint: str,
    admin: RoleCredentials,
    plan: StackPlan,
    bucket: str,
    credentials: Mapping[str, RoleCredentials],
) -> None:
    """One MinIO user per role with its own policy attached."""
    try:
        from minio import MinioAdmin
        from minio.credentials import StaticProvider
    except ImportError:
        raise LocalServerError(
            "the MinIO backend needs the `minio` package for its admin API. Fix: "
            "pip install minio==7.2.20, or use backend 'seaweedfs'."
        ) from None
    client: Any = MinioAdmin(
        endpoint=endpoint.removeprefix("http://"),
        credentials=StaticProvider(admin.access_key_id, admin.secret_access_key),
        secure=False,
    )
    for key in plan.keys:
        creds = credentials[key.role]
        try:
            client.user_add(creds.access_key_id, creds.secret_access_key)
            client.policy_add(policy_name(key.role), policy=minio_policy(key, bucket))
            client.attach_policy([policy_name(key.role)], user=creds.access_key_id)
        except Exception as error:
            secrets = [admin.secret_access_key, creds.secret_access_key]
            raise LocalServerError(
                f"creating the MinIO user for role {key.role!r} failed: "
                f"{redact(str(error), secrets)[:400]}. Fix: use a MinIO release with the "
                f"policy admin API (set {IMAGE_VARIABLE}), or use backend 'seaweedfs'."
            ) from None
