"""The botocore configuration every S3 client of this kit uses: what B2 accepts."""

from __future__ import annotations

from botocore.config import Config

from infra import runtime_env


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
