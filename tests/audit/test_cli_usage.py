"""Configuration and usage errors: exit code 2, every problem named, no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from b2sdk.v3 import B2Api, B2HttpApiConfig, InMemoryAccountInfo, RawSimulator
from b2sdk.v3.exception import B2ConnectionError

from infra.core.exit_codes import ExitCode
from infra.core.stack_files import PROJECT_ROOT
from smoke.audit.cli import main
from smoke.audit.credentials import ACCOUNT_KEY, ACCOUNT_KEY_ID, role_variables


def _fail_if_called() -> B2Api:
    raise AssertionError("B2 must not be contacted when the configuration is invalid")


def _usage(capsys, argv: list[str], env: dict[str, str], **kwargs) -> str:
    kwargs.setdefault("api_factory", _fail_if_called)
    code = main(argv, env=env, **kwargs)
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE, captured
    assert "Traceback" not in captured.out + captured.err
    return captured.err


def test_missing_role_variables_are_listed_by_name(capsys, plans) -> None:
    err = _usage(capsys, ["--stack", "prod"], env={})
    for role in plans("prod").roles:
        for name in role_variables(role):
            assert name in err
    assert "PXB2_READONLY_KEY_ID" in err  # upper-case role names


def test_role_variable_names_replace_dashes() -> None:
    assert role_variables("batch-jobs") == ("PXB2_BATCH_JOBS_KEY_ID", "PXB2_BATCH_JOBS_KEY")


def test_half_set_account_key_is_refused(capsys, world) -> None:
    w = world("dev").provision()
    env = w.env(account=False) | {ACCOUNT_KEY_ID: "some-id"}
    err = _usage(capsys, ["--stack", "dev"], env=env)
    assert ACCOUNT_KEY in err


def test_no_report_written_on_usage_error(capsys, tmp_path: Path) -> None:
    report = tmp_path / "audit.json"
    _usage(capsys, ["--stack", "dev", "--json", str(report)], env={})
    assert not report.exists()


def test_unknown_role(capsys) -> None:
    err = _usage(capsys, ["--stack", "dev", "--role", "nobody"], env={})
    assert "nobody" in err
    assert "app" in err


def test_unknown_stack(capsys) -> None:
    err = _usage(capsys, ["--stack", "no-such-stack"], env={})
    assert "Pulumi.no-such-stack.yaml" in err


def test_missing_plan_file(capsys, tmp_path: Path) -> None:
    err = _usage(capsys, ["--plan-file", str(tmp_path / "Pulumi.x.yaml")], env={})
    assert "no such file" in err


def test_random_suffix_stack_needs_bucket(capsys, tmp_path: Path) -> None:
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    document["config"]["pixeltable-b2:bucket"]["randomSuffix"] = True
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    plan_file = tmp_path / "Pulumi.ephemeral.yaml"
    plan_file.write_text(yaml.safe_dump(document))
    err = _usage(capsys, ["--plan-file", str(plan_file)], env={})
    assert "--bucket" in err


def test_bad_bucket_override(capsys) -> None:
    err = _usage(capsys, ["--stack", "dev", "--bucket", "not a bucket"], env={})
    assert "--bucket" in err


def test_negative_warning_days(capsys) -> None:
    _usage(capsys, ["--stack", "dev", "--expiry-warning-days", "-1"], env={})


def test_keys_json_supplies_role_keys(capsys, world, tmp_path: Path) -> None:
    w = world("dev").provision()
    keys = tmp_path / "keys.json"
    keys.write_text(
        json.dumps({r: {"keyId": k.key_id, "key": k.secret} for r, k in w.roles.items()})
    )
    code = main(["--stack", "dev", "--keys-json", str(keys)], api_factory=w.api, env={})
    assert code == ExitCode.OK, capsys.readouterr()


def test_keys_json_problems(capsys, tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"nobody": {"keyId": "a", "key": "b"}, "app": {"keyId": "a"}}))
    err = _usage(capsys, ["--stack", "dev", "--keys-json", str(keys)], env={})
    assert "'nobody'" in err
    assert "missing or empty key" in err
    keys.write_text("{not json")
    err = _usage(capsys, ["--stack", "dev", "--keys-json", str(keys)], env={})
    assert "line 1, column 2" in err


class _Unreachable(RawSimulator):
    def authorize_account(self, realm_url, application_key_id, application_key):
        raise B2ConnectionError("Connection refused")


def test_unreachable_b2_is_a_usage_error_not_a_finding(capsys, world) -> None:
    w = world("dev").provision()

    def factory() -> B2Api:
        return B2Api(InMemoryAccountInfo(), api_config=B2HttpApiConfig(_raw_api_class=_Unreachable))

    err = _usage(capsys, ["--stack", "dev"], env=w.env(), api_factory=factory)
    assert "did not answer b2_authorize_account" in err


def test_refused_account_key_is_a_usage_error(capsys, world) -> None:
    w = world("dev").provision()
    env = w.env() | {ACCOUNT_KEY: "wrong-secret"}
    err = _usage(capsys, ["--stack", "dev"], env=env, api_factory=w.api)
    assert ACCOUNT_KEY_ID in err


def test_module_entry_point_exits_2_without_traceback() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PXB2_", "B2_APPLICATION"))}
    done = subprocess.run(
        [sys.executable, "-m", "smoke.audit", "--stack", "dev"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitCode.USAGE, done
    assert "Traceback" not in done.stderr
    assert "PXB2_APP_KEY_ID" in done.stderr


@pytest.mark.parametrize("flag", ["--help"])
def test_help_exits_zero(capsys, flag: str) -> None:
    assert main([flag], env={}) == 0
    assert "PXB2_<ROLE>_KEY_ID" in capsys.readouterr().out
