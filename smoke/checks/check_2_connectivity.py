"""Connectivity, the seed's check: HeadBucket, and ListBuckets as B2 really answers it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from infra.core.expectations import Operation
from infra.core.s3_operations import capability_for
from smoke.checks.gate import require_preflight
from smoke.checks.identity import Group, check
from smoke.context import SmokeContext
from smoke.probes import KEY_REJECTED_CODES, classify, diagnose_refusal, probe
from smoke.verdicts import Outcome, Result

SERVER_ERROR = 500


@check(Group.CONNECTIVITY, "head bucket")
def check_head_bucket(ctx: SmokeContext) -> None:
    require_preflight(ctx)
    bucket = ctx.target.bucket
    try:
        ctx.client().head_bucket(Bucket=bucket)
    except ClientError as error:
        observed = classify(error)
        if observed.outcome is Outcome.DENIED and not observed.code.isalpha():
            observed = diagnose_refusal(ctx.client(), bucket, ctx.target.prefix)
        if observed.outcome in (Outcome.ABSENT, Outcome.NO_SUCH_BUCKET):
            raise AssertionError(
                f"bucket {bucket!r} does not exist at {ctx.target.endpoint}. Fix: deploy the stack "
                "(pulumi up) or correct the bucket name"
            ) from None
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= SERVER_ERROR:
            attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
            ctx.stop_reason = f"{ctx.target.endpoint} answered {status}"
            raise AssertionError(
                f"endpoint {ctx.target.endpoint} answered {status}"
                f"{'' if observed.code == str(status) else ' ' + observed.code} to "
                f"HeadBucket on all {attempts} attempts: the storage service is busy or down "
                "(B2 answers 503 when busy). Fix: retry later and check B2's status page; the "
                "remaining checks were not run"
            ) from None
        if observed.code in KEY_REJECTED_CODES:
            ctx.stop_reason = f"the endpoint rejected the key ({observed.code})"
            raise AssertionError(
                f"the endpoint rejected the key ({observed.code}): the key id or secret is wrong "
                "or the key was deleted. Fix: use the stack's current outputs (after a rotation, "
                "re-read them)"
            ) from None
        raise AssertionError(
            f"HeadBucket on {bucket!r} was refused ({observed.code}). Fix: the key must be "
            f"scoped to this bucket and hold {capability_for(Operation.HEAD_BUCKET)}"
        ) from None


@check(Group.CONNECTIVITY, "list buckets")
def check_list_buckets(ctx: SmokeContext, note) -> None:
    require_preflight(ctx)
    planned = [e for e in ctx.target.expectations if e.operation is Operation.LIST_BUCKETS]
    if not planned:
        response = ctx.client().list_buckets()
        names = {b["Name"] for b in response.get("Buckets", [])}
        assert ctx.target.bucket in names, "ListBuckets works but does not show the bucket"
        note("ListBuckets works and shows the bucket (no plan given to compare with)")
        return
    probed = probe(
        ctx.client(), planned[0], ctx.names, ctx.target.unenforced, ctx.options.backend_label
    )
    ctx.probed.append(probed)
    verdict = probed.verdict
    if verdict.status is Result.FAILED:
        raise AssertionError(verdict.message)
    if planned[0].allowed:
        note("ListBuckets works and shows the bucket, as planned")
    elif verdict.status is Result.PASSED:
        note(
            "ListBuckets is refused, as B2 does for a bucket-scoped key without "
            "listAllBucketNames; HeadBucket (above) is the connectivity check that works"
        )
    else:
        pytest.skip(f"not verifiable: {verdict.message}")
