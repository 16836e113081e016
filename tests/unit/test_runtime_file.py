"""`python -m infra.runtime_file`: a 0600 env file and AWS profile a shell and Pixeltable use."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from infra.core import runtime_env as env
from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from tests.smoke.test_target import GOOD

# The sentinel bundle the target tests use, with the region a stack's bundle carries too.
BUNDLE = {**GOOD, env.REGION: "us-west-004"}
SENTINEL = BUNDLE[env.SECRET_ACCESS_KEY]


def _run(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PXT_", "PIXELTABLE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "infra.runtime_file", *args],
        cwd=PROJECT_ROOT,
        env={**base, **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_writes_private_files_that_a_shell_and_botocore_read(tmp_path) -> None:
    out = tmp_path / "dev-smoke.env"
    run = _run(["--stack", "dev", "--role", "smoke", "--from-env", "--out", str(out)], BUNDLE)
    assert run.returncode == 0, run.stderr
    assert SENTINEL not in run.stdout + run.stderr
    config = tmp_path / "dev-smoke.env.aws-config"
    for path in (out, config):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    plan = load_plan_for_stack("dev")
    prefix = plan.key("smoke").name_prefix
    probe = (
        "import boto3, os; s = boto3.Session(profile_name=os.environ['PIXELTABLE_B2_PROFILE']); "
        "c = s.client('s3'); k = s.get_credentials(); "
        "print(c.meta.endpoint_url, c.meta.config.request_checksum_calculation, "
        "c.meta.config.response_checksum_validation, "
        "k.access_key == os.environ['AWS_ACCESS_KEY_ID'], "
        "os.environ['PIXELTABLE_OUTPUT_MEDIA_DEST'], os.environ['PIXELTABLE_INPUT_MEDIA_DEST'])"
    )
    shell = subprocess.run(
        ["bash", "-c", f'. "$1" && exec "{sys.executable}" -c "$2"', "-", str(out), probe],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    endpoint = BUNDLE[env.ENDPOINT_URL]
    bucket = BUNDLE[env.BUCKET]
    assert shell.stdout.split() == [
        endpoint,
        "when_required",
        "when_required",
        "True",
        f"{endpoint}/{bucket}/{prefix}{env.OUTPUT_SUBPREFIX}",
        f"{endpoint}/{bucket}/{prefix}{env.INPUT_SUBPREFIX}",
    ]


def test_missing_credentials_are_named_and_nothing_is_written(tmp_path) -> None:
    out = tmp_path / "x.env"
    partial = {k: v for k, v in BUNDLE.items() if k != env.SECRET_ACCESS_KEY}
    run = _run(["--stack", "dev", "--from-env", "--out", str(out)], partial)
    assert run.returncode == 2
    assert env.SECRET_ACCESS_KEY in run.stderr
    assert "unsigned" in run.stderr
    assert "Traceback" not in run.stderr
    assert not list(tmp_path.iterdir())


def test_unknown_role_and_bad_out_exit_2(tmp_path) -> None:
    bad_role = _run(["--role", "nobody", "--from-env", "--out", str(tmp_path / "a")], BUNDLE)
    assert bad_role.returncode == 2
    assert "--role 'nobody'" in bad_role.stderr
    bad_out = _run(["--from-env", "--out", str(tmp_path / "no" / "such" / "f")], BUNDLE)
    assert bad_out.returncode == 2
    assert "--out" in bad_out.stderr
    assert not list(tmp_path.iterdir())
