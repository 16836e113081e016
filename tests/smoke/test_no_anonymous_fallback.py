"""No silent anonymous fallback: without a key the suite stops first, naming what is missing.

Pixeltable's boto3 clients fall back to unsigned requests (and drop the endpoint) when they
find no credentials. The suite must never get that far: in --env and --stack mode it exits 2
naming the variables before any check runs; the Pixeltable phases refuse to start without a
key in the environment. (--local always makes its own keys.)
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from infra.core import runtime_env as env
from infra.core.stack_files import PROJECT_ROOT
from smoke.media_fixtures import build_fixtures
from smoke.pixeltable_roundtrip import NativeB2State, RoundTripError, run_native_b2_roundtrip
from smoke.target import UsageError, target_from_bundle

BUNDLE = {
    env.ACCESS_KEY_ID: "004a1b2c3d4e5f60000000001",
    env.SECRET_ACCESS_KEY: "SENTINEL0anonymous0fallback0secret00",
    env.ENDPOINT_URL: "https://s3.us-west-004.backblazeb2.com",
    env.REGION: "us-west-004",
    env.BUCKET: "acme-pxt-media-dev",
}
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PXT_", "PIXELTABLE_"))}


def _smoke(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smoke", *args],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("dropped", [env.ACCESS_KEY_ID, env.SECRET_ACCESS_KEY])
def test_env_mode_without_a_key_exits_2_naming_it(dropped: str) -> None:
    environ = {**CLEAN, **{k: v for k, v in BUNDLE.items() if k != dropped}}
    run = _smoke(["--env", "--stack", "dev"], environ)
    assert run.returncode == 2
    assert dropped in run.stderr
    assert "unsigned" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "preflight" not in run.stdout  # no check ran


def test_stack_mode_with_a_bundle_without_its_secret_exits_2_naming_it(tmp_path) -> None:
    """A `pulumi` on PATH whose outputs lack the secret (a key not created yet, say)."""
    bundle = {k: v for k, v in BUNDLE.items() if k != env.SECRET_ACCESS_KEY}
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({env.role_bundle_output("smoke"): bundle}))
    pulumi = tmp_path / "pulumi"
    pulumi.write_text(f"#!/bin/sh\ncat {outputs}\n")
    pulumi.chmod(pulumi.stat().st_mode | stat.S_IEXEC)
    environ = {**CLEAN, "PATH": f"{tmp_path}{os.pathsep}{CLEAN.get('PATH', '')}"}
    run = _smoke(["--stack", "dev"], environ)
    assert run.returncode == 2, run.stdout + run.stderr
    assert env.SECRET_ACCESS_KEY in run.stderr
    assert env.role_bundle_output("smoke") in run.stderr
    assert "unsigned" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_a_bundle_without_a_key_id_is_refused_in_process() -> None:
    bundle = {k: v for k, v in BUNDLE.items() if k != env.ACCESS_KEY_ID}
    with pytest.raises(UsageError, match=env.ACCESS_KEY_ID):
        target_from_bundle(bundle, plan=None, role="smoke", source="stack dev")


def test_the_native_b2_phase_refuses_to_start_without_a_key(monkeypatch) -> None:
    for name in env.CREDENTIAL_NAMES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RoundTripError, match="unsigned") as info:
        run_native_b2_roundtrip(
            NativeB2State(
                endpoint=BUNDLE[env.ENDPOINT_URL],
                bucket=BUNDLE[env.BUCKET],
                fixture_keys={},
                fixtures=build_fixtures(),
                run_prefix="smoke/runs/x/",
                s3_client=None,
            )
        )
    assert info.value.step == "inputs"
    assert env.ACCESS_KEY_ID in info.value.message
