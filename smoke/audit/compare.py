"""Plan versus observed B2 state: the audit's pure core (no I/O, no clock).

Every check yields a `Check`; a value the credentials could not observe makes
the check skipped with the reason, never passed.
"""

from __future__ import annotations

from collections.abc import Iterable

from infra.core.plan_model import StackPlan
from smoke.audit.bucket_checks import LIFECYCLE_FIELDS, bucket_checks
from smoke.audit.findings import AuditResult, CheckList
from smoke.audit.inventory_checks import account_checks
from smoke.audit.key_checks import (
    DEFAULT_EXPIRY_TOLERANCE_SECONDS,
    DEFAULT_EXPIRY_WARNING_DAYS,
    AuditSettings,
    role_checks,
)
from smoke.audit.observed import ObservedBucket, ObservedState, Unreadable

__all__ = [
    "DEFAULT_EXPIRY_TOLERANCE_SECONDS",
    "DEFAULT_EXPIRY_WARNING_DAYS",
    "LIFECYCLE_FIELDS",
    "AuditSettings",
    "audit",
]


def audit(
    plan: StackPlan,
    state: ObservedState,
    *,
    roles: Iterable[str] | None = None,
    settings: AuditSettings | None = None,
    accepted_keys: Iterable[str] = (),
) -> AuditResult:
    """Compare every audited item.

    `roles` limits the key checks (default: every planned role); `accepted_keys` names
    keys outside the plan that may reach the bucket (reported as notes, not findings).
    """
    settings = settings or AuditSettings()
    chosen = tuple(roles) if roles is not None else plan.roles
    now = state.observed_at
    out = CheckList()
    for role in chosen:
        role_checks(out, plan.key(role), state, now, settings)
    bucket_checks(out, plan, state)
    accepted = account_checks(out, plan, state, frozenset(accepted_keys))
    notes = []
    if isinstance(state.bucket, ObservedBucket):
        notes.append(f"bucket settings read with {state.bucket.read_with}")
    if state.audit_key_id is not None and not isinstance(state.account_keys, Unreadable):
        notes.append(
            f"the audit's own account key (id {state.audit_key_id}) is not counted as "
            "unmanaged access"
        )
    notes.extend(accepted)
    return AuditResult(
        stack=plan.stack,
        bucket=state.bucket_name,
        observed_at=now.isoformat(timespec="seconds"),
        checks=tuple(out.items),
        notes=tuple(notes),
    )
