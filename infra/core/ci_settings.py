"""The `ciSecrets` section: where each role's credentials are pushed (GitHub, GitLab).

Config models, plan models, validation and plan building for that section, kept
together so the CI-secrets feature lives in one module. Pure: no I/O, no Pulumi.
The Pulumi resources built from the plan live in `infra.deploy.ci_secrets`.

Naming (every name is computed here, once, and recorded in the plan):
- per role: the key id and key secret (secrets), the S3 endpoint, the region and the
  bucket name (variables), named like the AWS SDK expects (`AWS_ACCESS_KEY_ID`, ...)
  with the role's prefix in front (`secretPrefixes` / `variablePrefixes`, default none);
- once per environment: boto3's two checksum settings, never prefixed, because boto3
  reads only those exact names and B2 refuses the headers they switch off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from infra.core import runtime_env as env
from infra.core.problems import MISSING, NAMESPACE, ConfigProblem, field_path
from infra.core.settings_base import ConfigModel, PlanModel, rule_error

# --- Facts about the two CI systems ------------------------------------------------------------

# GitHub: [A-Za-z0-9_], not starting with a digit or GITHUB_; names are case-insensitive.
GITHUB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GITHUB_RESERVED_PREFIX = "GITHUB_"
GITHUB_MAX_ENVIRONMENT_SECRETS = 100
GITHUB_MAX_ENVIRONMENT_VARIABLES = 100
GITHUB_MAX_REVIEWERS = 6  # users and teams together
GITHUB_ENVIRONMENT_NAME_MAX = 255
# owner: 1-39 letters, digits, '-' (not first or last); repository: letters, digits, . _ -
GITHUB_REPOSITORY = re.compile(
    r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)/(?P<name>[A-Za-z0-9._-]{1,100})$"
)
# GitLab: a numeric project id, or the full path group[/subgroup...]/project.
GITLAB_PROJECT = re.compile(
    r"^(?:\d+|[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+)$"
)
GITLAB_KEY = re.compile(r"^[A-Za-z0-9_]{1,255}$")
GITLAB_ALL_ENVIRONMENTS = "*"
# GitLab refuses `masked` unless the value is >= 8 characters, all from the RFC 4648 base64
# and base64url alphabets (incl. '=' padding) plus '@', ':', '.', '~' (Ci::Maskable::REGEX,
# the rule for masked variables that are expanded; newer GitLab relaxes it for raw ones, which
# older self-managed instances do not, so the strict rule is checked).
GITLAB_MASK_MIN_LENGTH = 8
GITLAB_MASK_ALPHABET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + "+/=_-" + "@:.~"
)


@dataclass(frozen=True)
class ValueFormat:
    """The shape of a value that is only known after `pulumi up` creates it."""

    description: str
    min_length: int
    alphabet: frozenset[str]


_HEX = frozenset("0123456789abcdef")
_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# What B2 hands out for a non-master application key (b2sdk's glossary: a key id of 25 hex
# digits, a secret of 31 base64 characters starting with 'K'; older secrets were 27
# characters with '_'). Both are maskable: long enough, and inside GitLab's alphabet.
B2_KEY_ID_FORMAT = ValueFormat("a B2 application key id (25 hex digits)", 25, _HEX)
B2_APPLICATION_KEY_FORMAT = ValueFormat(
    "a B2 application key (27 to 31 characters of the base64 alphabet)",
    27,
    _BASE64 | frozenset("_"),
)


def unmaskable_reason(
    length: int, characters: Iterable[str], *, actual: bool = False
) -> str | None:
    """Why GitLab would refuse to mask a value of this length and these characters, or None.

    `actual` words it for a real value rather than a format; it never quotes characters.
    """
    outside = len(set(characters) - GITLAB_MASK_ALPHABET)
    reasons = []
    if length < GITLAB_MASK_MIN_LENGTH:
        size = "it is" if actual else "it can be"
        reasons.append(f"{size} {length} characters long, GitLab needs at least 8")
    if outside:
        has = "it contains" if actual else "it can contain"
        reasons.append(
            f"{has} {outside} distinct character(s) outside GitLab's maskable alphabet "
            "(base64 plus @ : . ~)"
        )
    return "; ".join(reasons) or None


def format_unmaskable_reason(value_format: ValueFormat) -> str | None:
    return unmaskable_reason(value_format.min_length, value_format.alphabet)


def value_unmaskable_reason(value: str) -> str | None:
    """The same check on an actual value; the reason never quotes the value."""
    return unmaskable_reason(len(value), value, actual=True)


# --- What is pushed ----------------------------------------------------------------------------


class CiValue(StrEnum):
    """Where a CI secret or variable takes its value from."""

    KEY_ID = "keyId"
    APPLICATION_KEY = "applicationKey"
    ENDPOINT = "endpoint"
    REGION = "region"
    BUCKET = "bucket"
    REQUEST_CHECKSUM = "requestChecksumCalculation"
    RESPONSE_CHECKSUM = "responseChecksumValidation"
    OUTPUT_MEDIA_DEST = "outputMediaDest"
    INPUT_MEDIA_DEST = "inputMediaDest"


# Per role, in this order: (source, base name, secret?)
ROLE_VALUES: tuple[tuple[CiValue, str, bool], ...] = (
    (CiValue.KEY_ID, env.ACCESS_KEY_ID, True),
    (CiValue.APPLICATION_KEY, env.SECRET_ACCESS_KEY, True),
    (CiValue.ENDPOINT, env.ENDPOINT_URL, False),
    (CiValue.REGION, env.REGION, False),
    (CiValue.BUCKET, env.BUCKET, False),
    # Pixeltable's destinations under the role's prefix; pushed only for roles that write.
    (CiValue.OUTPUT_MEDIA_DEST, env.OUTPUT_MEDIA_DEST, False),
    (CiValue.INPUT_MEDIA_DEST, env.INPUT_MEDIA_DEST, False),
)
MEDIA_DEST_VALUES: dict[CiValue, str] = {
    CiValue.OUTPUT_MEDIA_DEST: env.OUTPUT_MEDIA_DEST,
    CiValue.INPUT_MEDIA_DEST: env.INPUT_MEDIA_DEST,
}
# Once per environment, never prefixed.
ENVIRONMENT_VALUES: tuple[tuple[CiValue, str, bool], ...] = (
    (CiValue.REQUEST_CHECKSUM, env.REQUEST_CHECKSUM, False),
    (CiValue.RESPONSE_CHECKSUM, env.RESPONSE_CHECKSUM, False),
)
CONSTANT_VALUES: dict[CiValue, str] = {
    CiValue.REQUEST_CHECKSUM: env.CHECKSUM_SETTINGS[env.REQUEST_CHECKSUM],
    CiValue.RESPONSE_CHECKSUM: env.CHECKSUM_SETTINGS[env.RESPONSE_CHECKSUM],
}
SECRET_FORMATS: dict[CiValue, ValueFormat] = {
    CiValue.KEY_ID: B2_KEY_ID_FORMAT,
    CiValue.APPLICATION_KEY: B2_APPLICATION_KEY_FORMAT,
}


# --- Configuration (camelCase in the stack file) --------------------------------------------


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
    protected_branches_only: bool = False
    secret_prefixes: dict[str, str] = {}

    @field_validator("repository")
    @classmethod
    def _owner_slash_name(cls, repository: str) -> str:
        match = GITHUB_REPOSITORY.fullmatch(repository)
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
        if not name.strip() or name != name.strip() or len(name) > GITHUB_ENVIRONMENT_NAME_MAX:
            raise rule_error(
                f"a GitHub environment name is 1 to {GITHUB_ENVIRONMENT_NAME_MAX} characters "
                "without leading or trailing spaces",
                "use the environment's name as shown under Settings > Environments, e.g. prod",
            )
        return name


class GitlabTargetConfig(ConfigModel):
    project: str
    environment_scope: str = GITLAB_ALL_ENVIRONMENTS
    roles: list[str] = Field(min_length=1)
    protected: bool = True
    variable_prefixes: dict[str, str] = {}

    @field_validator("project")
    @classmethod
    def _project_path(cls, project: str) -> str:
        if not GITLAB_PROJECT.fullmatch(project) or project.endswith((".git", ".atom")):
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
    github: list[GithubTargetConfig] = []
    gitlab: list[GitlabTargetConfig] = []

    @field_validator("github", "gitlab", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value


# --- Plan ----------------------------------------------------------------------------------------


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


def _values(roles: Iterable[str], prefixes: dict[str, str]) -> tuple[CiValuePlan, ...]:
    values = [
        CiValuePlan(name=prefixes.get(role, "") + base, source=source, role=role, secret=secret)
        for role in roles
        for source, base, secret in ROLE_VALUES
    ]
    values += [
        CiValuePlan(name=base, source=source, role=None, secret=secret)
        for source, base, secret in ENVIRONMENT_VALUES
    ]
    return tuple(values)


# --- Validation ----------------------------------------------------------------------------------


def _path(kind: str, i: int, *rest: Any) -> str:
    return field_path("ciSecrets", (kind, i, *rest))


def _role_problems(
    kind: str, i: int, target_roles: list[str], known: set[str] | None
) -> list[ConfigProblem]:
    problems = []
    seen: set[str] = set()
    for role in target_roles:
        if known is not None and role not in known:
            problems.append(
                ConfigProblem(
                    _path(kind, i, "roles"),
                    role,
                    f"no key role {role!r} is defined under {NAMESPACE}:keys",
                    f"use one of {', '.join(sorted(known)) or '(none defined)'}, or add "
                    "that role under keys",
                )
            )
        if role in seen:
            problems.append(
                ConfigProblem(
                    _path(kind, i, "roles"),
                    role,
                    f"role {role!r} is listed twice",
                    "list each role once",
                )
            )
        seen.add(role)
    return problems


def _name_problems(
    kind: str,
    i: int,
    prefixes_field: str,
    target_roles: list[str],
    prefixes: dict[str, str],
    invalid_name: Callable[[str], str | None],
) -> list[ConfigProblem]:
    """Prefixes for unlisted roles, names the CI system refuses, names used twice."""
    problems = []
    for role in prefixes:
        if role not in target_roles:
            problems.append(
                ConfigProblem(
                    _path(kind, i, prefixes_field, role),
                    prefixes[role],
                    f"role {role!r} is not listed in this target's roles",
                    f"add {role!r} to roles, or remove its prefix",
                )
            )
    # Environment-wide names first, so a clash is reported on the role that causes it.
    owner_of: dict[str, str | None] = {base.upper(): None for _, base, _ in ENVIRONMENT_VALUES}
    invalid_reported: set[str] = set()
    clash_reported: set[str] = set()
    for value in _values(dict.fromkeys(target_roles), prefixes):
        if value.role is None:
            continue
        role = value.role
        path = _path(kind, i, prefixes_field, role)
        shown = prefixes.get(role, MISSING)
        reason = invalid_name(value.name)
        if reason and path not in invalid_reported:
            invalid_reported.add(path)
            problems.append(
                ConfigProblem(
                    path,
                    shown,
                    f"with this prefix role {role!r} would write {value.name!r}, which {reason}",
                    "use a prefix of letters, digits and '_' that starts with a letter, "
                    f"for example {role.upper().replace('-', '_')}_",
                )
            )
        folded = value.name.upper()
        if folded in owner_of and path not in clash_reported:
            clash_reported.add(path)
            first = owner_of[folded]
            whose = f"role {first!r}" if first is not None else "the environment-wide settings"
            problems.append(
                ConfigProblem(
                    path,
                    shown,
                    f"role {role!r} would write {value.name}, which {whose} already writes "
                    "in the same environment (names are compared ignoring case)",
                    f"give role {role!r} a distinct prefix, for example "
                    f"{prefixes_field}: {{{role}: {role.upper().replace('-', '_')}_}}",
                )
            )
        owner_of.setdefault(folded, role)
    return problems


def _github_name_rule(name: str) -> str | None:
    if not GITHUB_NAME.fullmatch(name):
        return "GitHub refuses (only letters, digits and '_', not starting with a digit)"
    if name.upper().startswith(GITHUB_RESERVED_PREFIX):
        return "GitHub refuses (names must not start with GITHUB_)"
    return None


def _gitlab_name_rule(name: str) -> str | None:
    if not GITLAB_KEY.fullmatch(name):
        return "GitLab refuses (only letters, digits and '_', at most 255 characters)"
    return None


def _github_problems(i: int, target: GithubTargetConfig) -> list[ConfigProblem]:
    problems = _name_problems(
        "github",
        i,
        "secretPrefixes",
        target.roles,
        target.secret_prefixes,
        _github_name_rule,
    )
    values = _values(dict.fromkeys(target.roles), target.secret_prefixes)
    secrets = sum(1 for v in values if v.secret)
    variables = len(values) - secrets
    for count, limit, what in (
        (secrets, GITHUB_MAX_ENVIRONMENT_SECRETS, "secrets"),
        (variables, GITHUB_MAX_ENVIRONMENT_VARIABLES, "variables"),
    ):
        if count > limit:
            problems.append(
                ConfigProblem(
                    _path("github", i, "roles"),
                    f"{len(target.roles)} roles",
                    f"this environment would hold {count} {what}; GitHub allows {limit}",
                    "split the roles over several environments",
                )
            )
    reviewers = target.reviewers
    count = len(reviewers.users) + len(reviewers.teams) if reviewers else 0
    if count > GITHUB_MAX_REVIEWERS:
        problems.append(
            ConfigProblem(
                _path("github", i, "reviewers"),
                f"{count} reviewers",
                f"GitHub allows at most {GITHUB_MAX_REVIEWERS} reviewers (users and teams "
                "together) per environment",
                "list a team instead of its members",
            )
        )
    protection = {
        "reviewers": reviewers is not None,
        "waitTimerMinutes": target.wait_timer_minutes is not None,
        "preventSelfReview": target.prevent_self_review,
        "protectedBranchesOnly": target.protected_branches_only,
    }
    if not target.create_environment:
        for name, given in protection.items():
            if given:
                problems.append(
                    ConfigProblem(
                        _path("github", i, name),
                        getattr(target, _snake(name)) if name != "reviewers" else "(given)",
                        "protection rules are only applied to an environment this stack "
                        "creates, and createEnvironment is false",
                        "set createEnvironment: true (the stack then owns the environment), "
                        "or remove this setting and protect the environment in GitHub",
                    )
                )
    return problems


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _gitlab_problems(i: int, target: GitlabTargetConfig) -> list[ConfigProblem]:
    problems = _name_problems(
        "gitlab",
        i,
        "variablePrefixes",
        target.roles,
        target.variable_prefixes,
        _gitlab_name_rule,
    )
    for source, value_format in SECRET_FORMATS.items():
        reason = format_unmaskable_reason(value_format)
        if reason:
            problems.append(
                ConfigProblem(
                    _path("gitlab", i, "roles"),
                    ", ".join(target.roles),
                    f"GitLab would refuse to mask the {source} variables: "
                    f"{value_format.description} is not maskable ({reason})",
                    "push these roles to GitHub instead, or keep the key in an external "
                    "secret store; an unmasked key would show in job logs",
                )
            )
    return problems


def _duplicate_target_problems(ci: CiSecretsConfig) -> list[ConfigProblem]:
    """Two targets writing into the same place would declare the same resources twice."""
    problems = []
    places: list[tuple[str, str, list[tuple[str, str]]]] = [
        (
            "github",
            "environment",
            [(t.repository.lower(), t.environment.lower()) for t in ci.github],
        ),
        (
            "gitlab",
            "environmentScope",
            [(t.project.lower(), t.environment_scope) for t in ci.gitlab],
        ),
    ]
    for kind, field, keys in places:
        first: dict[tuple[str, str], int] = {}
        for i, key in enumerate(keys):
            if key in first:
                what = "repository environment" if kind == "github" else "project and scope"
                problems.append(
                    ConfigProblem(
                        _path(kind, i, field),
                        key[1],
                        f"{kind}[{first[key]}] already pushes to this {what}",
                        f"list all roles in one {kind} target (prefixes keep their names apart)",
                    )
                )
            first.setdefault(key, i)
    return problems


def ci_secrets_problems(ci: CiSecretsConfig, roles: set[str] | None) -> list[ConfigProblem]:
    """Every cross-field rule of the section; `roles` is None when the keys are invalid."""
    problems = []
    for i, target in enumerate(ci.github):
        problems += _role_problems("github", i, target.roles, roles)
        problems += _github_problems(i, target)
    for i, target in enumerate(ci.gitlab):
        problems += _role_problems("gitlab", i, target.roles, roles)
        problems += _gitlab_problems(i, target)
    problems += _duplicate_target_problems(ci)
    return problems


def ci_secrets_warnings(ci: CiSecretsPlan) -> list[str]:
    """Things that are allowed but deserve a line in `pulumi up` (not refused)."""
    return [
        f"{field_path('ciSecrets', ('gitlab', i, 'environmentScope'))} = "
        f"{t.environment_scope!r}: the GitLab provider documents that on GitLab Community "
        "Edition an environment scope other than '*' gives inconsistent plans (a change "
        "planned on every run); on CE use '*' and keep environments apart by project or by "
        "protected branches"
        for i, t in enumerate(ci.gitlab)
        if t.environment_scope != GITLAB_ALL_ENVIRONMENTS
    ]


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
                protected_branches_only=t.protected_branches_only,
                secret_prefixes=tuple(sorted(t.secret_prefixes.items())),
                values=_values(t.roles, t.secret_prefixes),
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
                values=_values(t.roles, t.variable_prefixes),
            )
            for t in ci.gitlab
        ),
    )
