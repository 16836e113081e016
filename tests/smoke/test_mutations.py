"""Tests by mutation: every deployment that differs from the plan fails the right check.

One SeaweedFS server holds the originals and every mutated deployment (one
bucket and key set each); the suite runs in-process exactly as
`python -m smoke --env --plan-file <original> --role R` would.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infra.core import runtime_env as env
from infra.core.b2_facts import Capability
from infra.local import LocalDeployment
from infra.local.shared_server import shared_deployments
from smoke.cli import main as smoke_main
from tests.smoke.conftest import environment_for
from tests.smoke.mutations import ORIGINALS, Mutation, mutations, original, plan_file_document

MUTATIONS = mutations()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[dict[str, object]]:
    """Plan files for the originals, and a deployment for each original and mutation."""
    folder = tmp_path_factory.mktemp("plans")
    files = {}
    for name in ORIGINALS:
        files[name] = folder / f"Pulumi.{name}.yaml"
        files[name].write_text(yaml.safe_dump(plan_file_document(name)))
    originals = {name: original(name) for name in ORIGINALS}
    plans = list(originals.values()) + [m.deployed for m in MUTATIONS]
    with shared_deployments(plans) as deployments:
        by_original = dict(zip(originals, deployments, strict=False))
        by_mutation = dict(
            zip((m.id for m in MUTATIONS), deployments[len(originals) :], strict=True)
        )
        yield {"files": files, "originals": by_original, "mutations": by_mutation}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = os.environ.copy()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_env_suite(
    deployment: LocalDeployment,
    plan_file: Path,
    role: str,
    groups: tuple[str, ...],
    report: Path,
    *,
    key_of: str | None = None,
    wrong_secret: bool = False,
) -> dict:
    """`python -m smoke --env --plan-file F --role R --only G --json report`, in-process."""
    values = environment_for(deployment, key_of or role)
    if wrong_secret:
        values[env.SECRET_ACCESS_KEY] = "SENTINEL0wrong0secret0for0mutation0test"
    args = ["--env", "--plan-file", str(plan_file), "--role", role]
    args += ["--only", ",".join(groups), "--json", str(report)]
    with _environment(values), open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        code = smoke_main(args)
    document = json.loads(report.read_text())
    assert document["exit_code"] == code
    return document


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_the_original_deployment_passes(world, name: str, tmp_path) -> None:
    roles = original(name).roles
    for role in roles:
        report = run_env_suite(
            world["originals"][name],
            world["files"][name],
            role,
            ("preflight", "connectivity", "scoping", "bucket settings"),
            tmp_path / f"{role}.json",
        )
        failed = [c for c in report["checks"] if c["result"] == "failed"]
        assert report["exit_code"] == 0, (role, failed)
        verdicts = {line["verdict"] for line in report["capabilities"]}
        assert verdicts <= {"passed", "not verifiable"}
        assert len(report["capabilities"]) == len(Capability)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutation_is_caught_by_the_right_check(world, mutation: Mutation, tmp_path) -> None:
    report = run_env_suite(
        world["mutations"][mutation.id],
        world["files"][mutation.original],
        mutation.role,
        mutation.groups,
        tmp_path / "report.json",
        key_of=mutation.key_of,
        wrong_secret=mutation.wrong_secret,
    )
    assert report["exit_code"] == 1
    failed = [c for c in report["checks"] if c["result"] == "failed"]
    caught = [
        c for c in failed if c["name"].startswith(mutation.check) and mutation.names in c["message"]
    ]
    assert caught, json.dumps(failed, indent=1)
    lines = {line["capability"]: line for line in report["capabilities"]}
    if mutation.names in lines:  # the report's line for that capability says so too
        assert lines[mutation.names]["verdict"] == "failed", lines[mutation.names]
