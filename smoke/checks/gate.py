"""Shared guards: later checks do not run against an endpoint that failed preflight."""

from __future__ import annotations

import pytest

from infra.core.s3_operations import Operation, capability_for
from smoke.context import SmokeContext


def require_preflight(ctx: SmokeContext) -> None:
    if not ctx.preflight_passed:
        pytest.skip("not run: preflight failed")
    if ctx.stop_reason:
        pytest.skip(f"not run: {ctx.stop_reason}")


def require_operation(ctx: SmokeContext, operation: Operation, purpose: str) -> None:
    """Skip (not run) when the plan gives the role no capability for `operation`."""
    capability = capability_for(operation)
    key = ctx.target.key_plan
    if key is not None and not key.can(capability):
        pytest.skip(
            f"not run: role {key.role!r} has no {capability}, which {purpose} needs "
            "(run with --role smoke for the full suite)"
        )
