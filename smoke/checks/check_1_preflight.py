"""Preflight: configuration complete and the endpoint answers, within seconds."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from infra.core import runtime_env as env
from smoke.checks.identity import Group, check
from smoke.context import SmokeContext
from smoke.s3_clients import uses_when_required

CONNECT_TIMEOUT, READ_TIMEOUT = 2.0, 4.0


@check(Group.PREFLIGHT, "configuration")
def check_configuration(ctx: SmokeContext, note) -> None:
    target = ctx.target
    plan = target.plan
    if plan is not None and not plan.bucket.random_suffix:
        assert target.bucket == plan.bucket.name, (
            f"the bucket under test is {target.bucket!r} but stack {plan.stack!r} plans "
            f"{plan.bucket.name!r}. Fix: point {env.BUCKET} at the stack's bucket, or pass the "
            "matching --stack"
        )
    if plan is not None and target.is_b2:
        assert target.endpoint == plan.endpoint, (
            f"the endpoint is {target.endpoint} but stack {plan.stack!r} lives at "
            f"{plan.endpoint}. Fix: use the stack's endpoint output"
        )
    note(f"{target.source}: role {target.role!r}, bucket {target.bucket!r} at {target.endpoint}")


@check(Group.PREFLIGHT, "endpoint reachable")
def check_endpoint_reachable(ctx: SmokeContext) -> None:
    client = ctx.client(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, max_attempts=1)
    endpoint = ctx.target.endpoint
    try:
        client.head_bucket(Bucket=ctx.target.bucket)
    except ClientError:
        pass  # any S3 answer, even a refusal, proves the endpoint is up
    except (ConnectTimeoutError, EndpointConnectionError) as error:
        raise AssertionError(
            f"endpoint {endpoint} is unreachable ({type(error).__name__}). Fix: check "
            f"{env.ENDPOINT_URL}, DNS and the network path to it"
        ) from None
    except ConnectionClosedError:
        raise AssertionError(
            f"endpoint {endpoint} accepted the connection and closed it without an answer. "
            f"Fix: check that {env.ENDPOINT_URL} points at an S3 service (scheme and port); a "
            "proxy or load balancer may be cutting connections"
        ) from None
    except ReadTimeoutError:
        raise AssertionError(
            f"endpoint {endpoint} accepted the connection but did not answer within "
            f"{READ_TIMEOUT:.0f} s. Fix: check that {env.ENDPOINT_URL} points at an S3 service "
            "(a proxy or firewall may be holding the connection)"
        ) from None
    ctx.preflight_passed = True


@check(Group.PREFLIGHT, "checksum mode")
def check_checksum_mode(ctx: SmokeContext) -> None:
    wrong = [c for c in ctx.clients if not uses_when_required(c)]
    assert not wrong, f"{len(wrong)} S3 client(s) send checksum headers B2 rejects"
    runtime = ctx.target.runtime_environment()
    for name, value in env.CHECKSUM_SETTINGS.items():
        assert runtime.get(name) == value, (
            f"the runtime environment for Pixeltable lacks {name}={value}; B2 would reject "
            "its uploads"
        )
