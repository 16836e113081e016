"""Validate the `ciSecrets` section against the rest of the stack and build its plan.

Every CI name is computed here, once (`_values`), and recorded in the plan. Pure: no I/O.
Called by `infra.core.plan_builder.build_plan`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from infra.core.ci_facts import (
    GITHUB_MAX_ENVIRONMENT_SECRETS,
    GITHUB_MAX_ENVIRONMENT_VARIABLES,
    GITHUB_MAX_REVIEWERS,
    GITHUB_NAME,
    GITHUB_RESERVED_PREFIX,
    GITLAB_ALL_ENVIRONMENTS,
    GITLAB_KEY,
    format_unmaskable_reason,
)
from infra.core.ci_plan_model import CiSecretsPlan, CiValuePlan, GithubTargetPlan, GitlabTargetPlan
from infra.core.ci_stack_settings import CiSecretsConfig, GithubTargetConfig, GitlabTargetConfig
from infra.core.ci_values import ENVIRONMENT_VALUES, ROLE_VALUES, SECRET_FORMATS
from infra.core.problems import MISSING, NAMESPACE, ConfigProblem, field_path


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
        "github", i, "secretPrefixes", target.roles, target.secret_prefixes, _github_name_rule
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
        "gitlab", i, "variablePrefixes", target.roles, target.variable_prefixes, _gitlab_name_rule
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
