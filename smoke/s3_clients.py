"""boto3 clients the suite owns: B2-safe checksum mode, short timeouts, request accounting."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3

from infra.core import runtime_env as env
from infra.s3_config import b2_safe_config, use_content_md5
from smoke.target import SmokeTarget

WHEN_REQUIRED = env.CHECKSUM_SETTINGS[env.REQUEST_CHECKSUM]


@dataclass
class RequestStats:
    """Counted with botocore event hooks: every HTTP attempt, every API call, upload bytes."""

    requests: int = 0
    api_calls: int = 0
    uploaded_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def retries(self) -> int:
        return max(0, self.requests - self.api_calls)

    def on_call(self, **_: Any) -> None:
        with self._lock:
            self.api_calls += 1

    def on_send(self, request: Any, **_: Any) -> None:
        size = 0
        if request.method in ("PUT", "POST"):
            size = int(request.headers.get("Content-Length") or 0)
        with self._lock:
            self.requests += 1
            self.uploaded_bytes += size


@functools.cache
def _shared_session() -> boto3.session.Session:
    """One session for the suite's clients: it loads the S3 service model once (about
    0.3 s per client otherwise). It holds no credentials; each client gets the target's."""
    return boto3.session.Session()


def make_client(
    target: SmokeTarget,
    stats: RequestStats,
    *,
    connect_timeout: float = 3.0,
    read_timeout: float = 10.0,
    max_attempts: int = 4,
) -> Any:
    """An S3 client for the target's role key that B2 will accept."""
    client = _shared_session().client(
        "s3",
        aws_access_key_id=target.credentials.access_key_id,
        aws_secret_access_key=target.credentials.secret_access_key,
        region_name=target.region,
        endpoint_url=target.endpoint,
        config=b2_safe_config(
            connect_timeout=connect_timeout, read_timeout=read_timeout, max_attempts=max_attempts
        ),
    )
    use_content_md5(client)
    client.meta.events.register("before-call.s3", stats.on_call)
    client.meta.events.register("before-send.s3", stats.on_send)
    return client


def uses_when_required(client: Any) -> bool:
    config = client.meta.config
    return (
        config.request_checksum_calculation == WHEN_REQUIRED
        and config.response_checksum_validation == WHEN_REQUIRED
    )
