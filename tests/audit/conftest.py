"""Fixtures for the audit tests: plans from the shipped stacks, a simulated B2 world, a runner."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from infra.core.plan_model import StackPlan
from infra.core.stack_files import load_plan_for_stack
from smoke.audit.cli import main
from smoke.audit.simulated_account import World


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    report: dict[str, Any] | None
    junit: ET.Element | None
    junit_text: str
    json_text: str

    def findings(self, check: str) -> list[dict[str, str]]:
        assert self.report is not None
        return [f for f in self.report["findings"] if f["check"] == check]

    def status(self, check: str) -> str:
        assert self.report is not None
        for item in self.report["checks"]:
            if item["id"] == check:
                return item["status"]
        raise KeyError(check)

    def only_failing(self) -> set[str]:
        assert self.report is not None
        return {c["id"] for c in self.report["checks"] if c["status"] == "failed"}


@pytest.fixture(scope="session")
def plans() -> Callable[[str], StackPlan]:
    cache: dict[str, StackPlan] = {}

    def load(stack: str) -> StackPlan:
        if stack not in cache:
            cache[stack] = load_plan_for_stack(stack)
        return cache[stack]

    return load


@pytest.fixture
def world(plans: Callable[[str], StackPlan]) -> Callable[[str], World]:
    return lambda stack: World(plans(stack))


@pytest.fixture
def run_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `cli.main` on a world with JSON and JUnit reports; returns everything it produced."""
    counter = iter(range(1000))

    def run(
        world: World,
        *extra: str,
        env: Mapping[str, str] | None = None,
        stack: str | None = None,
        **kwargs: Any,
    ) -> Run:
        n = next(counter)
        json_path, junit_path = tmp_path / f"audit-{n}.json", tmp_path / f"audit-{n}.xml"
        argv = ["--stack", stack or world.plan.stack, *extra]
        argv += ["--json", str(json_path), "--junit-xml", str(junit_path)]
        capsys.readouterr()
        code = main(argv, api_factory=world.api, env=world.env() if env is None else env, **kwargs)
        captured = capsys.readouterr()
        json_text = json_path.read_text() if json_path.exists() else ""
        junit_text = junit_path.read_text() if junit_path.exists() else ""
        return Run(
            code=code,
            out=captured.out,
            err=captured.err,
            report=json.loads(json_text) if json_text else None,
            junit=ET.fromstring(junit_text) if junit_text else None,  # noqa: S314 - our own output
            junit_text=junit_text,
            json_text=json_text,
        )

    return run
