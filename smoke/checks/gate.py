"""Shared guards: later checks do not run against an endpoint that failed preflight."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from infra.core.s3_operations import Operation, capability_for
from smoke import pixeltable_roundtrip as roundtrip
from smoke.context import SmokeContext
from smoke.pixeltable_phase import PixeltablePhase

S = TypeVar("S")


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


def phase_for_step(
    step: Any,
    first: Any,
    phase: PixeltablePhase[S] | None,
    open_phase: Callable[[], PixeltablePhase[S]],
) -> PixeltablePhase[S]:
    """The first step opens the phase; a later one gets it, or is not run (skipped) when a
    step it needs did not pass."""
    if step is first:
        return open_phase()
    blocker = phase.runner.blocker(step) if phase else f"{first.title} was not run"
    if blocker:
        pytest.skip(f"not run: {blocker}")
    assert phase is not None
    return phase


def close_phase(ctx: SmokeContext, phase: PixeltablePhase[S] | None) -> PixeltablePhase[S] | None:
    """Close the phase once and remember what it wrote for clean-up; the phase it closed, or
    None when there was nothing (left) to close."""
    if phase is None or phase.closed:
        return None
    phase.close()
    for key in phase.state.output_keys:
        ctx.names.remember(ctx.target.bucket, key, None)
    return phase


@contextlib.contextmanager
def opening(phase: PixeltablePhase[Any], first: Any) -> Iterator[None]:
    """The first step's set-up: if it fails, the steps that need the first are not run."""
    try:
        yield
    except BaseException:
        phase.runner.failed.add(first.name)
        raise


def use_role_environment(ctx: SmokeContext, phase: PixeltablePhase[Any]) -> None:
    """The role's key and endpoint for Pixeltable's boto3 clients, until the phase closes."""
    target, creds = ctx.target, ctx.target.credentials
    phase.resources.enter_context(
        roundtrip.s3_environment(  # looked up here: the fault matrix wraps it
            target.endpoint, target.region, creds.access_key_id, creds.secret_access_key
        )
    )
