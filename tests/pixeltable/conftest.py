"""Fixtures for the Pixeltable phase: S3 servers on 127.0.0.1, short-lived homes, leak checks."""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.core.runtime_env import KeyPair
from infra.core.stack_files import load_plan_for_stack
from infra.local import LocalDeployment, client_for, local_deployment, s3_client
from tests.pixeltable.pxt_support import stop_leftovers

MOTO_REGION = "us-east-1"
MOTO_KEY = ("pxb2-moto-fake-key-id", "pxb2-moto-fake-secret")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def b2_safe_client(endpoint: str, region: str, key_id: str, secret: str) -> Any:
    return s3_client(endpoint, region, KeyPair(key_id, secret))


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """An in-memory S3 (moto) on a free loopback port, stopped after the module."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_bucket(moto_endpoint: str) -> tuple[Any, str]:
    """A fresh bucket on the moto server and a B2-safe client for it."""
    client = b2_safe_client(moto_endpoint, MOTO_REGION, *MOTO_KEY)
    bucket = f"pxt-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


@pytest.fixture(scope="module")
def seaweed_dev() -> Iterator[LocalDeployment]:
    """SeaweedFS with the dev stack plan applied (infra.local), stopped after the module."""
    with local_deployment(load_plan_for_stack("dev"), backend="seaweedfs") as deployment:
        yield deployment


@pytest.fixture
def smoke_client(seaweed_dev: LocalDeployment) -> Any:
    return client_for(seaweed_dev, "smoke")


@pytest.fixture
def homes_parent() -> Iterator[Path]:
    """A short parent for Pixeltable homes (unix socket paths must stay short); leak-checked."""
    parent = Path(tempfile.mkdtemp(prefix="pxt-t-"))
    try:
        yield parent
    finally:
        leftovers = stop_leftovers(parent)
        shutil.rmtree(parent, ignore_errors=True)
        assert not leftovers, f"PostgreSQL left running under {parent}: PIDs {leftovers}"


@pytest.fixture
def fake_home() -> Iterator[Path]:
    """HOME for child processes; a ~/.pixeltable appearing there is a failure."""
    home = Path(tempfile.mkdtemp(prefix="pxt-home-user-"))
    try:
        yield home
        assert not (home / ".pixeltable").exists(), "Pixeltable wrote to ~/.pixeltable"
    finally:
        shutil.rmtree(home, ignore_errors=True)
