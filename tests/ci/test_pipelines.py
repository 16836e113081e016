"""The pipeline templates under ci/: schema-valid offline, and the structural rules hold.

Schemas: check-jsonschema's vendored copies (`vendor.github-workflows`, `vendor.gitlab-ci`,
`vendor.dependabot`), run with --no-cache so nothing is fetched. actionlint is not used:
its Python wrapper downloads a binary, which is impossible offline.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stack_source import PROJECT_ROOT, available_stacks

GITHUB = PROJECT_ROOT / "ci" / "github" / "workflows" / "pixeltable-b2.yml"
DEPENDABOT = PROJECT_ROOT / "ci" / "github" / "dependabot.yml"
GITLAB = PROJECT_ROOT / "ci" / "gitlab" / "pixeltable-b2.gitlab-ci.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
PINNED_USES = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@(?:v\d+\.\d+\.\d+|[0-9a-f]{40})$")
REQUIRED_SECRETS = ("PULUMI_ACCESS_TOKEN", "B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY")


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans, as GitHub and GitLab read them: `on:` stays a string key."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load(GITHUB)


@pytest.fixture(scope="module")
def gitlab() -> dict[str, Any]:
    return load(GITLAB)


def pulumi_pin() -> str:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    (pin,) = [d for d in project["dependencies"] if d.startswith("pulumi==")]
    return pin.removeprefix("pulumi==")


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--no-cache", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


# --- Schemas ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-workflows", GITHUB),
        ("vendor.gitlab-ci", GITLAB),
        ("vendor.dependabot", DEPENDABOT),
    ],
    ids=["github-workflow", "gitlab-ci", "dependabot"],
)
def test_template_matches_its_published_schema_offline(schema: str, path: Path):
    result = check_jsonschema(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "path", "breakage"),
    [
        ("vendor.github-workflows", GITHUB, ("jobs", "deploy-dev", "runs-on", 5)),
        ("vendor.gitlab-ci", GITLAB, ("deploy-prod", "when", "sometimes")),
    ],
    ids=["github-workflow", "gitlab-ci"],
)
def test_the_schema_check_does_reject_a_broken_template(schema, path, breakage, tmp_path):
    document = load(path)
    target = document
    for part in breakage[:-2]:
        target = target[part]
    target[breakage[-2]] = breakage[-1]
    broken = tmp_path / path.name
    broken.write_text(yaml.safe_dump(document, sort_keys=False))
    result = check_jsonschema(schema, broken)
    assert result.returncode == 1, result.stdout + result.stderr


# --- GitHub Actions -----------------------------------------------------------------------------


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def all_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in workflow["jobs"].items():
        for step in steps(job):
            yield name, step


def test_every_action_is_pinned_to_an_exact_version(workflow):
    uses = [step["uses"] for _, step in all_steps(workflow) if "uses" in step]
    assert uses
    unpinned = [u for u in uses if not PINNED_USES.fullmatch(u)]
    assert unpinned == []


def test_runners_are_pinned(workflow):
    for name, job in workflow["jobs"].items():
        assert not str(job["runs-on"]).endswith("-latest"), name
        assert job.get("timeout-minutes"), name


def test_least_permissions(workflow):
    assert workflow["permissions"] == {}
    writes = set()
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{name} must state its permissions"
        assert isinstance(job["permissions"], dict), name
        writes |= {(name, scope) for scope, level in job["permissions"].items() if level == "write"}
    assert writes == {("preview", "pull-requests")}


def test_triggers(workflow):
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"]["branches"] == ["main"]


def test_no_expression_is_expanded_inside_a_script(workflow):
    """Secrets and event data reach scripts as environment variables, never as text."""
    for name, step in all_steps(workflow):
        assert "${{" not in step.get("run", ""), (name, step.get("name"))


def test_pull_requests_run_the_unit_tests_and_a_commented_preview_per_stack(workflow):
    test = workflow["jobs"]["test"]
    assert [s["run"] for s in steps(test) if "run" in s] == ["./scripts/test"]
    assert "if" not in test  # no secrets needed: it always runs
    preview = workflow["jobs"]["preview"]
    assert "github.event_name == 'pull_request'" in preview["if"]
    assert preview["strategy"]["matrix"]["stack"] == available_stacks()
    (run,) = [s for s in steps(preview) if s.get("with", {}).get("command") == "preview"]
    assert run["uses"].startswith("pulumi/actions@")
    assert run["with"]["stack-name"] == "${{ matrix.stack }}"
    assert run["with"]["comment-on-pr"] is True


def deploy_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        step["with"]["stack-name"]: workflow["jobs"][name]
        for name, step in all_steps(workflow)
        if step.get("with", {}).get("command") == "up"
    }


def test_main_deploys_dev_then_prod_each_followed_by_its_smoke_suite(workflow):
    jobs = deploy_jobs(workflow)
    assert list(jobs) == ["dev", "prod"]
    for stack, job in jobs.items():
        assert "github.event_name == 'push'" in job["if"]
        assert "github.ref == 'refs/heads/main'" in job["if"]
        assert job["environment"] == stack
        listed = steps(job)
        up = next(i for i, s in enumerate(listed) if s.get("with", {}).get("command") == "up")
        smoke = next(i for i, s in enumerate(listed) if "-m smoke" in s.get("run", ""))
        report = f"reports/smoke-{stack}.xml"
        assert up < smoke, stack
        assert listed[smoke]["run"].split()[-5:] == [
            "smoke",
            "--stack",
            stack,
            "--junit-xml",
            report,
        ]
        upload = next(
            i
            for i, s in enumerate(listed)
            if s.get("uses", "").startswith("actions/upload-artifact")
        )
        assert smoke < upload
        assert listed[upload]["if"] == "always()"
        assert listed[upload]["with"]["path"] == report
    assert "deploy-dev" in workflow["jobs"]["deploy-prod"]["needs"]
    assert "test" in workflow["jobs"]["deploy-dev"]["needs"]


def test_each_stack_has_its_own_concurrency_group_and_deploys_are_never_cancelled(workflow):
    groups = {}
    for stack, job in deploy_jobs(workflow).items():
        concurrency = job["concurrency"]
        assert stack in concurrency["group"]
        assert concurrency["cancel-in-progress"] is False
        groups[stack] = concurrency["group"]
    assert len(set(groups.values())) == len(groups)
    assert "${{ matrix.stack }}" in workflow["jobs"]["preview"]["concurrency"]["group"]


def test_the_pulumi_cli_matches_the_sdk_pin(workflow):
    assert workflow["env"]["PULUMI_VERSION"] == pulumi_pin()
    pulumi_steps = [s for _, s in all_steps(workflow) if s.get("uses", "").startswith("pulumi/")]
    assert pulumi_steps
    for step in pulumi_steps:
        assert step["with"]["pulumi-version"] == "${{ env.PULUMI_VERSION }}", step.get("name")


def test_every_job_that_uses_secrets_waits_for_the_guard(workflow):
    text_of = {name: yaml.safe_dump(job) for name, job in workflow["jobs"].items()}
    users = [name for name, text in text_of.items() if "secrets." in text and name != "guard"]
    assert set(users) == {"preview", "deploy-dev", "deploy-prod"}
    for name in users:
        job = workflow["jobs"][name]
        assert "guard" in job["needs"], name
        assert "needs.guard.outputs.configured == 'true'" in job["if"], name
    guard_env = steps(workflow["jobs"]["guard"])[0]["env"]
    for secret in REQUIRED_SECRETS:
        assert guard_env[secret] == f"${{{{ secrets.{secret} }}}}"


def run_guard(workflow: dict[str, Any], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    step = steps(workflow["jobs"]["guard"])[0]
    output = tmp_path / "github_output"
    output.write_text("")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode, output.read_text() + result.stdout


ALL_SET = {
    "PULUMI_ACCESS_TOKEN": "pul-x",
    "B2_APPLICATION_KEY_ID": "004x",
    "B2_APPLICATION_KEY": "K004x",
    "PXT_GITHUB_TOKEN": "ghp-x",
}


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_the_guard_lets_a_configured_repository_through(workflow, tmp_path, event):
    code, text = run_guard(workflow, {**ALL_SET, "EVENT": event}, tmp_path)
    assert code == 0
    assert "configured=true" in text


def test_the_guard_skips_pull_requests_without_secrets_with_a_warning(workflow, tmp_path):
    code, text = run_guard(workflow, {"EVENT": "pull_request"}, tmp_path)
    assert code == 0
    assert "configured=false" in text
    assert "::warning" in text
    assert "PULUMI_ACCESS_TOKEN" in text


def test_the_guard_fails_main_naming_the_missing_secret(workflow, tmp_path):
    env = {**ALL_SET, "EVENT": "push", "B2_APPLICATION_KEY": ""}
    code, text = run_guard(workflow, env, tmp_path)
    assert code == 1
    assert "configured=false" in text
    assert "::error" in text
    assert "B2_APPLICATION_KEY." in text  # the only one missing
    assert "pul-x" not in text


# --- GitLab CI ----------------------------------------------------------------------------------


def flat_script(job: dict[str, Any]) -> list[str]:
    def flatten(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, list):
                yield from flatten(item)
            else:
                yield item

    return list(flatten(job.get("script", [])))


def gitlab_deploys(gitlab: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    found = {}
    for name, job in gitlab.items():
        if not isinstance(job, dict):
            continue
        for line in flat_script(job):
            match = re.match(r"pulumi up --stack (\S+) ", line)
            if match:
                found[match[1]] = (name, job)
    return found


def test_gitlab_stages_and_jobs(gitlab):
    assert gitlab["stages"] == ["check", "test", "preview", "deploy-dev", "deploy-prod"]
    assert flat_script(gitlab["unit-tests"]) == ["./scripts/test"]
    preview = gitlab["preview"]
    assert preview["parallel"]["matrix"] == [{"STACK": available_stacks()}]
    assert any(
        line.startswith('pulumi preview --stack "$STACK" --diff') for line in flat_script(preview)
    )
    assert gitlab["variables"]["PULUMI_VERSION"] == pulumi_pin()
    assert not gitlab["default"]["image"].endswith(":latest")


def test_gitlab_deploys_dev_then_prod_each_followed_by_its_smoke_suite(gitlab):
    deploys = gitlab_deploys(gitlab)
    assert list(deploys) == ["dev", "prod"]
    for stack, (_, job) in deploys.items():
        script = flat_script(job)
        up = next(i for i, line in enumerate(script) if line.startswith("pulumi up"))
        smoke = next(i for i, line in enumerate(script) if " -m smoke " in line)
        report = f"reports/smoke-{stack}.xml"
        assert up < smoke
        assert script[smoke].endswith(f"--stack {stack} --junit-xml {report}")
        assert job["artifacts"]["when"] == "always"
        assert job["artifacts"]["reports"]["junit"] == report
        assert job["environment"]["name"] == stack
        assert job["interruptible"] is False
        assert stack in job["resource_group"]
    groups = [job["resource_group"] for _, job in deploys.values()]
    assert len(set(groups)) == len(groups)


def test_gitlab_prod_waits_for_a_manual_approval_after_dev(gitlab):
    _, prod = gitlab_deploys(gitlab)["prod"]
    assert prod["needs"] == ["deploy-dev"]
    (rule,) = prod["rules"]
    assert rule["when"] == "manual"
    assert rule["allow_failure"] is False
    _, dev = gitlab_deploys(gitlab)["dev"]
    assert all("when" not in r for r in dev["rules"])


def test_gitlab_jobs_needing_credentials_exist_only_when_they_are_configured(gitlab):
    for name in ("preview", "deploy-dev", "deploy-prod"):
        for rule in gitlab[name]["rules"]:
            for variable in REQUIRED_SECRETS:
                assert f"${variable}" in rule["if"], (name, variable)


def run_gitlab_check(gitlab: dict[str, Any], env: dict[str, str]) -> tuple[int, str]:
    script = "\n".join(flat_script(gitlab["required-variables"]))
    result = subprocess.run(
        ["sh", "-e", "-c", script],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_gitlab_check_passes_when_configured(gitlab):
    env = {name: "x-value" for name in REQUIRED_SECRETS}
    env |= {"CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}
    assert run_gitlab_check(gitlab, env)[0] == 0


def test_gitlab_check_warns_on_merge_requests_and_fails_the_default_branch(gitlab):
    code, text = run_gitlab_check(gitlab, {"CI_DEFAULT_BRANCH": "main"})
    assert code == 0
    assert "WARNING" in text
    code, text = run_gitlab_check(
        gitlab,
        {"CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main", "PULUMI_ACCESS_TOKEN": "x1"},
    )
    assert code == 1
    assert "B2_APPLICATION_KEY_ID B2_APPLICATION_KEY." in text
    assert "x1" not in text
