"""Pixeltable's native B2 path: media read from and written to B2 URLs, not s3:// ones.

One check per step of `smoke.pixeltable_roundtrip.NATIVE_B2_STEPS`, in order; a step whose
earlier step did not pass is not run. Its own group, so it can run without the s3:// round
trip (`--only "pixeltable b2"`).
"""

from __future__ import annotations

import pytest

from infra.core.s3_operations import Operation
from smoke import pixeltable_roundtrip as roundtrip
from smoke.checks import check_6_pixeltable as media
from smoke.checks.gate import (
    close_phase,
    opening,
    phase_for_step,
    require_operation,
    require_preflight,
    use_role_environment,
)
from smoke.checks.identity import Group, check
from smoke.context import SmokeContext
from smoke.pixeltable_phase import PixeltablePhase
from smoke.pixeltable_roundtrip import NATIVE_B2_STEPS, NativeB2State, Step, StepRunner

FIRST, LAST = NATIVE_B2_STEPS[0], NATIVE_B2_STEPS[-1]


def _open(ctx: SmokeContext, note) -> PixeltablePhase[NativeB2State]:
    """Pixeltable's own B2 addressing: https://s3.<region>.backblazeb2.com/<bucket>/<key>."""
    require_preflight(ctx)
    require_operation(ctx, Operation.GET_OBJECT, "Pixeltable's downloads")
    require_operation(ctx, Operation.PUT_OBJECT, "writing the computed column to the bucket")
    target = ctx.target
    if not target.is_b2:
        pytest.skip(
            f"not run: Pixeltable routes only https://s3.<region>.backblazeb2.com URLs to its B2 "
            f"client, and this run's endpoint is {target.endpoint}. Fix: run against a deployed "
            "stack, or inside the B2 twin (`python -m infra.local.twin --stack dev -- python -m "
            "smoke --env --stack dev --embedding tiny`)"
        )
    if ctx.fixtures is None:  # run on its own (--only "pixeltable b2")
        media.check_fixtures_uploaded(ctx, note)
    assert ctx.fixtures is not None
    from smoke.pixeltable_home import temporary_pixeltable_home

    state = NativeB2State(
        endpoint=target.endpoint,
        bucket=target.bucket,
        fixture_keys=ctx.fixtures.keys,
        fixtures=ctx.fixtures.fixtures,
        run_prefix=f"{ctx.run_prefix}pixeltable/",
        s3_client=None,
    )
    phase = ctx.pixeltable_b2 = PixeltablePhase(StepRunner(state))
    with opening(phase, FIRST):
        use_role_environment(ctx, phase)
        phase.resources.enter_context(temporary_pixeltable_home())
        state.s3_client = ctx.client()
        if problem := state.problem():
            raise roundtrip.RoundTripError("inputs", problem)
    return phase


def _finish(ctx: SmokeContext) -> None:
    """After the last step: PostgreSQL stopped, the outputs remembered for clean-up."""
    if (phase := close_phase(ctx, ctx.pixeltable_b2)) is None:
        return
    ctx.facts["pixeltable native B2 outputs written"] = len(phase.state.output_keys)


@pytest.mark.parametrize("step", NATIVE_B2_STEPS, ids=[step.title for step in NATIVE_B2_STEPS])
@check(Group.PIXELTABLE_B2)
def check_step(ctx: SmokeContext, step: Step[NativeB2State], note) -> None:
    try:
        phase = phase_for_step(step, FIRST, ctx.pixeltable_b2, lambda: _open(ctx, note))
        note(phase.runner.run(step).detail)
    finally:
        if step is LAST:
            _finish(ctx)
