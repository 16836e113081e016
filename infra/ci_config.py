"""The `ciSecrets` section: where each role's credentials are pushed (GitHub, GitLab).

Config models, plan models, validation and plan building for that section,
kept together so the CI-secrets feature lives in one module.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from infra.config_base import ConfigModel, PlanModel
from infra.problems import NAMESPACE, ConfigProblem, field_path


class GithubReviewersConfig(ConfigModel):
    users: list[int] = []
    teams: list[int] = []


class GithubTargetConfig(ConfigModel):
    repository: str
    environment: str
    roles: list[str] = Field(min_length=1)
    create_environment: bool = False
    reviewers: GithubReviewersConfig | None = None
    wait_timer_minutes: int | None = Field(default=None, ge=0, le=43_200)
    prevent_self_review: bool = False
    secret_prefixes: dict[str, str] = {}


class GitlabTargetConfig(ConfigModel):
    project: str
    environment_scope: str = "*"
    roles: list[str] = Field(min_length=1)
    protected: bool = True
    variable_prefixes: dict[str, str] = {}


class CiSecretsConfig(ConfigModel):
    github: list[GithubTargetConfig] = []
    gitlab: list[GitlabTargetConfig] = []

    @field_validator("github", "gitlab", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value


class GithubTargetPlan(PlanModel):
    repository: str
    environment: str
    roles: tuple[str, ...]
    create_environment: bool
    reviewer_users: tuple[int, ...]
    reviewer_teams: tuple[int, ...]
    wait_timer_minutes: int | None
    prevent_self_review: bool
    secret_prefixes: tuple[tuple[str, str], ...]


class GitlabTargetPlan(PlanModel):
    project: str
    environment_scope: str
    roles: tuple[str, ...]
    protected: bool
    variable_prefixes: tuple[tuple[str, str], ...]


class CiSecretsPlan(PlanModel):
    github: tuple[GithubTargetPlan, ...] = ()
    gitlab: tuple[GitlabTargetPlan, ...] = ()


def ci_secrets_problems(ci: CiSecretsConfig, roles: set[str] | None) -> list[ConfigProblem]:
    if roles is None:
        return []
    problems = []
    targets = [("github", i, t.roles) for i, t in enumerate(ci.github)] + [
        ("gitlab", i, t.roles) for i, t in enumerate(ci.gitlab)
    ]
    for kind, i, target_roles in targets:
        for role in target_roles:
            if role not in roles:
                problems.append(
                    ConfigProblem(
                        field_path("ciSecrets", (kind, i, "roles")),
                        role,
                        f"no key role {role!r} is defined under {NAMESPACE}:keys",
                        f"use one of {', '.join(sorted(roles)) or '(none defined)'}, or add "
                        "that role under keys",
                    )
                )
    return problems


def ci_secrets_plan(ci: CiSecretsConfig) -> CiSecretsPlan:
    return CiSecretsPlan(
        github=tuple(
            GithubTargetPlan(
                repository=t.repository,
                environment=t.environment,
                roles=tuple(t.roles),
                create_environment=t.create_environment,
                reviewer_users=tuple(t.reviewers.users) if t.reviewers else (),
                reviewer_teams=tuple(t.reviewers.teams) if t.reviewers else (),
                wait_timer_minutes=t.wait_timer_minutes,
                prevent_self_review=t.prevent_self_review,
                secret_prefixes=tuple(sorted(t.secret_prefixes.items())),
            )
            for t in ci.github
        ),
        gitlab=tuple(
            GitlabTargetPlan(
                project=t.project,
                environment_scope=t.environment_scope,
                roles=tuple(t.roles),
                protected=t.protected,
                variable_prefixes=tuple(sorted(t.variable_prefixes.items())),
            )
            for t in ci.gitlab
        ),
    )
