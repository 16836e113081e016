"""Pixeltable's native B2 path: media read from and written to B2 URLs, not s3:// ones.

Its own group, so it can run without the s3:// round trip (`--only "pixeltable b2"`).
"""

from __future__ import annotations

import pytest

from infra.core.s3_operations import Operation
from smoke.checks import check_6_pixeltable as media
from smoke.checks.gate import require_operation, require_preflight
from smoke.context import SmokeContext

GROUP = "pixeltable b2"


def check_native_b2_path(ctx: SmokeContext, note) -> None:
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
    if "fixture keys" not in ctx.state:  # run on its own (--only "pixeltable b2")
        media.check_fixtures_uploaded(ctx, note)
    from smoke.pixeltable_home import temporary_pixeltable_home
    from smoke.pixeltable_roundtrip import run_native_b2_roundtrip, s3_environment

    creds = target.credentials
    steps: list[str] = []
    with (
        s3_environment(
            target.endpoint, target.region, creds.access_key_id, creds.secret_access_key
        ),
        temporary_pixeltable_home(),
    ):
        result = run_native_b2_roundtrip(
            endpoint=target.endpoint,
            bucket=target.bucket,
            fixture_keys=ctx.state["fixture keys"],
            fixtures=ctx.state["fixtures"],
            run_prefix=f"{ctx.run_prefix}pixeltable/",
            s3_client=ctx.client(),
            on_step=lambda name, seconds, detail: steps.append(f"{name} {seconds:.2f}s"),
        )
    for key in result.output_keys:
        ctx.names.remember(target.bucket, key, None)
    ctx.facts["pixeltable native B2 outputs written"] = len(result.output_keys)
    note(f"through {target.endpoint}/{target.bucket}/ URLs: " + ", ".join(steps))
