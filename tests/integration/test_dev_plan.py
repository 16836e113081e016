"""The dev stack on a real SeaweedFS: every role works in its prefix and nowhere else."""

from __future__ import annotations

import stat

import psutil
import pytest

from infra.core.expectations import expectations_for, probe_prefix
from infra.core.runtime_env import KeyPair
from infra.core.stack_files import load_plan_for_stack
from infra.local import s3_client
from tests.integration.expectation_probes import (
    bucket_scoped_roles,
    mismatch,
    names_for,
)
from tests.integration.support import Running, assert_allowed, assert_denied, error_code

PLAN = load_plan_for_stack("dev")
ROLES = PLAN.roles
# The read-only account-wide roles (preview, auditor) exist on B2 only (see bucket_scoped_roles).
SCOPED = bucket_scoped_roles(PLAN)


@pytest.mark.parametrize("role", SCOPED)
def test_role_round_trip_in_its_prefix(dev_running: Running, role: str) -> None:
    client = dev_running.client(role)
    bucket = dev_running.deployment.bucket
    key = f"{probe_prefix(PLAN.key(role))}it-round-trip/{role}.txt"
    assert_allowed(lambda: client.put_object(Bucket=bucket, Key=key, Body=b"hello"), "put")
    body = assert_allowed(lambda: client.get_object(Bucket=bucket, Key=key)["Body"].read(), "get")
    assert body == b"hello"
    listed = assert_allowed(
        lambda: client.list_objects_v2(Bucket=bucket, Prefix=probe_prefix(PLAN.key(role))),
        "list",
    )
    assert key in {o["Key"] for o in listed.get("Contents", [])}
    assert_allowed(lambda: client.delete_object(Bucket=bucket, Key=key), "delete")
    assert error_code(lambda: client.get_object(Bucket=bucket, Key=key)) == "NoSuchKey"


@pytest.mark.parametrize("role", SCOPED)
def test_role_is_denied_on_the_decoy_bucket(dev_running: Running, role: str) -> None:
    client = dev_running.client(role)
    other = dev_running.deployment.other_bucket
    key = f"{probe_prefix(PLAN.key(role))}decoy.txt"
    assert error_code(lambda: client.list_objects_v2(Bucket=other)) == "AccessDenied"
    assert error_code(lambda: client.put_object(Bucket=other, Key=key, Body=b"x")) == (
        "AccessDenied"
    )
    assert_denied(lambda: client.head_bucket(Bucket=other), "HeadBucket on the decoy")
    assert_denied(lambda: client.get_object(Bucket=other, Key=key), "GetObject on the decoy")


@pytest.mark.parametrize("role", SCOPED)
def test_role_matches_its_expectation_table(dev_running: Running, role: str) -> None:
    deployment = dev_running.deployment
    client = dev_running.client(role)
    names = names_for(PLAN.key(role), deployment.bucket, deployment.other_bucket)
    problems = []
    for row in expectations_for(PLAN, role):
        problem = mismatch(client, row, names, deployment.unenforced)
        if problem:
            problems.append(problem)
    assert problems == []


def test_wrong_secret_and_unknown_key(dev_running: Running) -> None:
    deployment = dev_running.deployment
    good = deployment.credentials[ROLES[0]]
    wrong = KeyPair(good.access_key_id, good.secret_access_key + "x")
    unknown = KeyPair("PXB2NOSUCHKEY0000000", good.secret_access_key)
    for creds, expected in ((wrong, "SignatureDoesNotMatch"), (unknown, "InvalidAccessKeyId")):
        client = s3_client(deployment.endpoint, deployment.region, creds)
        assert error_code(lambda c=client: c.list_objects_v2(Bucket=deployment.bucket)) == (
            expected
        )


def test_server_listens_on_loopback_only(dev_running: Running) -> None:
    pid = dev_running.deployment.server_pid
    assert pid is not None
    listening = [
        c for c in psutil.Process(pid).net_connections(kind="inet") if c.status == "LISTEN"
    ]
    assert listening, "the server listens on nothing"
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}


def test_identities_file_is_private_and_secrets_stay_hidden(dev_running: Running) -> None:
    deployment = dev_running.deployment
    config = dev_running.workdir / "s3-identities.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    shown = repr(deployment) + str(deployment) + "".join(map(str, deployment.credentials.values()))
    log = (dev_running.workdir / "weed.log").read_text(errors="replace")
    for secret in deployment.all_secrets:
        assert secret not in shown
        assert secret not in log
    assert deployment.credentials.keys() == set(ROLES)
    assert len({c.access_key_id for c in deployment.credentials.values()}) == len(ROLES)
