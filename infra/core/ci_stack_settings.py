"""Pydantic models of the `pixeltable-b2:ciSecrets` section: where each role's key is pushed.

Only rules that look at one field live here; rules across fields and sections (known roles,
names, limits, duplicate targets) live in `infra.core.ci_plan_builder`.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from infra.core import ci_facts as ci
from infra.core.settings_base import ConfigModel, rule_error, schema_pattern

_NEEDS_CREATE = "Only with createEnvironment: true."
_PREFIXES = (
    "Per role, text put before each of its names (`{{app: APP_}}` gives APP_AWS_ACCESS_KEY_ID); "
    "default: no prefix. Two roles in one {where} need distinct prefixes."
)


class GithubReviewersConfig(ConfigModel):
    users: list[int] = Field(
        default=[], description="GitHub user ids (numbers, not logins) who may approve a job."
    )
    teams: list[int] = Field(
        default=[],
        description="GitHub team ids who may approve a job "
        "(`gh api orgs/<org>/teams/<team> --jq .id`).",
    )


class GithubTargetConfig(ConfigModel):
    repository: str = Field(
        description="The repository, written owner/name as in its URL.",
        json_schema_extra=schema_pattern(ci.GITHUB_REPOSITORY),
    )
    environment: str = Field(
        description="The Actions environment that receives the secrets and variables "
        f"(1 to {ci.GITHUB_ENVIRONMENT_NAME_MAX} characters).",
        json_schema_extra={"minLength": 1, "maxLength": ci.GITHUB_ENVIRONMENT_NAME_MAX},
    )
    roles: list[str] = Field(
        min_length=1,
        description="Key roles (names under `keys`) whose credentials and settings are pushed, "
        "each once.",
    )
    create_environment: bool = Field(
        default=False,
        description="true: this stack creates and owns the environment and its protection "
        "rules; false: the environment is used as it is.",
    )
    reviewers: GithubReviewersConfig | None = Field(
        default=None,
        description=f"Who must approve a job using the environment; at most "
        f"{ci.GITHUB_MAX_REVIEWERS} users and teams together. {_NEEDS_CREATE}",
    )
    wait_timer_minutes: int | None = Field(
        default=None,
        ge=0,
        le=ci.GITHUB_WAIT_TIMER_MAX_MINUTES,
        description=f"Minutes a job waits before it may use the environment "
        f"(0 to {ci.GITHUB_WAIT_TIMER_MAX_MINUTES}). {_NEEDS_CREATE}",
    )
    prevent_self_review: bool = Field(
        default=False,
        description=f"true: whoever starts a job cannot approve it. {_NEEDS_CREATE}",
    )
    protected_branches_only: bool = Field(
        default=False,
        description=f"true: only protected branches may use the environment. {_NEEDS_CREATE}",
    )
    secret_prefixes: dict[str, str] = Field(
        default={}, description=_PREFIXES.format(where="environment")
    )

    @field_validator("repository")
    @classmethod
    def _owner_slash_name(cls, repository: str) -> str:
        match = ci.GITHUB_REPOSITORY.fullmatch(repository)
        if match is None or match["name"] in (".", ".."):
            raise rule_error(
                "a GitHub repository is written owner/name (owner: letters, digits and '-'; "
                "name: letters, digits, '.', '_' and '-')",
                "write it as in the repository's URL, for example acme/media-platform",
            )
        return repository

    @field_validator("environment")
    @classmethod
    def _environment_name(cls, name: str) -> str:
        if not name.strip() or name != name.strip() or len(name) > ci.GITHUB_ENVIRONMENT_NAME_MAX:
            raise rule_error(
                f"a GitHub environment name is 1 to {ci.GITHUB_ENVIRONMENT_NAME_MAX} characters "
                "without leading or trailing spaces",
                "use the environment's name as shown under Settings > Environments, e.g. prod",
            )
        return name


class GitlabTargetConfig(ConfigModel):
    project: str = Field(
        description="The project: its numeric id or its full path group[/subgroup]/project.",
        json_schema_extra=schema_pattern(ci.GITLAB_PROJECT),
    )
    environment_scope: str = Field(
        default=ci.GITLAB_ALL_ENVIRONMENTS,
        description=f"Which environments see the variables: '{ci.GITLAB_ALL_ENVIRONMENTS}' "
        "(every one) or an environment name, wildcards allowed. On GitLab CE only "
        f"'{ci.GITLAB_ALL_ENVIRONMENTS}' plans consistently.",
    )
    roles: list[str] = Field(
        min_length=1,
        description="Key roles (names under `keys`) whose credentials and settings are pushed "
        "as masked variables, each once.",
    )
    protected: bool = Field(
        default=True,
        description="true: only pipelines of protected branches and tags see the variables; "
        "false: every pipeline does.",
    )
    variable_prefixes: dict[str, str] = Field(
        default={}, description=_PREFIXES.format(where="project and scope")
    )

    @field_validator("project")
    @classmethod
    def _project_path(cls, project: str) -> str:
        if not ci.GITLAB_PROJECT.fullmatch(project) or project.endswith((".git", ".atom")):
            raise rule_error(
                "a GitLab project is its numeric id or its full path group/project "
                "(subgroups allowed)",
                "write it as in the project's URL, for example acme/media-platform",
            )
        return project

    @field_validator("environment_scope")
    @classmethod
    def _scope(cls, scope: str) -> str:
        if not scope.strip() or scope != scope.strip():
            raise rule_error(
                "an environment scope is '*' or an environment name (wildcards allowed)",
                "use '*' for every environment, or an environment name such as production",
            )
        return scope


class CiSecretsConfig(ConfigModel):
    github: list[GithubTargetConfig] = Field(
        default=[],
        description="GitHub Actions environments that receive role keys as environment "
        "secrets and the endpoint, region and bucket as variables: one target or a list. "
        "Needs GITHUB_TOKEN.",
    )
    gitlab: list[GitlabTargetConfig] = Field(
        default=[],
        description="GitLab projects that receive role keys and settings as project "
        "variables: one target or a list. Needs GITLAB_TOKEN.",
    )

    @field_validator(
        "github",
        mode="before",
        json_schema_input_type=GithubTargetConfig | list[GithubTargetConfig],
    )
    @classmethod
    def _one_or_many_github(cls, value: object) -> object:
        return _one_or_many(value)

    @field_validator(
        "gitlab",
        mode="before",
        json_schema_input_type=GitlabTargetConfig | list[GitlabTargetConfig],
    )
    @classmethod
    def _one_or_many_gitlab(cls, value: object) -> object:
        return _one_or_many(value)


def _one_or_many(value: object) -> object:
    """One target may be written without the list around it."""
    return [value] if isinstance(value, dict) else value
