"""The botocore configuration every S3 client of this kit uses: what B2 accepts."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from botocore.config import Config

from infra.core import runtime_env


def b2_safe_config(*, connect_timeout: float, read_timeout: float, max_attempts: int) -> Config:
    """Checksums only when required (B2 rejects boto3's default ones), SigV4, path style.

    `max_attempts` counts the first try (botocore's `max_attempts` would count only retries).
    """
    return Config(
        request_checksum_calculation=runtime_env.CHECKSUM_SETTINGS[runtime_env.REQUEST_CHECKSUM],
        response_checksum_validation=runtime_env.CHECKSUM_SETTINGS[runtime_env.RESPONSE_CHECKSUM],
        signature_version="s3v4",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
    )


FLEXIBLE_CHECKSUM_HEADERS = ("x-amz-checksum-", "x-amz-sdk-checksum-algorithm")


def _content_md5_instead(request: Any, **_: Any) -> None:
    """Operations S3 declares checksum-required (PutObjectRetention, PutObjectLegalHold,
    DeleteObjects, ...) get a CRC32 header from botocore even under `when_required`; B2
    refuses it. Content-MD5 is the checksum every S3 service accepts."""
    names = [h for h in request.headers if h.lower().startswith(FLEXIBLE_CHECKSUM_HEADERS)]
    body = request.body or b""
    if not names or not isinstance(body, (bytes, str)):
        return  # nothing to replace, or a stream (never for these small XML bodies)
    data = body.encode() if isinstance(body, str) else body
    for name in names:
        del request.headers[name]
    request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324


def use_content_md5(client: Any) -> Any:
    """Make `client` send Content-MD5 instead of the flexible checksum headers B2 refuses."""
    client.meta.events.register("before-sign.s3", _content_md5_instead)
    return client
