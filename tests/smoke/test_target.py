"""Target resolution from the environment and from stack outputs: clear usage errors."""

from __future__ import annotations

import pytest

from infra.core import runtime_env as env
from infra.core.stack_files import load_plan_for_stack
from smoke.stack_outputs import bundle_for_role
from smoke.target import UsageError, region_for, target_from_bundle, target_from_environment

SECRET = "SENTINEL-secret-value-0123456789"
GOOD = {
    env.ACCESS_KEY_ID: "0040000000000000000000001",
    env.SECRET_ACCESS_KEY: SECRET,
    env.ENDPOINT_URL: "https://s3.us-west-004.backblazeb2.com",
    env.BUCKET: "acme-pxt-media-dev",
}


def test_complete_environment_gives_a_target_without_leaking_the_secret() -> None:
    target = target_from_environment(GOOD, plan=load_plan_for_stack("dev"), role="smoke")
    assert target.region == "us-west-004"
    assert target.is_b2
    assert target.prefix == load_plan_for_stack("dev").key("smoke").name_prefix
    assert SECRET not in repr(target)
    assert target.runtime_environment()[env.REQUEST_CHECKSUM] == "when_required"


def test_missing_variables_are_all_named() -> None:
    partial = {k: v for k, v in GOOD.items() if k not in (env.ACCESS_KEY_ID, env.BUCKET)}
    with pytest.raises(UsageError) as error:
        target_from_environment(partial, plan=None, role="smoke")
    assert env.ACCESS_KEY_ID in str(error.value)
    assert env.BUCKET in str(error.value)
    assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("s3.us-west-004.backblazeb2.com", "is not an endpoint URL"),
        ("ftp://example.com", "is not an endpoint URL"),
        ("http://s3.us-west-004.backblazeb2.com", "HTTPS only"),
    ],
)
def test_bad_endpoints_are_refused(endpoint: str, expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        target_from_environment({**GOOD, env.ENDPOINT_URL: endpoint}, plan=None, role="smoke")


def test_unknown_role_lists_the_planned_roles() -> None:
    with pytest.raises(UsageError, match="use one of app, smoke"):
        target_from_environment(GOOD, plan=load_plan_for_stack("dev"), role="admin")


def test_region_for_local_and_b2_endpoints() -> None:
    assert region_for("http://127.0.0.1:9000", None) == "us-east-1"
    assert region_for("https://s3.eu-central-003.backblazeb2.com", None) == "eu-central-003"
    assert region_for("http://127.0.0.1:9000", "us-west-004") == "us-west-004"


def test_stack_outputs_bundle_per_role() -> None:
    outputs = {env.role_bundle_output("smoke"): GOOD, "bucketName": "x"}
    target = target_from_bundle(
        bundle_for_role(outputs, "smoke"), plan=None, role="smoke", source="stack dev"
    )
    assert target.source == "stack dev"
    with pytest.raises(UsageError, match="no output 'appEnvironment'"):
        bundle_for_role(outputs, "app")
