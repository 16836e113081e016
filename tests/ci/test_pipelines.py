"""The pipeline templates under ci/: schema-valid offline, and the structural rules hold.

Schemas: check-jsonschema's vendored copies (`vendor.github-workflows`, `vendor.gitlab-ci`,
`vendor.dependabot`), run with --no-cache so nothing is fetched. actionlint, shellcheck and
gitlab-ci-local run in tests/ci/test_pipeline_tools.py.
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

from infra.core.stack_files import PROJECT_ROOT, available_stacks

GITHUB = PROJECT_ROOT / "ci" / "github" / "workflows" / "pixeltable-b2.yml"
VERIFY = PROJECT_ROOT / "ci" / "github" / "workflows" / "pixeltable-b2-verify.yml"
CHECK_CREDENTIALS = PROJECT_ROOT / "ci" / "check-credentials.sh"
DEPENDABOT = PROJECT_ROOT / "ci" / "github" / "dependabot.yml"
GITLAB = PROJECT_ROOT / "ci" / "gitlab" / "pixeltable-b2.gitlab-ci.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
PINNED_USES = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v(\d+)\.\d+\.\d+)$")


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
def verify() -> dict[str, Any]:
    return load(VERIFY)


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
        ("vendor.github-workflows", VERIFY),
        ("vendor.gitlab-ci", GITLAB),
        ("vendor.dependabot", DEPENDABOT),
    ],
    ids=["github-workflow", "github-verify", "gitlab-ci", "dependabot"],
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

# Current majors, all on Node 24 (../shared/reference/ci-pipelines.md).
CURRENT_MAJORS = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/upload-artifact": 7,
    "actions/cache": 5,
    "pulumi/actions": 7,
    "pulumi/auth-actions": 2,
}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def all_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in workflow["jobs"].items():
        for step in steps(job):
            yield name, step


@pytest.mark.parametrize("path", [GITHUB, VERIFY], ids=["workflow", "verify"])
def test_every_action_is_pinned_to_a_commit_of_a_current_release(path):
    lines = [line for line in path.read_text().splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        match = PINNED_USES.fullmatch(line)
        assert match, f"not pinned to a full SHA with its release tag: {line.strip()}"
        action, _sha, _tag, major = match.groups()
        assert CURRENT_MAJORS[action] == int(major), line.strip()
    pins = {PINNED_USES.fullmatch(line).group(1, 2, 3) for line in lines}  # type: ignore[union-attr]
    assert len({action for action, _, _ in pins}) == len(pins), "one version per action"


def test_both_templates_pin_the_same_versions():
    def pins(path: Path) -> set[str]:
        return {
            m.group(0).strip()
            for m in map(PINNED_USES.fullmatch, path.read_text().splitlines())
            if m
        }

    shared = {p.split("@")[0] for p in pins(GITHUB)} & {p.split("@")[0] for p in pins(VERIFY)}
    assert shared
    assert {p for p in pins(GITHUB) if p.split("@")[0] in shared} == {
        p for p in pins(VERIFY) if p.split("@")[0] in shared
    }


@pytest.mark.parametrize("name", ["workflow", "verify"])
def test_runners_are_pinned_and_every_job_has_a_timeout(name, workflow, verify):
    for job_name, job in {"workflow": workflow, "verify": verify}[name]["jobs"].items():
        assert not str(job["runs-on"]).endswith("-latest"), job_name
        assert job.get("timeout-minutes"), job_name


def test_least_permissions(workflow, verify):
    writes = set()
    for document in (workflow, verify):
        assert document["permissions"] == {}
        for name, job in document["jobs"].items():
            assert isinstance(job.get("permissions"), dict), f"{name} must state its permissions"
            writes |= {
                (name, scope) for scope, level in job["permissions"].items() if level == "write"
            }
    assert writes == {
        ("preview", "pull-requests"),
        ("preview", "id-token"),
        ("deploy-dev", "id-token"),
        ("deploy-prod", "id-token"),
        ("verify", "id-token"),
    }


def test_triggers(workflow, verify):
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert set(verify["on"]) == {"schedule", "workflow_dispatch"}
    assert verify["on"]["schedule"][0]["cron"]


@pytest.mark.parametrize("name", ["workflow", "verify"])
def test_no_expression_is_expanded_inside_a_script(name, workflow, verify):
    """Secrets and event data reach scripts as environment variables, never as text."""
    for job, step in all_steps({"workflow": workflow, "verify": verify}[name]):
        assert "${{" not in step.get("run", ""), (job, step.get("name"))


def secrets_used(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job)))


def credential_check(job: dict[str, Any]) -> dict[str, Any]:
    (check,) = [s for s in steps(job) if "ci/check-credentials.sh" in s.get("run", "")]
    return check


def test_the_preview_holds_only_its_read_only_environment_and_no_deploy_credential(workflow):
    preview = workflow["jobs"]["preview"]
    assert preview["if"] == "github.event_name == 'pull_request'"
    assert preview["environment"] == "preview-${{ matrix.stack }}"
    assert preview["strategy"]["matrix"]["stack"] == available_stacks()
    # The deployer key's names never appear: the preview's B2 key is the stack's `preview` key.
    assert "B2_APPLICATION_KEY_ID" not in secrets_used(preview)
    assert "B2_APPLICATION_KEY" not in secrets_used(preview)
    (run,) = [s for s in steps(preview) if s.get("with", {}).get("command") == "preview"]
    assert run["uses"].startswith("pulumi/actions@")
    assert run["with"]["stack-name"] == "${{ matrix.stack }}"
    assert run["with"]["comment-on-pr"] is True
    assert run["with"]["refresh"] is True
    assert run["env"]["B2_APPLICATION_KEY_ID"] == "${{ secrets.AWS_ACCESS_KEY_ID }}"
    # Every step after the credential check is skipped when the check says so.
    check_at = steps(preview).index(credential_check(preview))
    for step in steps(preview)[check_at + 1 :]:
        assert step["if"].startswith("steps.creds.outputs.configured == 'true'"), step.get("name")


def test_the_unit_tests_need_no_credential_and_always_run(workflow):
    test = workflow["jobs"]["test"]
    assert [s["run"] for s in steps(test) if "run" in s] == ["./scripts/test"]
    assert "if" not in test
    assert secrets_used(test) == set()
    assert "environment" not in test


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
        assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
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
    assert workflow["jobs"]["deploy-prod"]["needs"] == ["deploy-dev"]
    assert workflow["jobs"]["deploy-dev"]["needs"] == ["test"]


@pytest.mark.parametrize("name", ["workflow", "verify"])
def test_every_job_with_credentials_names_its_environment_and_checks_them_first(
    name, workflow, verify
):
    document = {"workflow": workflow, "verify": verify}[name]
    users = {job_name: job for job_name, job in document["jobs"].items() if secrets_used(job)}
    assert users
    for job_name, job in users.items():
        assert job.get("environment"), f"{job_name}: secrets without an environment"
        check = credential_check(job)
        assert steps(job).index(check) == 1, job_name  # right after the checkout
        required = job_name != "preview"  # pull requests warn, main and schedules fail
        assert ("--required" in check["run"]) is required, job_name
        for variable in ("B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY", "PXT_GITHUB_TOKEN"):
            assert variable in check["env"], (job_name, variable)
            assert variable in check["run"], (job_name, variable)
        assert '"PULUMI_TEAM|PULUMI_ACCESS_TOKEN"' in check["run"], job_name


def test_pulumi_logs_in_by_oidc_with_the_stored_token_as_fallback(workflow, verify):
    for document in (workflow, verify):
        for name, job in document["jobs"].items():
            pulumi = [s for s in steps(job) if s.get("uses", "").startswith("pulumi/actions@")]
            if not pulumi:
                continue
            (oidc,) = [
                s for s in steps(job) if s.get("uses", "").startswith("pulumi/auth-actions@")
            ]
            assert job["permissions"]["id-token"] == "write", name
            assert "vars.PULUMI_TEAM != ''" in oidc["if"], name
            assert oidc["with"]["scope"] == "team:${{ vars.PULUMI_TEAM }}", name
            for step in steps(job):
                token = step.get("env", {}).get("PULUMI_ACCESS_TOKEN")
                if token and step is not credential_check(job):
                    assert token == "${{ env.PULUMI_ACCESS_TOKEN || secrets.PULUMI_ACCESS_TOKEN }}"


def test_each_stack_has_its_own_concurrency_group_and_deploys_are_never_cancelled(workflow):
    groups = {}
    for stack, job in deploy_jobs(workflow).items():
        concurrency = job["concurrency"]
        assert stack in concurrency["group"]
        assert concurrency["cancel-in-progress"] is False
        groups[stack] = concurrency["group"]
    assert len(set(groups.values())) == len(groups)
    assert "${{ matrix.stack }}" in workflow["jobs"]["preview"]["concurrency"]["group"]


@pytest.mark.parametrize("name", ["workflow", "verify"])
def test_the_pulumi_cli_matches_the_sdk_pin(name, workflow, verify):
    document = {"workflow": workflow, "verify": verify}[name]
    assert document["env"]["PULUMI_VERSION"] == pulumi_pin()
    pulumi_steps = [
        s for _, s in all_steps(document) if s.get("uses", "").startswith("pulumi/actions")
    ]
    assert pulumi_steps
    for step in pulumi_steps:
        assert step["with"]["pulumi-version"] == "${{ env.PULUMI_VERSION }}", step.get("name")


@pytest.mark.parametrize("name", ["workflow", "verify"])
def test_cpu_torch_and_caches(name, workflow, verify):
    document = {"workflow": workflow, "verify": verify}[name]
    assert document["env"]["PXB2_TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    for job_name, job in document["jobs"].items():
        runs = [s.get("run", "") for s in steps(job)]
        if not any("./scripts/bootstrap" in r or "./scripts/test" in r for r in runs):
            continue
        cached = [
            s["with"]["path"] for s in steps(job) if s.get("uses", "").startswith("actions/cache@")
        ]
        assert any(".venv" in path for path in cached), job_name
        if any("-m smoke --stack" in r for r in runs):
            assert any("~/.cache/huggingface" in path for path in cached), job_name


def test_the_schedule_checks_drift_then_audits_each_stack_read_only(verify):
    (job,) = verify["jobs"].values()
    assert job["environment"] == "audit-${{ matrix.stack }}"
    assert job["strategy"]["matrix"]["stack"] == available_stacks()
    assert "B2_APPLICATION_KEY_ID" not in secrets_used(job)
    runs = [s.get("run", "") for s in steps(job)]
    drift = next(i for i, r in enumerate(runs) if "pulumi refresh" in r)
    audit = next(i for i, r in enumerate(runs) if "-m smoke audit" in r)
    assert drift < audit
    assert "--preview-only --expect-no-changes" in runs[drift]
    assert "Fix:" in runs[drift]
    assert "--account-key-only --fail-on-warnings" in runs[audit]
    assert steps(job)[audit]["if"] == "${{ !cancelled() }}"  # audit also after drift


# --- The credential check (ci/check-credentials.sh) ---------------------------------------------


def run_check(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    output = tmp_path / "github_output"
    output.write_text("")
    result = subprocess.run(
        ["sh", str(CHECK_CREDENTIALS), *args],
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=PROJECT_ROOT,
    )
    return result.returncode, output.read_text() + result.stdout + result.stderr


PREVIEW_SET = {
    "B2_APPLICATION_KEY_ID": "004x",
    "B2_APPLICATION_KEY": "K004-secret-sentinel",
    "PXT_GITHUB_TOKEN": "ghp-x",
    "PULUMI_TEAM": "readers",
}
PREVIEW_ARGS = [
    "B2_APPLICATION_KEY_ID",
    "B2_APPLICATION_KEY",
    "PXT_GITHUB_TOKEN",
    "PULUMI_TEAM|PULUMI_ACCESS_TOKEN",
]


def test_the_check_lets_a_configured_job_through(tmp_path):
    code, text = run_check(PREVIEW_ARGS, PREVIEW_SET, tmp_path)
    assert code == 0
    assert "configured=true" in text
    fallback = {**PREVIEW_SET, "PULUMI_TEAM": "", "PULUMI_ACCESS_TOKEN": "pul-x"}
    assert run_check(["--required", *PREVIEW_ARGS], fallback, tmp_path)[0] == 0


def test_the_check_warns_on_pull_requests_and_skips(tmp_path):
    code, text = run_check(PREVIEW_ARGS, {"GITHUB_ACTIONS": "true"}, tmp_path)
    assert code == 0
    assert "configured=false" in text
    assert "::warning" in text
    assert "PULUMI_TEAM or PULUMI_ACCESS_TOKEN" in text


def test_the_check_fails_main_naming_only_what_is_missing(tmp_path):
    env = {**PREVIEW_SET, "B2_APPLICATION_KEY": "", "GITHUB_ACTIONS": "true"}
    code, text = run_check(
        ["--required", "--where", "the GitHub environment dev", *PREVIEW_ARGS], env, tmp_path
    )
    assert code == 1
    assert "configured=false" in text
    assert "::error" in text
    assert "missing: B2_APPLICATION_KEY. " in text
    assert "the GitHub environment dev" in text
    assert "004x" not in text
    assert "ghp-x" not in text


def test_the_check_refuses_a_name_that_is_not_a_variable(tmp_path):
    code, text = run_check(["A;rm -rf /"], {}, tmp_path)
    assert code == 2
    assert "is not a variable name" in text


# --- GitLab CI ----------------------------------------------------------------------------------


def flat_script(job: dict[str, Any]) -> list[str]:
    def flatten(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, list):
                yield from flatten(item)
            else:
                yield item

    return list(flatten(job.get("script", [])))


def gitlab_jobs(gitlab: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job
        for name, job in gitlab.items()
        if isinstance(job, dict) and not name.startswith(".") and "script" in job
    }


def gitlab_deploys(gitlab: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    found = {}
    for name, job in gitlab_jobs(gitlab).items():
        for line in flat_script(job):
            match = re.match(r"pulumi up --stack (\S+) ", line)
            if match:
                found[match[1]] = (name, job)
    return found


def test_gitlab_stages_and_jobs(gitlab):
    assert gitlab["stages"] == ["check", "test", "preview", "deploy-dev", "deploy-prod", "verify"]
    assert flat_script(gitlab["unit-tests"]) == ["./scripts/test"]
    preview = gitlab["preview"]
    assert preview["parallel"]["matrix"] == [{"STACK": available_stacks()}]
    assert any(
        line.startswith('pulumi preview --stack "$STACK" --refresh --diff')
        for line in flat_script(preview)
    )
    assert gitlab["verify"]["parallel"]["matrix"] == [{"STACK": available_stacks()}]
    assert gitlab["variables"]["PULUMI_VERSION"] == pulumi_pin()
    assert gitlab[".pulumi"]["image"] == f"pulumi/pulumi-python-3.11:{pulumi_pin()}"
    assert not gitlab[".python"]["image"].endswith(":latest")


def test_gitlab_every_job_has_a_timeout(gitlab):
    for name, job in gitlab_jobs(gitlab).items():
        assert re.fullmatch(r"\d+ minutes", job.get("timeout", "")), name


def test_gitlab_rules_test_no_project_variable(gitlab):
    """Environment-scoped variables may be undefined when rules are evaluated: only CI_* there."""
    rules = [r for job in gitlab_jobs(gitlab).values() for r in job.get("rules", [])]
    rules += gitlab["workflow"]["rules"]
    for rule in rules:
        assert set(re.findall(r"\$(\w+)", rule["if"])) <= {
            "CI_PIPELINE_SOURCE",
            "CI_COMMIT_BRANCH",
            "CI_DEFAULT_BRANCH",
        }, rule


def test_gitlab_only_push_pipelines_on_the_default_branch_deploy(gitlab):
    for _, (_, job) in gitlab_deploys(gitlab).items():
        for rule in job["rules"]:
            assert (
                rule["if"]
                == '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'
            )


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


def test_gitlab_preview_and_verify_hold_read_only_credentials_only(gitlab):
    for name, prefix in (("preview", "PREVIEW_"), ("verify", "AUDITOR_")):
        script = "\n".join(flat_script(gitlab[name]))
        exported = re.findall(r'(\w+)="\$\{?(\w+)', script)
        assert exported
        for target, source in exported:
            if target in {
                "B2_APPLICATION_KEY_ID",
                "B2_APPLICATION_KEY",
                "GITLAB_TOKEN",
                "GITHUB_TOKEN",
                "TEAM",
            }:
                assert source.startswith(prefix), (name, target, source)


def test_gitlab_caches_pulumi_home_the_venv_and_the_model_cache(gitlab):
    assert gitlab["variables"]["PULUMI_HOME"] == "$CI_PROJECT_DIR/.pulumi"
    assert gitlab["variables"]["PXB2_TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    paths = {p for cache in gitlab[".pulumi"]["cache"] for p in cache["paths"]}
    assert {".venv", ".pulumi/plugins", ".cache/huggingface"} <= paths
    assert (
        gitlab[".pulumi"]["id_tokens"]["PULUMI_OIDC_TOKEN"]["aud"] == "urn:pulumi:org:$PULUMI_ORG"
    )


def run_gitlab_check(
    gitlab: dict[str, Any], env: dict[str, str], tmp_path: Path
) -> tuple[int, str]:
    script = "\n".join(flat_script(gitlab["required-variables"]))
    work = tmp_path / "work"
    (work / "ci").mkdir(parents=True)
    (work / "ci" / CHECK_CREDENTIALS.name).write_bytes(CHECK_CREDENTIALS.read_bytes())
    result = subprocess.run(
        ["sh", "-e", "-c", script],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=work,
    )
    dotenv = (work / "credentials.env").read_text() if (work / "credentials.env").exists() else ""
    return result.returncode, result.stdout + result.stderr + dotenv


DEPLOY_SET = {
    "B2_APPLICATION_KEY_ID": "x-value",
    "B2_APPLICATION_KEY": "y-value",
    "PULUMI_TEAM": "deployers",
}


def test_gitlab_check_passes_when_configured(gitlab, tmp_path):
    code, text = run_gitlab_check(gitlab, {**DEPLOY_SET, "CI_PIPELINE_SOURCE": "push"}, tmp_path)
    assert code == 0
    assert "PXB2_CONFIGURED=true" in text


def test_gitlab_check_warns_on_merge_requests_and_fails_the_default_branch(gitlab, tmp_path):
    code, text = run_gitlab_check(gitlab, {"CI_PIPELINE_SOURCE": "merge_request_event"}, tmp_path)
    assert code == 0
    assert "WARNING" in text
    assert "PXB2_CONFIGURED=false" in text
    assert "PREVIEW_AWS_ACCESS_KEY_ID" in text
    env = {"CI_PIPELINE_SOURCE": "push", "PULUMI_ACCESS_TOKEN": "x1-secret"}
    code, text = run_gitlab_check(gitlab, env, tmp_path / "push")
    assert code == 1
    assert "missing: B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY." in text
    assert "x1-secret" not in text
    code, text = run_gitlab_check(gitlab, {"CI_PIPELINE_SOURCE": "schedule"}, tmp_path / "schedule")
    assert code == 1
    assert "AUDITOR_AWS_ACCESS_KEY_ID" in text


def test_gitlab_pipelines_exist_for_merge_requests_default_branch_pushes_and_schedules_only(gitlab):
    assert [rule["if"] for rule in gitlab["workflow"]["rules"]] == [
        '$CI_PIPELINE_SOURCE == "merge_request_event"',
        '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH',
        '$CI_PIPELINE_SOURCE == "schedule"',
    ]
