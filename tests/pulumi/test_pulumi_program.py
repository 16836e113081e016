"""The real program (infra/ entry point) under mocks, held against the plan of each stack.

Expected values come from the plan (`infra.core.stack_files`), never re-typed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_b2 as b2
import pytest
from pulumi._types import input_type_py_to_pulumi_names

from infra.core import runtime_env
from infra.core.plan_model import StackPlan
from infra.core.stack_files import load_plan_for_stack
from infra.deploy import program
from infra.deploy.storage import COMPONENT_TYPE
from tests.pulumi.mock_engine import (
    BUCKET_TYPE,
    KEY_TYPE,
    PROVIDER_TYPE,
    RANDOM_ID_TYPE,
    ProgramRun,
    expected_plan,
    run_stack,
    stack_document,
)

STACKS = ["dev", "prod"]
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def wire(args_cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """Python argument names -> the provider's wire names, None values left out."""
    names = input_type_py_to_pulumi_names(args_cls)
    return {names[k]: v for k, v in values.items() if v is not None}


def cors_wire(rule: Any) -> dict[str, Any]:
    """A planned CORS rule as the provider receives it (empty lists left out)."""
    values = rule.model_dump()
    return wire(
        b2.BucketCorsRuleArgs,
        {k: (list(v) or None) if isinstance(v, tuple) else v for k, v in values.items()},
    )


@pytest.fixture(scope="module", params=STACKS)
def shipped(request: pytest.FixtureRequest) -> tuple[StackPlan, ProgramRun]:
    stack = request.param
    return load_plan_for_stack(stack), run_stack(stack)


def test_bucket_type_encryption_name_and_info(shipped: tuple[StackPlan, ProgramRun]) -> None:
    plan, run = shipped
    bucket = run.one(BUCKET_TYPE).inputs
    assert bucket["bucketType"] == plan.bucket.bucket_type == "allPrivate"
    assert plan.bucket.encryption is not None
    assert bucket["defaultServerSideEncryption"] == {
        "mode": plan.bucket.encryption.mode,
        "algorithm": plan.bucket.encryption.algorithm,
    }
    assert bucket["bucketName"] == plan.bucket.name
    assert bucket["bucketInfo"] == dict(plan.bucket.bucket_info)
    assert bucket["bucketInfo"]["stack"] == run.stack
    assert "corsRules" not in bucket  # none planned


def test_each_lifecycle_rule_as_planned(shipped: tuple[StackPlan, ProgramRun]) -> None:
    plan, run = shipped
    declared = run.one(BUCKET_TYPE).inputs["lifecycleRules"]
    assert len(declared) == len(plan.lifecycle) > 0
    for rule, got in zip(plan.lifecycle, declared, strict=True):
        assert got == wire(b2.BucketLifecycleRuleArgs, rule.model_dump())


def test_lock_configuration_as_planned(shipped: tuple[StackPlan, ProgramRun]) -> None:
    plan, run = shipped
    (config,) = run.one(BUCKET_TYPE).inputs["fileLockConfigurations"]
    lock = plan.object_lock
    assert config["isFileLockEnabled"] is lock.enabled
    if lock.default_retention_active:
        assert lock.period is not None
        assert config["defaultRetention"] == {
            "mode": lock.mode,
            "period": {"duration": lock.period.duration, "unit": lock.period.unit},
        }
    else:
        assert "defaultRetention" not in config


def test_prod_lock_is_on_with_its_retention() -> None:
    """The shipped prod stack really exercises the retention branch."""
    assert load_plan_for_stack("prod").object_lock.default_retention_active


def test_bucket_options_never_plan_a_replacement(shipped: tuple[StackPlan, ProgramRun]) -> None:
    plan, run = shipped
    request = run.one(BUCKET_TYPE).request
    assert request.protect is plan.bucket.protect
    assert list(request.replaceOnChanges) == []
    assert list(request.ignoreChanges) == []  # the engine runs the guard: nothing ignored
    assert not request.deleteBeforeReplace
    assert len(request.state_migrations) == 1  # the Object Lock guard


def test_protect_follows_the_plan() -> None:
    assert load_plan_for_stack("prod").bucket.protect is True
    assert load_plan_for_stack("dev").bucket.protect is False


def test_one_scoped_key_per_role(shipped: tuple[StackPlan, ProgramRun]) -> None:
    plan, run = shipped
    bucket = run.one(BUCKET_TYPE)
    assert len(run.of_type(KEY_TYPE)) == len(plan.keys)
    for key_plan in plan.keys:
        key = run.key(key_plan.key_name)
        assert key.inputs["capabilities"] == list(key_plan.capabilities)
        if key_plan.account_wide:  # read-only preview/auditor keys: no bucket restriction
            assert "bucketIds" not in key.inputs
            assert bucket.urn in key.request.dependencies  # still waits for the bucket
        else:
            assert key.inputs["bucketIds"] == [bucket.id]
            assert key.inputs["bucketIds"] == [bucket.state["bucketId"]]
        assert "bucketId" not in key.inputs  # the deprecated singular form
        assert key.inputs.get("namePrefix") == key_plan.name_prefix
        assert key.inputs.get("validDurationInSeconds") == key_plan.valid_duration_seconds
        # Any change replaces the key, create-before-delete.
        assert list(key.request.replaceOnChanges) == ["*"]
        assert not key.request.deleteBeforeReplace


def test_keys_and_bucket_belong_to_the_component(shipped: tuple[StackPlan, ProgramRun]) -> None:
    _, run = shipped
    component = run.one(COMPONENT_TYPE)
    assert component.type == "pixeltable-b2:index:PixeltableStorage"
    for registration in [run.one(BUCKET_TYPE), *run.of_type(KEY_TYPE)]:
        assert registration.request.parent == component.urn


def test_outputs_names_values_and_secrecy(shipped: tuple[StackPlan, ProgramRun]) -> None:
    plan, run = shipped
    bucket = run.one(BUCKET_TYPE)
    out = run.outputs
    assert out[program.BUCKET_NAME] == plan.bucket.name
    assert out[program.BUCKET_ID] == bucket.id
    assert out[program.REGION] == plan.region
    assert out[program.S3_ENDPOINT] == plan.endpoint
    assert out[program.ROLES] == list(plan.roles)
    expected_names = {
        program.BUCKET_NAME,
        program.BUCKET_ID,
        program.REGION,
        program.S3_ENDPOINT,
        program.ROLES,
    }
    for key_plan in plan.keys:
        role = key_plan.role
        key = run.key(key_plan.key_name)
        expected_names |= {
            program.key_id_output(role),
            program.key_secret_output(role),
            program.env_output(role),
            runtime_env.role_profile_output(role),
        }
        assert out[program.key_id_output(role)] == key.state["applicationKeyId"]
        assert out[program.key_secret_output(role)] == key.state["applicationKey"]
        assert out[program.env_output(role)] == {
            "AWS_ACCESS_KEY_ID": key.state["applicationKeyId"],
            "AWS_SECRET_ACCESS_KEY": key.state["applicationKey"],
            "AWS_ENDPOINT_URL": plan.endpoint,
            "AWS_DEFAULT_REGION": plan.region,
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
            "PXT_B2_BUCKET": plan.bucket.name,
            **(
                {
                    "PIXELTABLE_OUTPUT_MEDIA_DEST": f"{plan.endpoint}/{plan.bucket.name}/"
                    f"{key_plan.name_prefix}pixeltable/output/",
                    "PIXELTABLE_INPUT_MEDIA_DEST": f"{plan.endpoint}/{plan.bucket.name}/"
                    f"{key_plan.name_prefix}pixeltable/input/",
                }
                if key_plan.can("writeFiles")
                else {}
            ),
        }
        profile = out[runtime_env.role_profile_output(role)]
        assert f"[profile {plan.project}-{plan.stack}-{role}]" in profile
        assert f"endpoint_url = {plan.endpoint}" in profile
        assert "request_checksum_calculation = when_required" in profile
        assert "response_checksum_validation = when_required" in profile
        assert f"aws_secret_access_key = {key.state['applicationKey']}" in profile
        assert runtime_env.role_profile_output(role) in run.secret_outputs
        assert program.env_output(role) == runtime_env.role_bundle_output(role)
        assert {program.key_secret_output(role), program.env_output(role)} <= run.secret_outputs
        assert program.key_id_output(role) not in run.secret_outputs
    assert set(out) == expected_names


def test_key_secrets_never_in_plain_outputs_or_logs(
    shipped: tuple[StackPlan, ProgramRun], capsys: pytest.CaptureFixture[str]
) -> None:
    plan, run = shipped
    assert len(run.key_secrets) == len(plan.keys)
    plain = json.dumps(run.plain_outputs)
    captured = capsys.readouterr()
    for secret in run.key_secrets:
        assert secret not in plain
        assert all(secret not in message for message in run.logs)
        assert secret not in captured.out + captured.err
    # Every output that carries a secret is a Pulumi secret.
    for name, value in run.outputs.items():
        if any(secret in json.dumps(value) for secret in run.key_secrets):
            assert name in run.secret_outputs, name


def test_smoke_suite_reads_the_bundle_the_program_exports() -> None:
    """smoke.stack_outputs finds each role's bundle under the name the program exports."""
    from smoke.stack_outputs import bundle_for_role

    plan = load_plan_for_stack("prod")
    run = run_stack("prod")
    for role in plan.roles:
        bundle = bundle_for_role(run.outputs, role)
        assert bundle[runtime_env.BUCKET] == run.outputs[program.BUCKET_NAME]
        assert bundle[runtime_env.ACCESS_KEY_ID] == run.outputs[program.key_id_output(role)]


def test_default_provider_when_no_credentials_in_config() -> None:
    run = run_stack("dev")
    assert run.of_type(PROVIDER_TYPE) == []
    for registration in [run.one(BUCKET_TYPE), *run.of_type(KEY_TYPE)]:
        assert registration.request.provider == ""  # the default provider: environment variables


def _secret_value(value: Any) -> str:
    """The plain value inside a secret as the provider receives it; fails if not secret."""
    assert isinstance(value, dict)
    assert SECRET_SIG in value, "expected a secret"
    return value["value"]


def test_explicit_provider_from_secret_config(tmp_path: Any) -> None:
    document = stack_document(
        "prod",
        {
            "b2:applicationKeyId": {"secure": "v1:not-decrypted-in-tests"},
            "b2:applicationKey": {"secure": "v1:not-decrypted-in-tests"},
        },
    )
    plan = expected_plan("prod", document, tmp_path)
    assert plan.provider_credentials_in_config
    run = run_stack("prod", document)
    provider = run.one(PROVIDER_TYPE)
    assert _secret_value(provider.inputs["applicationKeyId"]).endswith(":b2:applicationKeyId")
    assert _secret_value(provider.inputs["applicationKey"]).endswith(":b2:applicationKey")
    reference = f"{provider.urn}::{provider.id}"
    for registration in [run.one(BUCKET_TYPE), *run.of_type(KEY_TYPE)]:
        assert registration.request.provider == reference
    assert all("v1:not-decrypted" not in m for m in run.logs)


def test_public_cors_suffix_and_lock_without_retention(tmp_path: Any) -> None:
    document = stack_document(
        "dev",
        {
            "pixeltable-b2:bucket": {
                "name": "acme-pxt-variant",
                "randomSuffix": True,
                "public": True,
                "cors": [
                    {
                        "corsRuleName": "browser-reads",
                        "allowedOrigins": ["https://app.example.com"],
                        "allowedOperations": ["s3_get", "s3_head"],
                        "exposeHeaders": ["etag"],
                        "maxAgeSeconds": 600,
                    }
                ],
            },
            "pixeltable-b2:objectLock": {"enabled": True},
        },
    )
    plan = expected_plan("dev", document, tmp_path)
    run = run_stack("dev", document)
    bucket = run.one(BUCKET_TYPE)
    assert bucket.inputs["bucketType"] == plan.bucket.bucket_type == "allPublic"
    assert plan.bucket.encryption is not None
    assert bucket.inputs["defaultServerSideEncryption"] == plan.bucket.encryption.model_dump()
    assert bucket.inputs["corsRules"] == [cors_wire(rule) for rule in plan.bucket.cors] != []
    # No default retention is sent by leaving it out (the provider cannot apply mode none).
    assert bucket.inputs["fileLockConfigurations"] == [{"isFileLockEnabled": True}]
    suffix = run.one(RANDOM_ID_TYPE)
    assert suffix.inputs["byteLength"] == 3
    assert suffix.request.parent == run.one(COMPONENT_TYPE).urn
    assert re.fullmatch(re.escape(plan.bucket.name) + "-[0-9a-f]{6}", bucket.inputs["bucketName"])
    assert bucket.inputs["bucketName"] == f"{plan.bucket.name}-{suffix.state['hex']}"
    assert run.outputs[program.BUCKET_NAME] == bucket.inputs["bucketName"]


def test_rotation_renames_the_key_from_the_plan(tmp_path: Any) -> None:
    document = stack_document("dev")
    document["config"]["pixeltable-b2:keys"]["app"]["rotation"] = 2
    plan = expected_plan("dev", document, tmp_path)
    run = run_stack("dev", document)
    assert plan.key("app").rotation == 2
    assert run.key(plan.key("app").key_name).inputs["keyName"] == plan.key("app").key_name
    assert plan.key("app").key_name != load_plan_for_stack("dev").key("app").key_name


def test_region_mismatch_stops_before_the_bucket_is_declared() -> None:
    seen: dict[str, Any] = {}
    with pytest.raises(Exception, match=r"pixeltable-b2:region = 'us-west-004'") as caught:
        run_stack(
            "dev",
            account_s3_url="https://s3.eu-central-003.backblazeb2.com",
            on_monitor=lambda monitor: seen.update(monitor=monitor),
        )
    assert "set pixeltable-b2:region to eu-central-003" in str(caught.value)
    declared = {type_ for type_, _, _ in seen["monitor"].mocks.created}
    assert BUCKET_TYPE not in declared
    assert KEY_TYPE not in declared


def test_bad_config_is_one_clear_run_error() -> None:
    document = stack_document("dev", {"pixeltable-b2:region": "moon-base-1"})
    with pytest.raises(pulumi.RunError) as caught:
        run_stack("dev", document)
    message = str(caught.value)
    assert "pixeltable-b2:region = 'moon-base-1'" in message
    assert "Fix:" in message
    assert "Traceback" not in message


def test_component_exposes_bucket_and_keys_by_role() -> None:
    built: dict[str, Any] = {}
    run = run_stack("prod", program=lambda: built.update(storage=program.run_program()))
    plan = load_plan_for_stack("prod")
    storage = built["storage"]
    assert isinstance(storage.bucket, b2.Bucket)
    assert set(storage.keys) == set(plan.roles)
    assert all(isinstance(k, b2.ApplicationKey) for k in storage.keys.values())
    assert storage.plan == plan
    assert len(run.of_type(KEY_TYPE)) == len(plan.keys)


def test_resources_register_through_the_parameterized_package(
    shipped: tuple[StackPlan, ProgramRun],
) -> None:
    """As the generated SDK does: one RegisterPackage, its ref on every B2 resource."""
    from infra.deploy.sdk_pin import read_pin

    _, run = shipped
    pin = read_pin()
    (package,) = run.packages
    assert (package.name, package.version) == ("terraform-provider", pin.bridge)
    assert (package.parameterization.name, package.parameterization.version) == ("b2", pin.provider)
    for registration in [run.one(BUCKET_TYPE), *run.of_type(KEY_TYPE)]:
        assert registration.request.packageRef == "mock-uuid"
