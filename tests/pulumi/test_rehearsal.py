"""`python -m infra rehearse`: the program, the provider's way of applying it, the audit.

Each rehearsal deploys to a fresh b2sdk RawSimulator account, then updates a lifecycle
rule, rotates a key and tries a lock change; every applied step is audited against its
plan. Variants cover the inputs the provider treats specially.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.core.stack_files import PROJECT_ROOT, stack_config, stack_file
from infra.deploy import storage
from infra.deploy.program import run_program
from infra.deploy.rehearsal import STEPS, Rehearsal, rehearse
from tests.pulumi.pxb2_standin import build_variant

NS = "pixeltable-b2:"


def _config(stack: str, **changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(stack_config(stack_file(stack)))
    for key, value in changes.items():
        config[NS + key] = value
    return config


def _bucket(stack: str, **fields: Any) -> dict[str, Any]:
    return {**stack_config(stack_file(stack))[NS + "bucket"], **fields}


def _keys(stack: str, **changes: dict[str, Any]) -> dict[str, Any]:
    """The stack's keys; a None value removes that setting from the role."""
    keys = copy.deepcopy(stack_config(stack_file(stack))[NS + "keys"])
    for role, fields in changes.items():
        for name, value in fields.items():
            if value is None:
                keys[role].pop(name, None)
            else:
                keys[role][name] = value
    return keys


def _run(stack: str, config: dict[str, Any], steps: tuple = STEPS) -> Rehearsal:
    return rehearse(config, stack, PROJECT_ROOT, run_program, steps)


DEPLOY_AND_LOCK = (STEPS[0], STEPS[-1])  # variants: the deploy and the refused lock change


def _assert_all_as_expected(result: Rehearsal) -> None:
    assert [step.name for step in result.steps] == [step.name for step in STEPS]
    for step in result.steps:
        assert step.as_expected, (step.name, step.error, step.audit and step.audit.errors)
    deploy, update, rotation, lock = result.steps
    assert deploy.audit is not None
    assert deploy.audit.checks
    assert any(event.startswith("update bucket") for event in update.events)
    creates = [i for i, e in enumerate(rotation.events) if e.startswith("create key")]
    deletes = [i for i, e in enumerate(rotation.events) if e.startswith("delete key")]
    assert len(creates) == len(deletes) == 1
    assert creates[0] < deletes[0] == len(rotation.events) - 1  # the old key goes last
    assert lock.error is not None
    assert "objectLock.enabled" in lock.error
    assert "Fix:" in lock.error
    assert lock.unchanged is True


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_rehearse_as_planned(stack: str) -> None:
    result = _run(stack, _config(stack))
    _assert_all_as_expected(result)
    rotation = result.steps[2].events
    created = next(i for i, e in enumerate(rotation) if e.startswith("create key"))
    switched = [i for i, e in enumerate(rotation) if "AWS_ACCESS_KEY_ID" in e]
    assert switched, "the rotated key's CI secrets must be switched"
    assert created < min(switched) < len(rotation) - 1  # new key, CI secrets, then the delete
    buckets = result.steps[0].holdings["buckets"]
    assert len(buckets) == 1
    keys = result.steps[-1].holdings["keys"]
    assert len(keys) == len(stack_config(stack_file(stack))[NS + "keys"])


def _lock_value(result: Rehearsal) -> dict[str, Any]:
    return result.steps[0].holdings["buckets"][0]["fileLockConfiguration"]["value"]


VARIANTS = {
    "lock-without-retention": ("prod", {"objectLock": {"enabled": True}}),
    "retention-in-years": (
        "prod",
        {"objectLock": {"enabled": True, "mode": "governance", "years": 1}},
    ),
    "compliance-mode": ("prod", {"objectLock": {"enabled": True, "mode": "compliance", "days": 1}}),
    "random-suffix": ("dev", {"bucket": _bucket("dev", randomSuffix=True)}),
    "key-without-prefix": ("dev", {"keys": _keys("dev", app={"namePrefix": None})}),
    "cors": (
        "dev",
        {
            "bucket": _bucket(
                "dev",
                cors=[
                    {
                        "corsRuleName": "browser-reads",
                        "allowedOrigins": ["https://app.example.com"],
                        "allowedOperations": ["s3_get", "s3_head"],
                        "exposeHeaders": ["etag"],
                        "maxAgeSeconds": 600,
                    }
                ],
            )
        },
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variants_rehearse_as_planned(variant: str) -> None:
    stack, changes = VARIANTS[variant]
    result = _run(stack, _config(stack, **changes), DEPLOY_AND_LOCK)
    assert [step.name for step in result.steps] == ["deploy", "lock change"]
    for step in result.steps:
        assert step.as_expected, (step.name, step.error, step.audit and step.audit.errors)
    assert result.steps[1].unchanged is True
    bucket = result.steps[0].holdings["buckets"][0]
    if variant == "lock-without-retention":
        assert _lock_value(result)["isFileLockEnabled"] is True
        assert _lock_value(result)["defaultRetention"]["mode"] is None
    if variant == "retention-in-years":
        assert _lock_value(result)["defaultRetention"]["period"] == {"duration": 1, "unit": "years"}
    if variant == "compliance-mode":
        assert _lock_value(result)["defaultRetention"]["mode"] == "compliance"
    if variant == "random-suffix":
        assert bucket["bucketName"].startswith(changes["bucket"]["name"] + "-")
    if variant == "key-without-prefix":
        (key,) = [k for k in result.steps[0].holdings["keys"] if k["keyName"].endswith("-app")]
        assert key["namePrefix"] is None
    if variant == "cors":
        assert [rule["corsRuleName"] for rule in bucket["corsRules"]] == ["browser-reads"]


def test_a_program_that_declares_more_than_planned_does_not_match(monkeypatch) -> None:
    """The audit really judges the result: an extra capability fails the deploy step."""
    planned = storage.key_args

    def over_privileged(key: Any, bucket_id: Any) -> dict[str, Any]:
        args = planned(key, bucket_id)
        return {**args, "capabilities": [*args["capabilities"], "shareFiles"]}

    monkeypatch.setattr(storage, "key_args", over_privileged)
    result = _run("dev", _config("dev"), STEPS[:1])
    assert not result.as_expected
    deploy = result.steps[0]
    assert deploy.error is None
    assert any("shareFiles" in f.actual for f in deploy.audit.errors)


def _cli(sdk_root: Path, stack: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(sdk_root), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "infra", "rehearse", "--stack", stack],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_prints_what_b2_holds_and_the_verdict(capsys) -> None:
    from infra.cli import main

    assert main(["rehearse", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "B2 holds: buckets" in out
    assert "matches the plan" in out
    assert "refused as it must be; B2 unchanged" in out
    assert "rehearsal of stack 'prod': 4 of 4 steps as expected" in out
    assert "rehearsal-" not in out  # the simulated keys' secrets are never shown


def test_the_command_stops_on_a_0_12_1_sdk(tmp_path: Path) -> None:
    result = _cli(build_variant(tmp_path, "0.12.1"), "dev")
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    assert "generated for backblaze/b2 0.12.1" in result.stderr
    assert "pulumi install" in result.stderr


def test_removing_the_default_retention_is_refused_and_b2_keeps_it() -> None:
    """The provider cannot remove a default retention; the program refuses, never keeps it."""
    from infra.deploy.rehearsal import LOCK, Step

    def drop_retention(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return {**config, LOCK: {"enabled": True}}, "default retention removed"

    result = _run("prod", _config("prod"), (STEPS[0], Step("removal", drop_retention, True)))
    deploy, removal = result.steps
    assert deploy.as_expected
    assert removal.as_expected
    assert removal.error is not None
    assert "has a default governance retention" in removal.error
    assert "b2_update_bucket" in removal.error
    assert _lock_value(result)["defaultRetention"]["mode"] == "governance"


def test_no_secret_reaches_the_output(tmp_path: Path, capsys, monkeypatch) -> None:
    """Secure stack values and the deployer's key in the environment never show."""
    import yaml

    from infra.cli import main

    sentinel = "SENTINEL-rehearsal-7f3a9c"
    monkeypatch.setenv("B2_APPLICATION_KEY", sentinel)
    config = _config("dev")
    config["b2:applicationKeyId"] = {"secure": f"v1:{sentinel}-id"}
    config["b2:applicationKey"] = {"secure": f"v1:{sentinel}"}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    assert main(["rehearse", "--file", str(path)]) == 0
    captured = capsys.readouterr()
    assert sentinel not in captured.out + captured.err
    assert "4 of 4 steps as expected" in captured.out
