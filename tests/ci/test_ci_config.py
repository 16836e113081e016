"""The `ciSecrets` section: names in the plan, every validation rule with a failing config."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from infra.core import ci_values
from infra.core.ci_facts import ValueFormat, format_unmaskable_reason, value_unmaskable_reason
from infra.core.ci_plan_builder import ci_secrets_warnings
from infra.core.ci_values import B2_APPLICATION_KEY_FORMAT, B2_KEY_ID_FORMAT, CiValue
from infra.core.problems import NAMESPACE, PlanError
from infra.core.stack_files import available_stacks, load_plan_for_stack
from tests.ci.ci_fixtures import plan_from

Mutation = Callable[[dict[str, Any]], None]
GH = f"{NAMESPACE}:ciSecrets.github"
GL = f"{NAMESPACE}:ciSecrets.gitlab"


def gh(i: int = 0, **changes: Any) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        raw["ciSecrets"]["github"][i].update(changes)

    return mutate


def gl(i: int = 0, **changes: Any) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        raw["ciSecrets"]["gitlab"][i].update(changes)

    return mutate


def add_target(kind: str, target: dict[str, Any]) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        raw["ciSecrets"][kind].append(target)

    return mutate


def many_roles(count: int) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        roles = [f"r{i}" for i in range(count)]
        raw["keys"] = {role: {"capabilities": ["listFiles"]} for role in roles}
        raw["ciSecrets"] = {
            "github": [
                {
                    "repository": "acme/media-platform",
                    "environment": "dev",
                    "roles": roles,
                    "secretPrefixes": {role: f"{role.upper()}_" for role in roles},
                }
            ]
        }

    return mutate


def problems_of(raw: dict[str, Any]) -> PlanError:
    with pytest.raises(PlanError) as info:
        plan_from(raw)
    return info.value


# --- Names in the plan ---------------------------------------------------------------------------


def test_first_role_gets_the_conventional_names_and_a_prefixed_role_its_own(base):
    target = plan_from(base).ci_secrets.github[0]
    assert [(v.name, v.role, v.source, v.secret) for v in target.values] == [
        ("AWS_ACCESS_KEY_ID", "app", CiValue.KEY_ID, True),
        ("AWS_SECRET_ACCESS_KEY", "app", CiValue.APPLICATION_KEY, True),
        ("AWS_ENDPOINT_URL", "app", CiValue.ENDPOINT, False),
        ("AWS_DEFAULT_REGION", "app", CiValue.REGION, False),
        ("PXT_B2_BUCKET", "app", CiValue.BUCKET, False),
        ("PIXELTABLE_OUTPUT_MEDIA_DEST", "app", CiValue.OUTPUT_MEDIA_DEST, False),
        ("PIXELTABLE_INPUT_MEDIA_DEST", "app", CiValue.INPUT_MEDIA_DEST, False),
        ("SMOKE_AWS_ACCESS_KEY_ID", "smoke", CiValue.KEY_ID, True),
        ("SMOKE_AWS_SECRET_ACCESS_KEY", "smoke", CiValue.APPLICATION_KEY, True),
        ("SMOKE_AWS_ENDPOINT_URL", "smoke", CiValue.ENDPOINT, False),
        ("SMOKE_AWS_DEFAULT_REGION", "smoke", CiValue.REGION, False),
        ("SMOKE_PXT_B2_BUCKET", "smoke", CiValue.BUCKET, False),
        ("SMOKE_PIXELTABLE_OUTPUT_MEDIA_DEST", "smoke", CiValue.OUTPUT_MEDIA_DEST, False),
        ("SMOKE_PIXELTABLE_INPUT_MEDIA_DEST", "smoke", CiValue.INPUT_MEDIA_DEST, False),
        ("AWS_REQUEST_CHECKSUM_CALCULATION", None, CiValue.REQUEST_CHECKSUM, False),
        ("AWS_RESPONSE_CHECKSUM_VALIDATION", None, CiValue.RESPONSE_CHECKSUM, False),
    ]
    assert target.owner == "acme"
    assert target.repository_name == "media-platform"
    assert ci_values.CONSTANT_VALUES == {
        CiValue.REQUEST_CHECKSUM: "when_required",
        CiValue.RESPONSE_CHECKSUM: "when_required",
    }


def test_gitlab_target_names_and_defaults(base):
    target = plan_from(base).ci_secrets.gitlab[0]
    assert target.protected is True
    assert target.environment_scope == "*"
    assert [v.name for v in target.values if v.secret] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]


def test_a_single_mapping_is_accepted_for_one_target(base):
    base["ciSecrets"] = {
        "github": {"repository": "acme/x", "environment": "dev", "roles": ["smoke"]}
    }
    plan = plan_from(base)
    assert [t.repository for t in plan.ci_secrets.github] == ["acme/x"]


def test_the_plan_json_holds_names_only(base):
    text = plan_from(base).model_dump_json()
    assert "AWS_SECRET_ACCESS_KEY" in text
    assert "when_required" not in text  # constants are applied by the program, not stored


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_ci_secrets_are_valid(stack):
    plan = load_plan_for_stack(stack)
    assert plan.ci_secrets.roles <= set(plan.roles)
    assert plan.ci_secrets.github
    if stack == "prod":
        (target,) = [t for t in plan.ci_secrets.github if t.environment == "prod"]
        assert target.create_environment
        assert target.reviewer_teams
        assert plan.ci_secrets.gitlab


def test_the_shipped_stack_files_still_validate():
    assert available_stacks() == ["dev", "prod"]
    for stack in available_stacks():
        load_plan_for_stack(stack)


# --- Every rule: one failing config each ---------------------------------------------------------

RULES = [
    pytest.param(
        gh(roles=["ghost"], secretPrefixes={}),
        [(f"{GH}[0].roles", "'ghost'")],
        id="github-unknown-role",
    ),
    pytest.param(
        gl(roles=["ghost"]),
        [(f"{GL}[0].roles", "'ghost'")],
        id="gitlab-unknown-role",
    ),
    pytest.param(
        gh(roles=["app", "smoke", "smoke"]),
        [(f"{GH}[0].roles", "'smoke'")],
        id="github-role-listed-twice",
    ),
    pytest.param(
        gh(secretPrefixes={}),
        [(f"{GH}[0].secretPrefixes.smoke", "(missing)")],
        id="github-two-roles-without-distinct-prefixes",
    ),
    pytest.param(
        gh(secretPrefixes={"app": "X_", "smoke": "x_"}),
        [(f"{GH}[0].secretPrefixes.smoke", "'x_'")],
        id="github-prefixes-equal-ignoring-case",
    ),
    pytest.param(
        gh(secretPrefixes={"smoke": "SMOKE-"}),
        [(f"{GH}[0].secretPrefixes.smoke", "'SMOKE-'")],
        id="github-name-bad-character",
    ),
    pytest.param(
        gh(secretPrefixes={"smoke": "GITHUB_"}),
        [(f"{GH}[0].secretPrefixes.smoke", "'GITHUB_'")],
        id="github-name-reserved-prefix",
    ),
    pytest.param(
        gh(secretPrefixes={"smoke": "github_"}),
        [(f"{GH}[0].secretPrefixes.smoke", "'github_'")],
        id="github-name-reserved-prefix-any-case",
    ),
    pytest.param(
        gh(secretPrefixes={"smoke": "2_"}),
        [(f"{GH}[0].secretPrefixes.smoke", "'2_'")],
        id="github-name-leading-digit",
    ),
    pytest.param(
        gh(secretPrefixes={"smoke": "SMOKE_", "readonly": "RO_"}),
        [(f"{GH}[0].secretPrefixes.readonly", "'RO_'")],
        id="github-prefix-for-unlisted-role",
    ),
    pytest.param(
        gh(repository="media-platform"),
        [(f"{GH}[0].repository", "'media-platform'")],
        id="github-repository-without-owner",
    ),
    pytest.param(
        gh(repository="acme/media platform"),
        [(f"{GH}[0].repository", "'acme/media platform'")],
        id="github-repository-with-space",
    ),
    pytest.param(
        gh(repository="https://github.com/acme/media-platform"),
        [(f"{GH}[0].repository", "https://github.com/acme/media-platform")],
        id="github-repository-as-url",
    ),
    pytest.param(
        gh(repository="-acme/media"),
        [(f"{GH}[0].repository", "'-acme/media'")],
        id="github-owner-leading-hyphen",
    ),
    pytest.param(
        gh(repository="acme/.."),
        [(f"{GH}[0].repository", "'acme/..'")],
        id="github-repository-dot-dot",
    ),
    pytest.param(
        gh(environment=""),
        [(f"{GH}[0].environment", "''")],
        id="github-environment-empty",
    ),
    pytest.param(
        gh(environment="e" * 256),
        [(f"{GH}[0].environment", "'eeee")],
        id="github-environment-too-long",
    ),
    pytest.param(
        gh(createEnvironment=True, reviewers={"users": [1, 2, 3, 4], "teams": [5, 6, 7]}),
        [(f"{GH}[0].reviewers", "7 reviewers")],
        id="github-more-than-six-reviewers",
    ),
    pytest.param(
        gh(reviewers={"teams": [5]}),
        [(f"{GH}[0].reviewers", "(given)")],
        id="github-reviewers-without-create-environment",
    ),
    pytest.param(
        gh(waitTimerMinutes=10),
        [(f"{GH}[0].waitTimerMinutes", "10")],
        id="github-wait-timer-without-create-environment",
    ),
    pytest.param(
        gh(preventSelfReview=True),
        [(f"{GH}[0].preventSelfReview", "True")],
        id="github-prevent-self-review-without-create-environment",
    ),
    pytest.param(
        gh(protectedBranchesOnly=True),
        [(f"{GH}[0].protectedBranchesOnly", "True")],
        id="github-branch-policy-without-create-environment",
    ),
    pytest.param(
        gh(createEnvironment=True, waitTimerMinutes=43_201),
        [(f"{GH}[0].waitTimerMinutes", "43201")],
        id="github-wait-timer-over-30-days",
    ),
    pytest.param(
        many_roles(51),
        [(f"{GH}[0].roles", "102 secrets"), (f"{GH}[0].roles", "257 variables")],
        id="github-more-than-100-environment-secrets",
    ),
    pytest.param(
        many_roles(20),  # 5 variables per role (media destinations counted for every role) + 2
        [(f"{GH}[0].roles", "102 variables")],
        id="github-more-than-100-environment-variables",
    ),
    pytest.param(
        add_target(
            "github",
            {"repository": "ACME/media-platform", "environment": "Dev", "roles": ["app"]},
        ),
        [(f"{GH}[1].environment", "'dev'")],
        id="github-two-targets-for-one-environment",
    ),
    pytest.param(
        gl(project="media"),
        [(f"{GL}[0].project", "'media'")],
        id="gitlab-project-without-group",
    ),
    pytest.param(
        gl(project="acme/media.git"),
        [(f"{GL}[0].project", "'acme/media.git'")],
        id="gitlab-project-with-dot-git",
    ),
    pytest.param(
        gl(project="acme//media"),
        [(f"{GL}[0].project", "'acme//media'")],
        id="gitlab-project-empty-segment",
    ),
    pytest.param(
        gl(environmentScope=""),
        [(f"{GL}[0].environmentScope", "''")],
        id="gitlab-scope-empty",
    ),
    pytest.param(
        gl(variablePrefixes={"app": "APP-"}),
        [(f"{GL}[0].variablePrefixes.app", "'APP-'")],
        id="gitlab-key-bad-character",
    ),
    pytest.param(
        gl(roles=["app", "smoke"]),
        [(f"{GL}[0].variablePrefixes.smoke", "(missing)")],
        id="gitlab-two-roles-without-distinct-prefixes",
    ),
    pytest.param(
        gl(variablePrefixes={"smoke": "S_"}),
        [(f"{GL}[0].variablePrefixes.smoke", "'S_'")],
        id="gitlab-prefix-for-unlisted-role",
    ),
    pytest.param(
        add_target("gitlab", {"project": "acme/platform/media", "roles": ["smoke"]}),
        [(f"{GL}[1].environmentScope", "'*'")],
        id="gitlab-two-targets-for-one-project-and-scope",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), RULES)
def test_rule(base, mutate: Mutation, expected: list[tuple[str, str]]):
    mutate(base)
    error = problems_of(base)
    assert sorted(p.path for p in error.problems) == sorted(path for path, _ in expected)
    for path, shown in expected:
        lines = [p.render() for p in error.problems if p.path == path]
        assert any(shown in line for line in lines), (shown, lines)
    for problem in error.problems:
        assert re.search(r"\. Fix: \S", problem.render()), problem.render()


def test_unknown_roles_are_not_reported_when_the_keys_section_is_itself_invalid(base):
    base["keys"] = "not a mapping"
    base["ciSecrets"]["github"][0]["roles"] = ["ghost"]
    paths = [p.path for p in problems_of(base).problems]
    assert f"{NAMESPACE}:keys" in paths
    assert not any(p.startswith(f"{GH}[0].roles") for p in paths)


def test_all_ci_problems_are_reported_at_once(base):
    gh(secretPrefixes={"smoke": "2_", "ghost": "G_"}, waitTimerMinutes=3)(base)
    gl(roles=["ghost"])(base)
    paths = {p.path for p in problems_of(base).problems}
    assert paths == {
        f"{GH}[0].secretPrefixes.smoke",
        f"{GH}[0].secretPrefixes.ghost",
        f"{GH}[0].waitTimerMinutes",
        f"{GL}[0].roles",
    }


# --- GitLab masking -------------------------------------------------------------------------------


def test_b2_key_formats_are_maskable_by_gitlab():
    assert format_unmaskable_reason(B2_KEY_ID_FORMAT) is None
    assert format_unmaskable_reason(B2_APPLICATION_KEY_FORMAT) is None
    # Synthetic values in the shapes b2sdk documents: a key id, current and old-style secrets
    for value in (
        "0010000000000000000000001",
        "K001" + "FAKEfake" * 3 + "/00",  # built, so no tracked line looks like a real key
        "FAKEfakeFAKEfake_FAKEfake00",
    ):
        assert value_unmaskable_reason(value) is None, value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("appKey0", "7 characters"),  # what b2sdk's RawSimulator hands out
        ("has space in it", "1 distinct character(s) outside"),
        ("abc!def#ghij", "2 distinct character(s) outside"),
        ("line\nbreak-value", "outside"),
    ],
)
def test_values_gitlab_refuses_to_mask_are_caught_without_quoting_them(value, why):
    reason = value_unmaskable_reason(value)
    assert reason is not None
    assert why in reason
    for fragment in ("appKey0", "space", "abc", "line", "!", "#"):
        assert fragment not in reason


def test_an_unmaskable_secret_format_is_refused_at_plan_time(base, monkeypatch):
    odd = ValueFormat("a hypothetical key format with '!'", 20, frozenset("abc!"))
    monkeypatch.setitem(ci_values.SECRET_FORMATS, CiValue.APPLICATION_KEY, odd)
    error = problems_of(base)
    assert [p.path for p in error.problems] == [f"{GL}[0].roles"]
    assert "would refuse to mask" in error.problems[0].problem
    assert "a hypothetical key format with '!' is not maskable" in error.problems[0].problem
    assert "outside GitLab's maskable alphabet" in error.problems[0].problem
    # GitHub secrets are not masked by rule, so the GitHub target is not affected
    base["ciSecrets"].pop("gitlab")
    plan_from(base)


# --- Warnings (allowed, but said) -------------------------------------------------------------


def test_a_non_star_gitlab_scope_is_a_warning_not_an_error(base):
    gl(environmentScope="production")(base)
    plan = plan_from(base)
    (warning,) = ci_secrets_warnings(plan.ci_secrets)
    assert warning.startswith(f"{GL}[0].environmentScope = 'production'")
    assert "Community Edition" in warning


def test_the_star_scope_has_no_warning(base):
    assert ci_secrets_warnings(plan_from(base).ci_secrets) == []
