"""`--env` mode against a running local deployment: re-runs, secrets, and every failure path."""

from __future__ import annotations

import json

import pytest

from infra.core import runtime_env as env
from tests.smoke.conftest import environment_for, run_smoke

QUICK = ["--only", "preflight,connectivity"]


def _no_secret_anywhere(run, secret: str, tmp_path) -> None:
    assert secret not in run.stdout
    assert secret not in run.stderr
    for report in tmp_path.glob("report.*"):
        assert secret not in report.read_text(), report.name


@pytest.mark.slow
def test_full_suite_twice_uploads_fixtures_once_and_never_prints_the_secret(
    prod_deployment, tmp_path
) -> None:
    environ = environment_for(prod_deployment, "smoke")
    secret = environ[env.SECRET_ACCESS_KEY]
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir(), second_dir.mkdir()
    first = run_smoke(
        ["--env", "--stack", "prod", "--embedding", "tiny"], first_dir, environ=environ
    )
    assert first.code == 0, first.output[-4000:]
    second = run_smoke(
        ["--env", "--stack", "prod", "--embedding", "tiny"], second_dir, environ=environ
    )
    assert second.code == 0, second.output[-4000:]
    assert first.report["facts"]["fixture objects uploaded"] > 0
    assert second.report["facts"]["fixture objects uploaded"] == 0
    assert second.report["facts"]["fixture bytes uploaded"] == 0
    _no_secret_anywhere(first, secret, first_dir)
    _no_secret_anywhere(second, secret, second_dir)


def test_wrong_secret_fails_with_a_message_that_says_what_to_fix(prod_deployment, tmp_path) -> None:
    sentinel = "SENTINEL0wrongSECRET0value0123456789"
    environ = environment_for(prod_deployment, "smoke", **{env.SECRET_ACCESS_KEY: sentinel})
    run = run_smoke(["--env", "--stack", "prod", *QUICK], tmp_path, environ=environ)
    assert run.code == 1, run.output
    assert "rejected the key (SignatureDoesNotMatch)" in run.stdout
    _no_secret_anywhere(run, sentinel, tmp_path)


def test_missing_variables_are_listed_with_exit_2(tmp_path) -> None:
    blank = {name: "" for name in env.REQUIRED_NAMES}
    run = run_smoke(["--env"], tmp_path, environ=blank)
    assert run.code == 2
    for name in env.REQUIRED_NAMES:
        assert name in run.stderr
    assert "Traceback" not in run.output


def test_endpoint_down_fails_preflight_fast(prod_deployment, closed_port, tmp_path) -> None:
    environ = environment_for(
        prod_deployment, "smoke", **{env.ENDPOINT_URL: f"http://127.0.0.1:{closed_port}"}
    )
    run = run_smoke(["--env", *QUICK], tmp_path, environ=environ)
    assert run.code == 1
    assert f"endpoint http://127.0.0.1:{closed_port} is unreachable" in run.stdout
    assert run.seconds < 15


def test_hanging_endpoint_fails_preflight_within_10_seconds(
    prod_deployment, hanging_endpoint, tmp_path
) -> None:
    environ = environment_for(prod_deployment, "smoke", **{env.ENDPOINT_URL: hanging_endpoint})
    run = run_smoke(["--env"], tmp_path, environ=environ)
    assert run.code == 1
    assert "did not answer within" in run.stdout
    preflight = next(
        c for c in run.report["checks"] if c["name"] == "preflight: endpoint reachable"
    )
    assert preflight["seconds"] < 10
    assert all(
        c["result"] == "not run" for c in run.report["checks"] if c["name"].startswith("pixeltable")
    )


def test_missing_bucket_is_named(prod_deployment, tmp_path) -> None:
    admin = prod_deployment.admin
    environ = environment_for(
        prod_deployment,
        "smoke",
        **{
            env.ACCESS_KEY_ID: admin.access_key_id,
            env.SECRET_ACCESS_KEY: admin.secret_access_key,
            env.BUCKET: "pxb2-no-such-bucket",
        },
    )
    run = run_smoke(["--env", *QUICK], tmp_path, environ=environ)
    assert run.code == 1
    assert "bucket 'pxb2-no-such-bucket' does not exist" in run.stdout


def test_key_with_one_capability_more_than_planned_fails_scoping(prod_deployment, tmp_path) -> None:
    """Run the readonly role's expectations with the app key (readonly + writeFiles)."""
    environ = environment_for(prod_deployment, "app")
    run = run_smoke(
        ["--env", "--stack", "prod", "--role", "readonly", "--only", "preflight,scoping"],
        tmp_path,
        environ=environ,
    )
    assert run.code == 1, run.output
    failed = [c for c in run.report["checks"] if c["result"] == "failed"]
    assert failed, run.output
    assert all("OVER-PRIVILEGED" in c["message"] for c in failed)
    assert any("PutObject in-prefix" in c["name"] for c in failed)
    json.dumps(run.report)  # the report is plain JSON


def test_unknown_role_and_stack_are_usage_errors(tmp_path) -> None:
    run = run_smoke(["--local", "--role", "nosuch"], tmp_path)
    assert run.code == 2
    assert "--role 'nosuch'" in run.stderr
    run = run_smoke(["--local", "--stack", "nosuch"], tmp_path)
    assert run.code == 2
    assert "Pulumi.nosuch.yaml" in run.stderr
    assert "Traceback" not in run.output
