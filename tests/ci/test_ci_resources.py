"""`declare_ci_secrets` under Pulumi mocks, with the real pulumi_github / pulumi_gitlab SDKs.

B2 keys are `pulumi_b2` application keys (the stand-in when no SDK is generated); what each
CI resource asked the engine for (inputs, secrets, dependencies, options) is recorded and
checked against the plan.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import pulumi
import pytest

from infra.core.ci_facts import value_unmaskable_reason
from infra.core.ci_plan_model import CiValuePlan
from infra.core.ci_values import CONSTANT_VALUES, CiValue
from infra.core.plan_model import StackPlan
from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from infra.deploy.ci_secrets import COMPONENT_TYPE, declare_ci_secrets, value_applies
from tests.ci import masking_case
from tests.ci.ci_fixtures import application_keys, plan_from
from tests.pulumi.mock_engine import (
    KEY_TYPE,
    B2Mocks,
    ProgramRun,
    Registration,
    fake_application_key,
    fake_key_id,
    is_secret,
    run,
)

GH_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
GH_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
GH_ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
GH_PROVIDER = "pulumi:providers:github"
GL_VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
CI_TYPES = (GH_SECRET, GH_VARIABLE, GH_ENVIRONMENT, GH_PROVIDER, GL_VARIABLE, COMPONENT_TYPE)
BUCKET = "acme-pxt-media-ci-3f9a1c"


def deploy(
    plan: StackPlan, *, mocks: B2Mocks | None = None, config: dict[str, str] | None = None
) -> ProgramRun:
    def program() -> Any:
        keys = application_keys(plan)
        return declare_ci_secrets(plan, keys, pulumi.Output.from_input(BUCKET))

    return run(program, stack=plan.stack, mocks=mocks, config=config)


def expected_value(plan: StackPlan, item: CiValuePlan) -> str:
    """What the plan says a value must be; keys from the stand-in's deterministic outputs."""
    if item.source is CiValue.KEY_ID:
        return fake_key_id(plan.key(item.role or "").key_name)
    if item.source is CiValue.APPLICATION_KEY:
        return fake_application_key(plan.key(item.role or "").key_name)
    prefix = plan.key(item.role).name_prefix or "" if item.role else ""
    return {
        CiValue.ENDPOINT: plan.endpoint,
        CiValue.REGION: plan.region,
        CiValue.BUCKET: BUCKET,
        CiValue.OUTPUT_MEDIA_DEST: f"{plan.endpoint}/{BUCKET}/{prefix}pixeltable/output/",
        CiValue.INPUT_MEDIA_DEST: f"{plan.endpoint}/{BUCKET}/{prefix}pixeltable/input/",
        **CONSTANT_VALUES,
    }[item.source]


def key_urns(recording: ProgramRun) -> dict[str, str]:
    return {r.name.removesuffix("-key"): r.urn for r in recording.of_type(KEY_TYPE)}


def check_against_plan(plan: StackPlan, recording: ProgramRun) -> None:
    """Every planned value is exactly one resource, in the right place, secret iff it must be."""
    keys = key_urns(recording)
    providers = {r.inputs["owner"]: r for r in recording.of_type(GH_PROVIDER)}
    seen: set[str] = set()
    for target in plan.ci_secrets.github:
        provider = providers[target.owner]
        for item in (v for v in target.values if value_applies(v, plan)):
            kind, name_field = (
                (GH_SECRET, "secretName") if item.secret else (GH_VARIABLE, "variableName")
            )
            (found,) = [
                r
                for r in recording.of_type(kind)
                if r.inputs["repository"] == target.repository_name
                and r.inputs["environment"] == target.environment
                and r.inputs[name_field] == item.name
                and r.provider.startswith(provider.urn + "::")
            ]
            seen.add(found.urn)
            check_value(plan, item, found, keys)
    for target in plan.ci_secrets.gitlab:
        for item in (v for v in target.values if value_applies(v, plan)):
            (found,) = [
                r
                for r in recording.of_type(GL_VARIABLE)
                if r.inputs["project"] == target.project
                and r.inputs["environmentScope"] == target.environment_scope
                and r.inputs["key"] == item.name
            ]
            seen.add(found.urn)
            check_value(plan, item, found, keys)
            assert found.inputs["masked"] is item.secret
            assert found.inputs["protected"] is (target.protected and item.secret)
            assert found.inputs["raw"] is True
            assert found.inputs["variableType"] == "env_var"
            assert ("value" in found.additional_secret_outputs) is item.secret
    pushed = {r.urn for r in recording.registrations if r.type in (GH_SECRET, GH_VARIABLE)}
    pushed |= {r.urn for r in recording.of_type(GL_VARIABLE)}
    assert pushed == seen, "resources the plan does not ask for"


def check_value(
    plan: StackPlan, item: CiValuePlan, found: Registration, keys: dict[str, str]
) -> None:
    raw = found.inputs["value"]
    assert found.value("value") == expected_value(plan, item), item.name
    assert is_secret(raw) is item.secret, item.name
    if item.secret:
        key = keys[item.role or ""]
        assert found.property_dependencies["value"] == {key}, "derived from the role's key"
        assert key in found.dependencies, "explicit dependency on the key"
    else:
        assert not (found.dependencies & set(keys.values())), item.name
    assert found.delete_before_replace, "name-addressed: delete before replace"
    assert not found.deleted_with


# --- Shipped stacks -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_push_exactly_the_planned_values(stack: str):
    plan = load_plan_for_stack(stack)
    recording = deploy(plan)
    check_against_plan(plan, recording)
    (component,) = recording.of_type(COMPONENT_TYPE)
    for r in recording.registrations:
        if r.type in CI_TYPES and r.type != COMPONENT_TYPE:
            assert r.parent == component.urn, r.name


def test_dev_pushes_the_smoke_key_under_the_conventional_names():
    plan = load_plan_for_stack("dev")
    if plan.ci_secrets.github[0].roles != ("smoke",):
        pytest.skip("Pulumi.dev.yaml: first target not the smoke key alone; see the generic test")
    recording = deploy(plan)
    secrets = {
        (r.inputs["environment"], r.inputs["secretName"]) for r in recording.of_type(GH_SECRET)
    }
    # The smoke key in `dev`; the read-only preview and auditor keys in their own environments.
    pair = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    assert secrets == {(env, name) for env in ("dev", "preview-dev", "audit-dev") for name in pair}
    variables = {
        r.inputs["variableName"]: r.value("value")
        for r in recording.of_type(GH_VARIABLE)
        if r.inputs["environment"] == "dev"
    }
    assert variables == {
        "AWS_ENDPOINT_URL": "https://s3.us-west-004.backblazeb2.com",
        "AWS_DEFAULT_REGION": "us-west-004",
        "PXT_B2_BUCKET": BUCKET,
        "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
        "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        # Pixeltable's own settings: where it writes, under the smoke role's prefix.
        "PIXELTABLE_OUTPUT_MEDIA_DEST": f"https://s3.us-west-004.backblazeb2.com/{BUCKET}/"
        "smoke/pixeltable/output/",
        "PIXELTABLE_INPUT_MEDIA_DEST": f"https://s3.us-west-004.backblazeb2.com/{BUCKET}/"
        "smoke/pixeltable/input/",
    }
    assert {r.inputs["repository"] for r in recording.of_type(GH_SECRET)} == {"media-platform"}
    (provider,) = recording.of_type(GH_PROVIDER)
    assert provider.inputs["owner"] == "acme"
    assert recording.of_type(GH_ENVIRONMENT) == []  # dev's environment is not owned by the stack


def test_prod_creates_its_protected_environment_first():
    plan = load_plan_for_stack("prod")
    (target,) = [t for t in plan.ci_secrets.github if t.environment == "prod"]
    if not target.create_environment:
        pytest.skip("Pulumi.prod.yaml's own ciSecrets does not create the environment")
    recording = deploy(plan)
    (environment,) = [
        e for e in recording.of_type(GH_ENVIRONMENT) if e.inputs["environment"] == "prod"
    ]
    assert environment.inputs["repository"] == target.repository_name
    assert environment.inputs["environment"] == target.environment
    reviewers = environment.inputs["reviewers"][0]
    assert [int(t) for t in reviewers.get("teams", [])] == list(target.reviewer_teams)
    assert [int(u) for u in reviewers.get("users", [])] == list(target.reviewer_users)
    assert environment.inputs["waitTimer"] == (target.wait_timer_minutes or 0)
    assert environment.inputs["preventSelfReview"] is target.prevent_self_review
    assert environment.inputs["deploymentBranchPolicy"] == {
        "protectedBranches": True,
        "customBranchPolicies": False,
    }
    assert environment.delete_before_replace
    for r in recording.of_type(GH_SECRET) + recording.of_type(GH_VARIABLE):
        if r.inputs["environment"] == "prod":
            assert environment.urn in r.dependencies, r.name


# --- Two roles sharing one environment -----------------------------------------------------------


def test_two_roles_in_one_environment(base):
    plan = plan_from(base)
    recording = deploy(plan)
    check_against_plan(plan, recording)
    secrets = sorted(r.inputs["secretName"] for r in recording.of_type(GH_SECRET))
    assert secrets == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "SMOKE_AWS_ACCESS_KEY_ID",
        "SMOKE_AWS_SECRET_ACCESS_KEY",
    ]
    by_name = {r.inputs["secretName"]: r for r in recording.of_type(GH_SECRET)}
    keys = key_urns(recording)
    assert by_name["AWS_SECRET_ACCESS_KEY"].property_dependencies["value"] == {keys["app"]}
    assert by_name["SMOKE_AWS_SECRET_ACCESS_KEY"].property_dependencies["value"] == {keys["smoke"]}
    variables = sorted(r.inputs["variableName"] for r in recording.of_type(GH_VARIABLE))
    assert variables == sorted(
        [
            "AWS_ENDPOINT_URL",
            "AWS_DEFAULT_REGION",
            "PXT_B2_BUCKET",
            "SMOKE_AWS_ENDPOINT_URL",
            "SMOKE_AWS_DEFAULT_REGION",
            "SMOKE_PXT_B2_BUCKET",
            "AWS_REQUEST_CHECKSUM_CALCULATION",
            "AWS_RESPONSE_CHECKSUM_VALIDATION",
            # both roles write, so both get Pixeltable's destinations under their prefixes
            "PIXELTABLE_OUTPUT_MEDIA_DEST",
            "PIXELTABLE_INPUT_MEDIA_DEST",
            "SMOKE_PIXELTABLE_OUTPUT_MEDIA_DEST",
            "SMOKE_PIXELTABLE_INPUT_MEDIA_DEST",
        ]
    )
    # the endpoint and the checksum settings are never secrets
    for r in recording.of_type(GH_VARIABLE) + [
        r for r in recording.of_type(GL_VARIABLE) if "CHECKSUM" in r.inputs["key"]
    ]:
        assert not is_secret(r.inputs["value"]), r.name
    (gitlab_secret,) = [
        r for r in recording.of_type(GL_VARIABLE) if r.inputs["key"] == "AWS_SECRET_ACCESS_KEY"
    ]
    assert gitlab_secret.inputs["project"] == "acme/platform/media"
    assert gitlab_secret.inputs["environmentScope"] == "*"
    assert gitlab_secret.inputs["masked"] is True
    assert gitlab_secret.inputs["protected"] is True


def test_one_provider_per_github_owner(base):
    base["ciSecrets"]["github"].append(
        {"repository": "other-org/site", "environment": "dev", "roles": ["smoke"]}
    )
    recording = deploy(plan_from(base))
    owners = sorted(r.inputs["owner"] for r in recording.of_type(GH_PROVIDER))
    assert owners == ["acme", "other-org"]
    site = [r for r in recording.of_type(GH_SECRET) if r.inputs["repository"] == "site"]
    (other,) = [r for r in recording.of_type(GH_PROVIDER) if r.inputs["owner"] == "other-org"]
    assert site
    assert all(r.provider.startswith(other.urn + "::") for r in site)


def test_the_github_token_comes_from_secret_config_when_set(base):
    recording = deploy(plan_from(base), config={"github:token": "ghp_" + "x" * 36})
    (provider,) = recording.of_type(GH_PROVIDER)
    assert is_secret(provider.inputs["token"])


def test_without_a_token_the_provider_is_left_to_read_github_token(base):
    (provider,) = deploy(plan_from(base)).of_type(GH_PROVIDER)
    assert "token" not in provider.inputs


# --- Rotation ------------------------------------------------------------------------------------


def test_rotating_a_role_changes_its_key_and_the_secrets_carrying_it_and_nothing_else(base):
    before = deploy(plan_from(base))
    base["keys"]["app"]["rotation"] = 1
    after = deploy(plan_from(base))
    old, new = before.by_urn(), after.by_urn()
    assert old.keys() == new.keys(), "rotation adds or removes no CI resource"
    changed = {urn for urn in old if old[urn].inputs != new[urn].inputs}
    keys = key_urns(after)
    carrying_app = {
        r.urn
        for r in after.registrations
        if r.type in (GH_SECRET, GL_VARIABLE) and keys["app"] in r.dependencies
    }
    assert carrying_app, "the app key is pushed somewhere"
    assert changed == {keys["app"]} | carrying_app
    names = sorted(
        (new[urn].inputs.get("secretName") or new[urn].inputs.get("key")) for urn in carrying_app
    )
    # GitHub and GitLab both carry the app key: its id and its secret in each
    assert names == ["AWS_ACCESS_KEY_ID"] * 2 + ["AWS_SECRET_ACCESS_KEY"] * 2
    for urn in carrying_app:
        assert new[urn].value("value") != old[urn].value("value")
        assert is_secret(new[urn].inputs["value"])


# --- Secrets stay secret -------------------------------------------------------------------------


def test_no_key_value_reaches_logs_or_reprs(base, caplog):
    base["ciSecrets"]["gitlab"][0]["environmentScope"] = "production"  # also log a warning
    plan = plan_from(base)
    with caplog.at_level(logging.DEBUG):
        recording = deploy(plan)
    values = [f(k.key_name) for k in plan.keys for f in (fake_key_id, fake_application_key)]
    logged = caplog.text + "\n".join(recording.logs)  # Python logging and the engine's log
    assert "Community Edition" in logged, "the CE scope warning is logged"
    shown = logged + repr(recording.result) + str(recording.result) + plan.model_dump_json()
    for value in values:
        assert value not in shown


def test_a_value_gitlab_cannot_mask_stops_before_gitlab_is_called():
    child = subprocess.run(
        [sys.executable, "-m", "tests.ci.masking_case"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    message = outcome["refused"]
    assert message is not None, "the push was not refused"
    assert "AWS_SECRET_ACCESS_KEY" in message
    assert "7 characters" in message
    assert "AWS_SECRET_ACCESS_KEY" not in outcome["sent"], "GitLab was called"
    # The key id (9 characters of [A-Za-z0-9]) is maskable: never the refused one. Whether its
    # variable was registered before the refusal ended the program is a race between two
    # outputs, so the test asserts the refusal, not the order.
    assert "AWS_ACCESS_KEY_ID" not in message
    assert value_unmaskable_reason(masking_case.SHORT_KEY_ID) is None
    assert "AWS_ENDPOINT_URL" in outcome["sent"]  # plain variables still go out
    everything = child.stdout + child.stderr
    assert masking_case.SHORT_KEY not in everything.replace(masking_case.SHORT_KEY_ID, "")


def test_the_same_short_value_is_still_pushed_to_github(base):
    base["ciSecrets"].pop("gitlab")
    recording = deploy(plan_from(base), mocks=B2Mocks(key_values=lambda n: ("id0", "key0")))
    assert {r.value("value") for r in recording.of_type(GH_SECRET)} == {"id0", "key0"}


def test_a_preview_with_unknown_key_values_declares_without_checking(base):
    plan = plan_from(base)

    def program() -> Any:
        return declare_ci_secrets(plan, application_keys(plan), BUCKET)

    class UnknownKeys(B2Mocks):
        def new_resource(self, args):
            resource_id, outputs = super().new_resource(args)
            if args.typ == KEY_TYPE:
                outputs = {"keyName": args.inputs.get("keyName")}  # outputs not known yet
            return resource_id, outputs

    recording = run(program, stack=plan.stack, mocks=UnknownKeys(), preview=True)
    assert len(recording.of_type(GL_VARIABLE)) == len(plan.ci_secrets.gitlab[0].values)


# --- Edges ---------------------------------------------------------------------------------------


def test_a_stack_without_ci_secrets_declares_nothing(base):
    base.pop("ciSecrets")
    recording = deploy(plan_from(base))
    assert recording.result is None
    assert not [r for r in recording.registrations if r.type in CI_TYPES]


def test_a_missing_key_resource_is_a_programming_error(base):
    plan = plan_from(base)

    def program() -> Any:
        return declare_ci_secrets(plan, application_keys(plan, ("app",)), BUCKET)

    with pytest.raises(ValueError, match="smoke"):
        run(program, stack=plan.stack)
