"""Scoping: every row of the plan's expectation table for this role, allowed or denied."""

from __future__ import annotations

import pytest

from infra.expectations import Expectation
from smoke.checks.gate import require_preflight
from smoke.context import SmokeContext
from smoke.probes import observe
from smoke.verdicts import Status, judge

GROUP = "scoping"


def check_expectation(ctx: SmokeContext, expectation: Expectation | None, note) -> None:
    require_preflight(ctx)
    if expectation is None:
        pytest.skip("not verifiable: no stack plan given (use --stack or --plan-file)")
    verdict = judge(
        expectation,
        observe(ctx.client(), expectation, ctx.names),
        ctx.target.unenforced,
        ctx.options.backend_label,
    )
    if verdict.status is Status.NOT_VERIFIABLE:
        pytest.skip(f"not verifiable: {verdict.message}")
    if verdict.status is Status.FAILED:
        raise AssertionError(verdict.message)
