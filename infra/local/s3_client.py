"""boto3 clients for a local deployment, configured the way B2 needs them."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from infra.core.runtime_env import KeyPair
from infra.local.model import LocalDeployment
from infra.s3_config import b2_safe_config

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 15.0
MAX_ATTEMPTS = 3  # the first try and two retries


def client_config(
    connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT
) -> Config:
    """The kit's B2-safe configuration, with the local server's timeouts."""
    return b2_safe_config(
        connect_timeout=connect_timeout, read_timeout=read_timeout, max_attempts=MAX_ATTEMPTS
    )


def s3_client(
    endpoint: str,
    region: str,
    credentials: KeyPair,
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=client_config(connect_timeout, read_timeout),
    )


def client_for(deployment: LocalDeployment, role: str | None = None, **timeouts: float) -> Any:
    """A client for one role of the deployment, or for its admin when `role` is None."""
    credentials = deployment.admin if role is None else deployment.credentials[role]
    return s3_client(deployment.endpoint, deployment.region, credentials, **timeouts)
