"""Scoping: every row of the plan's expectation table for this role, allowed or denied."""

from __future__ import annotations

import pytest

from infra.core.expectations import Expectation
from smoke.checks.gate import require_preflight
from smoke.checks.identity import Group, check
from smoke.context import SmokeContext
from smoke.probes import probe
from smoke.verdicts import Result


def _client(ctx: SmokeContext):
    """One client for every row: building a boto3 client costs more than the probe."""
    if ctx.scoping_client is None:
        ctx.scoping_client = ctx.client()
    return ctx.scoping_client


@check(Group.SCOPING, "expectation")
def check_expectation(ctx: SmokeContext, expectation: Expectation | None, note) -> None:
    require_preflight(ctx)
    if expectation is None:
        pytest.skip("not verifiable: no stack plan given (use --stack or --plan-file)")
    probed = probe(
        _client(ctx), expectation, ctx.names, ctx.target.unenforced, ctx.options.backend_label
    )
    ctx.probed.append(probed)
    verdict = probed.verdict
    if verdict.status is Result.NOT_VERIFIABLE:
        pytest.skip(f"not verifiable: {verdict.message}")
    if verdict.status is Result.FAILED:
        raise AssertionError(verdict.message)
