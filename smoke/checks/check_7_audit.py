"""Audit: on B2, ask B2's native API (b2sdk) whether the key and bucket match the plan."""

from __future__ import annotations

import os

import pytest

from smoke.checks.gate import require_preflight
from smoke.checks.identity import Group, check
from smoke.context import SmokeContext


@check(Group.AUDIT, "b2 state matches plan")
def check_b2_state_matches_plan(ctx: SmokeContext, note) -> None:
    require_preflight(ctx)
    target = ctx.target
    if not target.is_b2:
        pytest.skip(
            "not verifiable: the audit reads B2's native API, and this endpoint is not B2 "
            "(tests/audit runs it against b2sdk's simulator)"
        )
    if target.no_native_api:
        pytest.skip(f"not verifiable: {target.no_native_api}")
    if target.plan is None:
        pytest.skip("not verifiable: no stack plan given (use --stack or --plan-file)")
    from smoke.audit.compare import audit
    from smoke.audit.credentials import (
        ACCOUNT_KEY,
        ACCOUNT_KEY_ID,
        AuditCredentials,
        KeyCredential,
        Secret,
    )
    from smoke.audit.reader import read_state

    creds = target.credentials
    account_id, account_secret = os.environ.get(ACCOUNT_KEY_ID), os.environ.get(ACCOUNT_KEY)
    account = (
        KeyCredential(account_id, Secret(account_secret), f"{ACCOUNT_KEY_ID}/{ACCOUNT_KEY}")
        if account_id and account_secret
        else None
    )
    credentials = AuditCredentials(
        roles={
            target.role: KeyCredential(
                creds.access_key_id, Secret(creds.secret_access_key), target.source
            )
        },
        account=account,
    )
    result = audit(target.plan, read_state(target.bucket, credentials), roles=[target.role])
    ctx.facts["audit findings"] = len(result.findings)
    errors = result.errors
    assert not errors, "B2 differs from the plan: " + "; ".join(
        f"{f.field}: planned {f.planned}, actual {f.actual} ({f.summary}). Fix: {f.fix}"
        for f in errors
    )
    note(
        f"{len(result.checks)} audit checks, {len(result.warnings)} warning(s); run "
        "`python -m smoke audit` for the full table"
    )
