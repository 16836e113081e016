"""The `ciSecrets` part of the stack plan: every CI secret and variable, named once.

Built only by `infra.core.ci_plan_builder.ci_secrets_plan`; the Pulumi resources built
from it live in `infra.deploy.ci_secrets`.
"""

from __future__ import annotations

from infra.core.ci_values import CiValue
from infra.core.settings_base import PlanModel


class CiValuePlan(PlanModel):
    """One CI secret or variable: its name, whose value, and whether it is a secret."""

    name: str
    source: CiValue
    role: str | None  # None: one per environment (the checksum settings)
    secret: bool


class GithubTargetPlan(PlanModel):
    repository: str  # owner/name
    environment: str
    roles: tuple[str, ...]
    create_environment: bool
    reviewer_users: tuple[int, ...]
    reviewer_teams: tuple[int, ...]
    wait_timer_minutes: int | None
    prevent_self_review: bool
    protected_branches_only: bool
    secret_prefixes: tuple[tuple[str, str], ...]
    values: tuple[CiValuePlan, ...]

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def repository_name(self) -> str:
        """The name alone: the GitHub provider takes the owner from its own setting."""
        return self.repository.split("/", 1)[1]

    @property
    def secrets(self) -> tuple[CiValuePlan, ...]:
        return tuple(v for v in self.values if v.secret)

    @property
    def variables(self) -> tuple[CiValuePlan, ...]:
        return tuple(v for v in self.values if not v.secret)


class GitlabTargetPlan(PlanModel):
    project: str
    environment_scope: str
    roles: tuple[str, ...]
    protected: bool
    variable_prefixes: tuple[tuple[str, str], ...]
    values: tuple[CiValuePlan, ...]


class CiSecretsPlan(PlanModel):
    github: tuple[GithubTargetPlan, ...] = ()
    gitlab: tuple[GitlabTargetPlan, ...] = ()

    @property
    def roles(self) -> frozenset[str]:
        """Every role whose key is pushed somewhere."""
        return frozenset(r for t in (*self.github, *self.gitlab) for r in t.roles)
