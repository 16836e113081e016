"""Push each role's B2 key into CI: GitHub Actions environments and GitLab project variables.

Every name comes from the plan (`infra.core.ci_plan_builder`); this module only turns the plan
into resources. The one call site is `infra.deploy.program`:

    declare_ci_secrets(plan, storage.keys, storage.bucket.bucket_name)

Secrets: a key's id and secret reach the CI resources only as Pulumi secrets taken
from the key resource's outputs, so state, previews and logs show `[secret]`. The
endpoint, region, bucket and checksum settings are plain variables on purpose: they
are not sensitive, and jobs may print them.

Rotation: bumping a role's `rotation` replaces its B2 key. Keys are replaced
create-before-delete (Pulumi's default, kept by `PixeltableStorage`), and every CI
secret carrying a key depends on it (through its value and an explicit `depends_on`),
so the engine creates the new key, then updates those secrets in place, and only at the
end of the update deletes the old key. `deleted_with` is deliberately not used: it
would skip deleting the CI secrets whenever their key is deleted (for instance on
`pulumi destroy`), leaving dead credentials in GitHub/GitLab.

Replacement of the CI resources themselves is delete-before-replace: they are
addressed by name (repository, environment, name), so a create-before-delete
replacement would write the new value and then delete that same name.

Tokens: the GitHub provider reads `GITHUB_TOKEN` (or the secret config `github:token`);
one explicit provider per repository owner carries the owner. GitLab uses the default
provider: `GITLAB_TOKEN` (or `gitlab:token`), and `GITLAB_BASE_URL` for self-managed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pulumi
import pulumi_github as github
import pulumi_gitlab as gitlab

from infra.core import runtime_env as env
from infra.core.ci_facts import value_unmaskable_reason
from infra.core.ci_plan_builder import ci_secrets_warnings
from infra.core.ci_plan_model import CiValuePlan, GithubTargetPlan, GitlabTargetPlan
from infra.core.ci_values import CONSTANT_VALUES, MEDIA_DEST_VALUES, CiValue
from infra.core.plan_model import StackPlan

COMPONENT_TYPE = "pixeltable-b2:index:CiSecrets"
COMPONENT_NAME = "ci-secrets"
DESCRIPTION = "Managed by Pulumi (pixeltable-b2 stack {stack}); edits here are overwritten."


class ApplicationKeyLike(Protocol):
    """What is needed from a B2 key resource (`pulumi_b2.ApplicationKey`)."""

    @property
    def application_key_id(self) -> pulumi.Output[str]: ...

    @property
    def application_key(self) -> pulumi.Output[str]: ...


class MaskingRefused(pulumi.RunError):
    """A value GitLab would refuse to mask: stop before GitLab is called."""


class CiSecrets(pulumi.ComponentResource):
    """Every CI secret and variable of the stack, keyed by where it lives."""

    github_providers: dict[str, github.Provider]
    environments: dict[tuple[str, str], github.RepositoryEnvironment]
    github_secrets: dict[tuple[str, str, str], github.ActionsEnvironmentSecret]
    github_variables: dict[tuple[str, str, str], github.ActionsEnvironmentVariable]
    gitlab_variables: dict[tuple[str, str, str], gitlab.ProjectVariable]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.github_providers = {}
        self.environments = {}
        self.github_secrets = {}
        self.github_variables = {}
        self.gitlab_variables = {}


def _value(
    item: CiValuePlan,
    plan: StackPlan,
    keys: Mapping[str, ApplicationKeyLike],
    bucket_name: pulumi.Input[str],
) -> pulumi.Input[str]:
    if item.source is CiValue.KEY_ID:
        return pulumi.Output.secret(keys[item.role or ""].application_key_id)
    if item.source is CiValue.APPLICATION_KEY:
        return pulumi.Output.secret(keys[item.role or ""].application_key)
    if item.source is CiValue.ENDPOINT:
        return plan.endpoint
    if item.source is CiValue.REGION:
        return plan.region
    if item.source is CiValue.BUCKET:
        return bucket_name
    if item.source in MEDIA_DEST_VALUES:
        key = plan.key(item.role or "")
        return pulumi.Output.from_input(bucket_name).apply(
            lambda name: env.pixeltable_settings(
                endpoint=plan.endpoint, bucket=name, prefix=key.name_prefix or "", writes=True
            )[MEDIA_DEST_VALUES[item.source]]
        )
    return CONSTANT_VALUES[item.source]


def value_applies(item: CiValuePlan, plan: StackPlan) -> bool:
    """Media destinations only for a role that may write there."""
    return item.source not in MEDIA_DEST_VALUES or plan.key(item.role or "").can("writeFiles")


def _key_dependency(item: CiValuePlan, keys: Mapping[str, ApplicationKeyLike]) -> list:
    """The key resource a secret carries, as an explicit dependency."""
    if not item.secret or item.role is None:
        return []
    key = keys[item.role]
    return [key] if isinstance(key, pulumi.Resource) else []


def _github_provider(component: CiSecrets, owner: str) -> github.Provider:
    if owner not in component.github_providers:
        config = pulumi.Config("github")
        component.github_providers[owner] = github.Provider(
            f"github-{owner}",
            owner=owner,
            token=config.get_secret("token"),  # None: the SDK reads GITHUB_TOKEN
            base_url=config.get("baseUrl"),  # None: GITHUB_BASE_URL or api.github.com
            opts=pulumi.ResourceOptions(parent=component),
        )
    return component.github_providers[owner]


def _declare_github(
    component: CiSecrets,
    target: GithubTargetPlan,
    plan: StackPlan,
    keys: Mapping[str, ApplicationKeyLike],
    bucket_name: pulumi.Input[str],
) -> None:
    provider = _github_provider(component, target.owner)
    place = f"{target.repository}/{target.environment}"
    environment_deps: list[pulumi.Resource] = []
    if target.create_environment:
        reviewers = None
        if target.reviewer_users or target.reviewer_teams:
            reviewers = [
                github.RepositoryEnvironmentReviewerArgs(
                    users=list(target.reviewer_users) or None,
                    teams=list(target.reviewer_teams) or None,
                )
            ]
        policy = None
        if target.protected_branches_only:
            policy = github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                protected_branches=True, custom_branch_policies=False
            )
        environment = github.RepositoryEnvironment(
            place,
            repository=target.repository_name,
            environment=target.environment,
            reviewers=reviewers,
            wait_timer=target.wait_timer_minutes or 0,
            prevent_self_review=target.prevent_self_review,
            deployment_branch_policy=policy,
            opts=pulumi.ResourceOptions(
                parent=component, provider=provider, delete_before_replace=True
            ),
        )
        component.environments[(target.repository, target.environment)] = environment
        environment_deps.append(environment)
    for item in (v for v in target.values if value_applies(v, plan)):
        opts = pulumi.ResourceOptions(
            parent=component,
            provider=provider,
            depends_on=[*environment_deps, *_key_dependency(item, keys)],
            delete_before_replace=True,
        )
        address = (target.repository, target.environment, item.name)
        value = _value(item, plan, keys, bucket_name)
        if item.secret:
            component.github_secrets[address] = github.ActionsEnvironmentSecret(
                f"{place}/{item.name}",
                repository=target.repository_name,
                environment=target.environment,
                secret_name=item.name,
                value=value,
                opts=opts,
            )
        else:
            component.github_variables[address] = github.ActionsEnvironmentVariable(
                f"{place}/{item.name}",
                repository=target.repository_name,
                environment=target.environment,
                variable_name=item.name,
                value=value,
                opts=opts,
            )


def _require_maskable(value: str, item: CiValuePlan, target: GitlabTargetPlan) -> str:
    reason = value_unmaskable_reason(value)
    if reason is not None:
        raise MaskingRefused(
            f"GitLab would refuse to mask {item.name} (the {item.source} of role {item.role!r}) "
            f"for project {target.project}: {reason}. Nothing was "
            "sent to GitLab. Fix: check that the key really is a B2 application key; push "
            "this role to GitHub instead if the format has changed"
        )
    return value


def _declare_gitlab(
    component: CiSecrets,
    target: GitlabTargetPlan,
    plan: StackPlan,
    keys: Mapping[str, ApplicationKeyLike],
    bucket_name: pulumi.Input[str],
) -> None:
    place = f"{target.project}/{target.environment_scope}"
    for item in (v for v in target.values if value_applies(v, plan)):
        value = _value(item, plan, keys, bucket_name)
        if item.secret:
            # Checked as soon as the key exists, before the variable is sent to GitLab.
            value = pulumi.Output.from_input(value).apply(
                lambda v, item=item: _require_maskable(v, item, target)
            )
        component.gitlab_variables[(target.project, target.environment_scope, item.name)] = (
            gitlab.ProjectVariable(
                f"{place}/{item.name}",
                project=target.project,
                key=item.name,
                value=value,
                environment_scope=target.environment_scope,
                masked=item.secret,
                protected=target.protected if item.secret else False,
                raw=True,  # never expand '$' inside a value
                variable_type="env_var",
                description=DESCRIPTION.format(stack=plan.stack),
                opts=pulumi.ResourceOptions(
                    parent=component,
                    depends_on=_key_dependency(item, keys),
                    delete_before_replace=True,
                    additional_secret_outputs=["value"] if item.secret else None,
                ),
            )
        )


def declare_ci_secrets(
    plan: StackPlan,
    keys: Mapping[str, ApplicationKeyLike],
    bucket_name: pulumi.Input[str],
    parent: pulumi.Resource | None = None,
) -> CiSecrets | None:
    """Declare the plan's CI secrets and variables; None when the stack pushes none."""
    ci = plan.ci_secrets
    if not ci.github and not ci.gitlab:
        return None
    missing = sorted(ci.roles - set(keys))
    if missing:
        raise ValueError(f"no key resource for role(s) {', '.join(missing)}")
    component = CiSecrets(COMPONENT_NAME, pulumi.ResourceOptions(parent=parent))
    for warning in ci_secrets_warnings(ci):
        pulumi.log.warn(warning, resource=component)
    for target in ci.github:
        _declare_github(component, target, plan, keys, bucket_name)
    for target in ci.gitlab:
        _declare_gitlab(component, target, plan, keys, bucket_name)
    component.register_outputs(
        {
            "github": [f"{t.repository}:{t.environment}" for t in ci.github],
            "gitlab": [f"{t.project}:{t.environment_scope}" for t in ci.gitlab],
        }
    )
    return component
