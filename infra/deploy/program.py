"""The Pulumi program: the stack plan -> provider, storage component, stack outputs.

Run by the project root's `__main__.py` under a Pulumi resource monitor (the real
engine or test mocks). The stack-output names live here (the environment
bundle's name and shape in `infra.core.runtime_env`), because the smoke suite reads
`pulumi stack output --json --show-secrets`; this module imports nothing beyond
`pulumi` at import time so that readers of the names do not need the generated
`pulumi_b2` SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from infra.core import runtime_env

if TYPE_CHECKING:
    from infra.core.plan_model import StackPlan
    from infra.deploy.storage import PixeltableStorage

# --- Stack outputs: names and shapes -----------------------------------------------------------

BUCKET_NAME = "bucketName"  # str
BUCKET_ID = "bucketId"  # str
REGION = "region"  # str, e.g. us-west-004
S3_ENDPOINT = "s3Endpoint"  # str, https://s3.<region>.backblazeb2.com
ROLES = "roles"  # list[str], the roles that have keys


def key_id_output(role: str) -> str:
    """The output holding a role's application key id (plain)."""
    return f"{role}KeyId"


def key_secret_output(role: str) -> str:
    """The output holding a role's application key secret (a Pulumi secret)."""
    return f"{role}KeySecret"


def env_output(role: str) -> str:
    """The output holding a role's environment bundle (a Pulumi secret mapping)."""
    return runtime_env.role_bundle_output(role)


# --- The program -------------------------------------------------------------------------------


def explicit_provider(plan: StackPlan) -> pulumi.ProviderResource | None:
    """A B2 provider from the stack's secret config, or None to use the environment variables."""
    if not plan.provider_credentials_in_config:
        return None
    import pulumi_b2 as b2

    from infra.core.stack_files import PROVIDER_NAMESPACE

    config = pulumi.Config(PROVIDER_NAMESPACE)
    return b2.Provider(
        "b2",
        application_key_id=config.require_secret("applicationKeyId"),
        application_key=config.require_secret("applicationKey"),
    )


def export_outputs(plan: StackPlan, storage: PixeltableStorage) -> None:
    """Stack outputs; a key's secret half only ever leaves inside a Pulumi secret."""
    bucket = storage.bucket
    pulumi.export(BUCKET_NAME, bucket.bucket_name)
    pulumi.export(BUCKET_ID, bucket.bucket_id)
    pulumi.export(REGION, plan.region)
    pulumi.export(S3_ENDPOINT, storage.s3_endpoint)
    pulumi.export(ROLES, list(plan.roles))
    for key_plan in plan.keys:
        key = storage.keys[key_plan.role]
        secret = pulumi.Output.secret(key.application_key)
        pulumi.export(key_id_output(key_plan.role), key.application_key_id)
        pulumi.export(key_secret_output(key_plan.role), secret)
        bundle = pulumi.Output.all(
            key.application_key_id, secret, storage.s3_endpoint, bucket.bucket_name
        ).apply(
            lambda values, key_plan=key_plan: runtime_env.environment_bundle(
                key_id=values[0],
                secret=values[1],
                endpoint=values[2],
                region=plan.region,
                bucket=values[3],
                prefix=key_plan.name_prefix or "",
                writes=key_plan.can("writeFiles"),
            )
        )
        pulumi.export(env_output(key_plan.role), pulumi.Output.secret(bundle))
        profile = pulumi.Output.all(key.application_key_id, secret, storage.s3_endpoint).apply(
            lambda values, role=key_plan.role: runtime_env.role_profile(
                project=plan.project,
                stack=plan.stack,
                role=role,
                endpoint=values[2],
                region=plan.region,
                key=runtime_env.KeyPair(values[0], values[1]),
            )[1]
        )
        pulumi.export(runtime_env.role_profile_output(key_plan.role), pulumi.Output.secret(profile))


def run_program() -> PixeltableStorage:
    """Declare the stack from its plan. Configuration problems stop it with one clear message.

    The generated B2 SDK is checked against the pin in Pulumi.yaml first, before it is even
    imported: an SDK of another provider version fails on arguments it does not know.
    """
    from infra.deploy.sdk_pin import SdkProblem, check_sdk

    try:
        check_sdk()
    except SdkProblem as problem:
        # The language host prints a RunError's message without a traceback and exits non-zero.
        raise pulumi.RunError(str(problem)) from None

    from infra.core.problems import PlanError
    from infra.deploy.ci_secrets import declare_ci_secrets
    from infra.deploy.pulumi_config import load_plan_from_pulumi
    from infra.deploy.storage import PixeltableStorage

    try:
        plan = load_plan_from_pulumi()
    except PlanError as error:
        raise pulumi.RunError(error.render()) from None

    storage = PixeltableStorage("storage", plan, provider=explicit_provider(plan))
    export_outputs(plan, storage)

    # Keys are replaced create-before-delete and every CI secret depends on its key, so a
    # rotation moves the CI secrets to the new key before the old one is deleted.
    declare_ci_secrets(plan, storage.keys, storage.bucket.bucket_name)

    return storage
