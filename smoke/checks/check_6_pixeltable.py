"""Pixeltable round trip: ingest every media kind from the bucket, index, search, write back.

The slow preparations (fixture upload, model build, PostgreSQL start) run in background
threads (`smoke.pixeltable_warmup`): started here, side by side, or already by the plugin
during the S3 checks when PXB2_SMOKE_OVERLAP=1; these checks take their results in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from smoke.checks.gate import require_operation, require_preflight
from smoke.context import LOCAL_MODEL, SmokeContext
from smoke.pixeltable_warmup import DOWNLOAD, UPLOAD, PixeltableWarmup, start_warmup
from smoke.pixeltable_warmup import GROUP as GROUP
from smoke.s3_calls import S3CallLog, recording_s3_calls

T = TypeVar("T")


def _warmup(ctx: SmokeContext) -> PixeltableWarmup:
    warmup = start_warmup(ctx)
    assert warmup is not None, "the Pixeltable preparations could not start"
    return warmup


def _named_refusals(calls: S3CallLog, run: Callable[[], T]) -> T:
    """Run the round trip; if it fails, say which S3 calls the server refused and the
    capability each needs (Pixeltable's own messages do not)."""
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
    ctx.state["fixtures"] = fixtures
    ctx.state["fixture keys"] = upload.keys
    ctx.facts["fixture objects uploaded"] = upload.uploaded_objects
    ctx.facts["fixture bytes uploaded"] = upload.uploaded_bytes
    note(
        f"{len(fixtures)} fixtures under {ctx.fixtures_prefix!r}: {upload.uploaded_objects} "
        f"uploaded ({upload.uploaded_bytes} bytes), {upload.already_present} already there"
    )


def check_round_trip(ctx: SmokeContext, note) -> None:
    require_preflight(ctx)
    require_operation(ctx, DOWNLOAD, "Pixeltable's downloads")
    if "fixture keys" not in ctx.state:
        pytest.skip("not run: the media fixtures are not in the bucket")
    from smoke.pixeltable_roundtrip import run_pixeltable_roundtrip, s3_environment

    target = ctx.target
    creds = target.credentials
    steps: list[str] = []
    tiny = ctx.options.embedding == LOCAL_MODEL
    with _warmup(ctx) as warmup:
        model_id = warmup.model_id()
        ctx.facts["pixeltable start waited for (s)"] = round(warmup.wait_for_pixeltable(), 2)
        with (
            s3_environment(
                target.endpoint, target.region, creds.access_key_id, creds.secret_access_key
            ),
            recording_s3_calls() as calls,
        ):
            result = _named_refusals(
                calls,
                lambda: run_pixeltable_roundtrip(
                    bucket=target.bucket,
                    fixture_keys=ctx.state["fixture keys"],
                    fixtures=ctx.state["fixtures"],
                    run_prefix=f"{ctx.run_prefix}pixeltable/",
                    model_id=model_id,
                    real_model=not tiny,
                    s3_client=ctx.client(),
                    on_step=lambda name, seconds, detail: steps.append(f"{name} {seconds:.2f}s"),
                ),
            )
        ctx.facts["S3 calls during the Pixeltable phase"] = ", ".join(
            f"{call} x{n}" for call, n in calls.counts().items()
        )
    home = warmup.home
    for key in result.output_keys:
        ctx.names.remember(target.bucket, key, None)
    ctx.facts["pixeltable outputs written"] = len(result.output_keys)
    ctx.facts["pixeltable postgres stopped"] = home.cleanup is not None
    for name, seconds in sorted(warmup.seconds.items()):
        ctx.facts[f"pixeltable warm-up {name} (s)"] = round(seconds, 2)
    for name, seconds in result.timings.items():
        ctx.facts[f"pixeltable {name} (s)"] = round(seconds, 2)
    note(f"model {'tiny (offline)' if tiny else model_id}; " + ", ".join(steps))
