"""`local_deployment(plan)`: a local S3 server with the stack plan applied, stopped on exit."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

from infra.core.plan_model import StackPlan
from infra.core.runtime_env import KeyPair
from infra.local import capabilities
from infra.local.apply import apply_plan
from infra.local.backend_choice import CONTAINER, select_backend
from infra.local.bucket_settings import decoy_bucket_name, local_bucket_name
from infra.local.model import LocalDeployment, LocalServerError, new_credentials
from infra.local.s3_client import s3_client
from infra.local.seaweed_access import bucket_policy, identities_document
from infra.local.weed_container import LOCAL_IMAGE, WeedContainer
from infra.local.weed_process import (
    DEFAULT_START_TIMEOUT,
    REGION,
    VERIFIED_VERSION,
    WeedServer,
    find_weed_binary,
    weed_version,
)

CHECKSUM_NOTE = (
    "The local server accepts the boto3 checksum headers that B2 rejects: a green local run "
    "does not prove B2 compatibility."
)


def plan_notes(plan: StackPlan, bucket: str) -> tuple[str, ...]:
    """Sentences for plan settings the local servers do not reproduce."""
    notes = []
    if plan.lifecycle:
        notes.append(
            "Lifecycle rules are stored and read back, but nothing is hidden or deleted by age "
            "locally."
        )
    if any(k.valid_duration_seconds for k in plan.keys):
        notes.append("Keys do not expire locally (validDays is not emulated).")
    if plan.bucket.public:
        notes.append("The bucket stays private locally; public (allPublic) reads are not emulated.")
    if plan.bucket.encryption is not None and plan.bucket.encryption.mode != "none":
        notes.append("Default encryption (SSE-B2) is not applied locally.")
    if plan.bucket.cors:
        notes.append("CORS rules are not applied locally.")
    if plan.bucket.name != plan.bucket.name.lower():
        notes.append(f"The bucket is named {bucket!r} locally (S3 servers refuse capitals).")
    return tuple(notes)


def _names(plan: StackPlan) -> tuple[str, str, dict[str, KeyPair], KeyPair]:
    token = secrets.token_hex(3)
    bucket = local_bucket_name(plan, token)
    credentials = {role: new_credentials() for role in plan.roles}
    return bucket, decoy_bucket_name(bucket, token), credentials, new_credentials("PXB2ADMIN")


@contextlib.contextmanager
def _seaweed_deployment(
    plan: StackPlan, start_timeout: float, backend: str
) -> Iterator[LocalDeployment]:
    """The same server, identities and bucket policy in a process or in a container."""
    bucket, other, credentials, admin = _names(plan)
    identities = identities_document(plan, bucket, credentials, admin)
    policy = bucket_policy(plan, bucket)
    secret_values = (admin.secret_access_key, *(c.secret_access_key for c in credentials.values()))
    server: WeedServer | WeedContainer
    if backend == CONTAINER:
        server = WeedContainer.start(
            identities, admin, secrets=secret_values, timeout=start_timeout
        )
        version = VERIFIED_VERSION if server.image == LOCAL_IMAGE else _image_version(server.image)
        log_name = server.log_name
    else:
        try:
            binary = find_weed_binary()
            server = WeedServer.start(
                identities, admin, secrets=secret_values, timeout=start_timeout, binary=binary
            )
        except LocalServerError as error:
            raise LocalServerError(
                f"backend {backend!r} (a `weed mini` process): {error}"
            ) from None
        version = weed_version(binary)
        log_name = server.log_path.name
    try:

        def context() -> str:
            return f"--- last lines of {log_name} ---\n{server.log_tail()}"

        client = s3_client(server.endpoint, REGION, admin)
        apply_plan(client, plan, bucket, other, policy, context)
        unenforced = capabilities.weed_unenforced()
        notes = list(capabilities.unenforced_notes(unenforced))
        notes += capabilities.holders_notes({c for k in plan.keys for c in k.capabilities})
        notes += plan_notes(plan, bucket)
        if version != VERIFIED_VERSION:
            notes.append(
                f"SeaweedFS {version or '(unknown version)'} is running; what it enforces was "
                f"established with {VERIFIED_VERSION}."
            )
        notes.append(CHECKSUM_NOTE)
        yield LocalDeployment(
            backend=backend,
            endpoint=server.endpoint,
            region=REGION,
            bucket=bucket,
            other_bucket=other,
            credentials=dict(credentials),
            admin=admin,
            unenforced=unenforced,
            notes=tuple(notes),
            server_pid=server.pid,
            container_id=server.container_id if isinstance(server, WeedContainer) else None,
        )
    finally:
        server.stop()


def _image_version(image: str) -> str:
    """The tag of an image reference (e.g. '4.48' of chrislusf/seaweedfs:4.48)."""
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else ""


@contextlib.contextmanager
def local_deployment(
    plan: StackPlan, backend: str = "auto", *, start_timeout: float = DEFAULT_START_TIMEOUT
) -> Iterator[LocalDeployment]:
    """Run a local S3 server with `plan` applied; stop it (and remove its files) on exit.

    backend: "seaweedfs" (a `weed` process), "container" (weed in Docker) or "auto"
    (container when a Docker daemon answers within 2 s, else seaweedfs). Raises
    LocalServerError with a one-paragraph explanation when the server cannot be found,
    started or configured.
    """
    with _seaweed_deployment(plan, start_timeout, select_backend(backend)) as deployment:
        yield deployment
