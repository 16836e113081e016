"""Pixeltable round trip: ingest every media kind from the bucket, index, search, write back.

One check per step of `smoke.pixeltable_roundtrip.STEPS`, in order, sharing the phase on
the context; a step whose earlier step did not pass is not run. The slow preparations
(fixture upload, model build, PostgreSQL start) run in background threads
(`smoke.pixeltable_warmup`): started here, side by side, or already by the plugin during
the S3 checks when PXB2_SMOKE_OVERLAP=1; the checks take their results in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from smoke import pixeltable_roundtrip as roundtrip
from smoke.checks.gate import (
    close_phase,
    opening,
    phase_for_step,
    require_operation,
    require_preflight,
    use_role_environment,
)
from smoke.checks.identity import Group, check
from smoke.context import LOCAL_MODEL, FixturesInBucket, SmokeContext
from smoke.pixeltable_phase import PixeltablePhase
from smoke.pixeltable_roundtrip import STEPS, RoundTripState, Step, StepRunner
from smoke.pixeltable_warmup import DOWNLOAD, UPLOAD, PixeltableWarmup, start_warmup
from smoke.s3_calls import S3CallLog

T = TypeVar("T")
FIRST, LAST = STEPS[0], STEPS[-1]


def _warmup(ctx: SmokeContext) -> PixeltableWarmup:
    warmup = start_warmup(ctx)
    assert warmup is not None, "the Pixeltable preparations could not start"
    return warmup


def _named_refusals(calls: S3CallLog, run: Callable[[], T]) -> T:
    """Run a step; if it fails, say which S3 calls the server refused and the capability
    each needs (Pixeltable's own messages do not)."""
    try:
        return run()
    except Exception as error:
        refused = calls.refusal_summary()
        if not refused:
            raise
        raise AssertionError(
            f"{error}. The server refused: {refused}. Fix: give the key what the plan grants, "
            "or if the plan lacks it, add it to the role (see README, What Pixeltable needs)"
        ) from None


@check(Group.PIXELTABLE, "fixtures uploaded")
def check_fixtures_uploaded(ctx: SmokeContext, note) -> None:
    require_preflight(ctx)
    require_operation(ctx, UPLOAD, "uploading the media fixtures")
    warmup = start_warmup(ctx)
    if warmup is not None:
        fixtures, upload = warmup.uploaded()
    else:  # the s3:// round trip is not selected (the native B2 group runs on its own)
        from smoke.media_fixtures import build_fixtures, upload_fixtures

        fixtures = build_fixtures()
        upload = upload_fixtures(ctx.client(), ctx.target.bucket, ctx.fixtures_prefix)
    ctx.fixtures = FixturesInBucket(fixtures, dict(upload.keys))
    ctx.facts["fixture objects uploaded"] = upload.uploaded_objects
    ctx.facts["fixture bytes uploaded"] = upload.uploaded_bytes
    note(
        f"{len(fixtures)} fixtures under {ctx.fixtures_prefix!r}: {upload.uploaded_objects} "
        f"uploaded ({upload.uploaded_bytes} bytes), {upload.already_present} already there"
    )


def _open(ctx: SmokeContext) -> PixeltablePhase[RoundTripState]:
    """The first step's gates, then the phase: warm-up results, the S3 environment, inputs."""
    require_preflight(ctx)
    require_operation(ctx, DOWNLOAD, "Pixeltable's downloads")
    if ctx.fixtures is None:
        pytest.skip("not run: the media fixtures are not in the bucket")
    target, fixtures = ctx.target, ctx.fixtures
    state = RoundTripState(
        bucket=target.bucket,
        fixture_keys=fixtures.keys,
        fixtures=fixtures.fixtures,
        run_prefix=f"{ctx.run_prefix}pixeltable/",
        model_id="",
        real_model=ctx.options.embedding != LOCAL_MODEL,
        s3_client=None,
    )
    phase = ctx.pixeltable = PixeltablePhase(StepRunner(state))
    with opening(phase, FIRST):
        warmup = phase.resources.enter_context(_warmup(ctx))
        state.model_id = warmup.model_id()
        ctx.facts["pixeltable start waited for (s)"] = round(warmup.wait_for_pixeltable(), 2)
        use_role_environment(ctx, phase)
        state.s3_client = ctx.client()
        if problems := state.problems():
            raise roundtrip.RoundTripError("inputs", "; ".join(problems))
    return phase


def _finish(ctx: SmokeContext) -> None:
    """After the last step: PostgreSQL stopped, the outputs remembered for clean-up, facts."""
    if (phase := close_phase(ctx, ctx.pixeltable)) is None:
        return
    state, warmup = phase.state, ctx.warmup
    ctx.facts["S3 calls during the Pixeltable phase"] = ", ".join(
        f"{call} x{n}" for call, n in phase.calls.counts().items()
    )
    ctx.facts["pixeltable outputs written"] = len(state.output_keys)
    if warmup is not None:
        home = warmup.home
        ctx.facts["pixeltable postgres stopped"] = home is not None and home.cleanup is not None
        for name, seconds in sorted(warmup.seconds.items()):
            ctx.facts[f"pixeltable warm-up {name} (s)"] = round(seconds, 2)
    for result in phase.runner.done:
        ctx.facts[f"pixeltable {result.name} (s)"] = round(result.seconds, 2)


@pytest.mark.parametrize("step", STEPS, ids=[step.title for step in STEPS])
@check(Group.PIXELTABLE)
def check_step(ctx: SmokeContext, step: Step[RoundTripState], note) -> None:
    try:
        phase = phase_for_step(step, FIRST, ctx.pixeltable, lambda: _open(ctx))
        with phase.recording() as calls:
            result = _named_refusals(calls, lambda: phase.runner.run(step))
        if step is FIRST:
            model = phase.state.model_id
            note(f"model {model if phase.state.real_model else 'tiny (offline)'}")
        note(result.detail)
    finally:
        if step is LAST:
            _finish(ctx)
