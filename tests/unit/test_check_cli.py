"""`python -m infra check`: exit codes, what it prints, and that it never prints a secret.

A few real subprocesses prove the entry point; the rest call `main()` in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.cli import main
from infra.core.exit_codes import ExitCode
from infra.core.stack_files import PROJECT_ROOT, available_stacks, load_plan_for_stack

SUBPROCESS_TIMEOUT = 60


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, from the project root, output piped (not a terminal)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run(
        [sys.executable, "-m", "infra", "check", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


def broken_stack(tmp_path: Path) -> Path:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(
        "config:\n"
        "  pixeltable-b2:region: us-west-004\n"
        "  pixeltable-b2:bucket: {name: b2-reserved-name}\n"
        "  pixeltable-b2:keys:\n"
        "    app: {capabilities: [listFiles], namePrefix: media}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_check_prints_the_plan(stack):
    plan = load_plan_for_stack(stack)
    result = run_check("--stack", stack)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert plan.endpoint in out
    assert plan.bucket.name in out
    for key in plan.keys:
        assert key.key_name in out, f"{key.key_name} missing (folded?) in:\n{out}"
    for rule in plan.lifecycle:
        assert repr(rule.file_name_prefix) in out
    assert f"stack '{stack}' is valid" in out
    from infra.core.deployer import deployer_capabilities

    needed = out[out.index("the deploying key") :]
    for capability in deployer_capabilities(plan):
        assert capability.name in needed
    assert ("writeBucketRetentions" in needed) is plan.object_lock.enabled


def test_check_json_is_the_plan():
    plan = load_plan_for_stack("prod")
    result = run_check("--stack", "prod", "--json")
    assert result.returncode == ExitCode.OK, result.stderr
    document = json.loads(result.stdout)
    assert document == plan.model_dump(mode="json")
    assert [k["key_name"] for k in document["keys"]] == [k.key_name for k in plan.keys]


def test_check_broken_file_exits_2_without_traceback(tmp_path):
    result = run_check("--file", str(broken_stack(tmp_path)))
    assert result.returncode == ExitCode.USAGE
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert "pixeltable-b2:bucket.name = 'b2-reserved-name'" in result.stderr
    assert "pixeltable-b2:keys.app.namePrefix = 'media'" in result.stderr
    assert "2 configuration problems" in result.stderr
    assert result.stderr.count("Fix:") == 2


def test_check_without_a_source_is_usage_error():
    result = run_check()
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


# --- in-process: same entry function, no interpreter start-up -----------------------


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["check", "--stack", "dev", "--file", "Pulumi.dev.yaml"],
        ["check", "--stack"],
        ["check", "--stack", "dev", "--colour"],
        ["deploy", "--stack", "dev"],
    ],
    ids=["no-command", "stack-and-file", "stack-without-value", "unknown-flag", "unknown-command"],
)
def test_argparse_misuse_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_check_unknown_stack_lists_known_ones(capsys):
    assert main(["check", "--stack", "nosuchstack"]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert "--stack = 'nosuchstack'" in captured.err
    assert ", ".join(available_stacks()) in captured.err
    assert captured.out == ""


def test_check_file_reports_yaml_line(tmp_path, capsys):
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("config:\n  pixeltable-b2:region: [us-west-004\n", encoding="utf-8")
    assert main(["check", "--file", str(path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "not valid YAML at line" in err
    assert "Fix:" in err


@pytest.mark.parametrize("stack", available_stacks())
def test_shipped_stacks_check_in_process(stack, capsys):
    assert main(["check", "--stack", stack, "--json"]) == ExitCode.OK
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == stack


def test_check_never_prints_provider_credentials(tmp_path, capsys):
    key_id, secret = "0041234567890ab000000000a", "K004SuperSecretApplicationKey"
    path = tmp_path / "Pulumi.creds.yaml"
    text = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "config:\n",
            f"config:\n  b2:applicationKeyId: {key_id}\n  b2:applicationKey: {secret}\n",
            1,
        ),
        encoding="utf-8",
    )
    for extra in ([], ["--json"]):
        assert main(["check", "--file", str(path), *extra]) == ExitCode.OK
        captured = capsys.readouterr()
        assert key_id not in captured.out + captured.err
        assert secret not in captured.out + captured.err
    assert main(["check", "--file", str(path), "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["provider_credentials_in_config"] is True


def test_check_never_echoes_a_misplaced_credential(tmp_path, capsys):
    secret = "K004SuperSecretApplicationKey"
    path = tmp_path / "Pulumi.misplaced.yaml"
    text = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.replace("config:\n", f"config:\n  pixeltable-b2:applicationKey: {secret}\n", 1),
        encoding="utf-8",
    )
    assert main(["check", "--file", str(path)]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert "pixeltable-b2:applicationKey" in captured.err
    assert secret not in captured.out + captured.err
