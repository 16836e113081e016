"""The real program (infra/ entry point, `PixeltableStorage`) with ciSecrets configured.

Runs through the Pulumi harness of tests/pulumi (the `pulumi_b2` stand-in, engine-like
mocks).
"""

from __future__ import annotations

import pytest

from infra.core.ci_values import CONSTANT_VALUES, MEDIA_DEST_VALUES, CiValue
from infra.core.stack_files import load_plan_for_stack
from infra.deploy.ci_secrets import COMPONENT_TYPE, value_applies
from tests.pulumi.mock_engine import BUCKET_TYPE, KEY_TYPE, is_secret, plain, run_stack

GH_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
GH_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
GL_VARIABLE = "gitlab:index/projectVariable:ProjectVariable"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_program_pushes_each_key_from_the_storage_component(stack: str):
    plan = load_plan_for_stack(stack)
    run = run_stack(stack)

    (component,) = run.of_type(COMPONENT_TYPE)
    keys = {r.name.removesuffix("-key"): r for r in run.of_type(KEY_TYPE)}
    assert set(keys) == set(plan.roles)
    (bucket,) = run.of_type(BUCKET_TYPE)
    pushed = run.of_type(GH_SECRET) + run.of_type(GH_VARIABLE) + run.of_type(GL_VARIABLE)
    expected = [
        (t.environment, v)
        for t in plan.ci_secrets.github
        for v in t.values
        if value_applies(v, plan)
    ]
    expected += [
        (t.environment_scope, v)
        for t in plan.ci_secrets.gitlab
        for v in t.values
        if value_applies(v, plan)
    ]
    assert len(pushed) == len(expected)
    for place, item in expected:
        (found,) = [
            r
            for r in pushed
            if item.name
            in (r.inputs.get("secretName"), r.inputs.get("variableName"), r.inputs.get("key"))
            and place in (r.inputs.get("environment"), r.inputs.get("environmentScope"))
        ]
        assert found.request.parent == component.urn
        value = found.inputs["value"]
        assert is_secret(value) is item.secret, item.name
        if item.secret:
            key = keys[item.role or ""]
            wanted = key.state[
                "applicationKeyId" if item.source is CiValue.KEY_ID else "applicationKey"
            ]
            assert plain(value) == plain(wanted)
            deps = set(found.request.propertyDependencies["value"].urns)
            assert deps == {key.urn}, item.name
        elif item.source is CiValue.BUCKET:
            assert value == bucket.state["bucketName"]
        elif item.source is CiValue.ENDPOINT:
            assert value == plan.endpoint
        elif item.source is CiValue.REGION:
            assert value == plan.region
        elif item.source in MEDIA_DEST_VALUES:
            prefix = plan.key(item.role or "").name_prefix or ""
            assert value.startswith(f"{plan.endpoint}/{bucket.state['bucketName']}/{prefix}")
        else:
            assert value == CONSTANT_VALUES[item.source]

    shown = "\n".join(run.logs) + repr(run.plain_outputs)
    for secret in run.key_secrets:
        assert secret not in shown
