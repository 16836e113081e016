"""Run one `infra.core.expectations` row against a local deployment with the smoke probes."""

from __future__ import annotations

from typing import Any

from infra.core.expectations import Expectation, probe_prefix
from infra.core.plan_model import KeyPlan, StackPlan
from smoke import probes
from smoke.verdicts import Outcome

ALLOWED, ABSENT, DENIED, NOT_PROBED = "allowed", "absent", "denied", "not probed"
_OUTCOMES = {
    Outcome.ALLOWED: ALLOWED,
    Outcome.ABSENT: ABSENT,
    Outcome.DENIED: DENIED,
    Outcome.NOT_PROBED: NOT_PROBED,
    Outcome.NO_LOCK: NOT_PROBED,
}


def bucket_scoped_roles(plan: StackPlan) -> tuple[str, ...]:
    """The roles a local deployment can stand in for.

    The local servers scope every key to the stack's bucket and have no key API, so an
    account-wide key (`accountWide: true`: listKeys, no bucket restriction) is a B2-only
    construct; b2sdk's simulator covers those keys (tests/audit/test_account_key_only.py).
    """
    return tuple(k.role for k in plan.keys if not k.account_wide)


def names_for(key: KeyPlan, bucket: str, other_bucket: str) -> probes.ProbeNames:
    """Fresh names per role; the rows of one table must run in order on the same names."""
    return probes.ProbeNames(
        bucket=bucket,
        other_bucket=other_bucket,
        in_prefix_key=f"{probe_prefix(key)}pxb2-it/{key.role}/probe.txt",
        outside_prefix_key=f"pxb2-outside-{key.role}/probe.txt",
    )


def observe(client: Any, row: Expectation, names: probes.ProbeNames) -> tuple[str, str]:
    """(ALLOWED | ABSENT | DENIED, error code); other outcomes fail the test."""
    observed = probes.observe(client, row, names)
    if observed.outcome not in _OUTCOMES:
        raise AssertionError(f"{row.name}: {observed.outcome} {observed.code} {observed.detail}")
    return _OUTCOMES[observed.outcome], observed.code


def verdict(row: Expectation, outcome: str, unenforced: frozenset[str]) -> str | None:
    """None when the local server behaved as the plan and `unenforced` say, else why not."""
    if outcome == NOT_PROBED:
        return None  # the suite reports it as not verifiable, never as passed
    granted = outcome in (ALLOWED, ABSENT)
    if row.allowed:
        if granted or set(row.needs) & unenforced:
            return None
        return f"{row.name} was refused but the plan grants it"
    blind = set(row.relies_on) & unenforced
    if blind:
        # Declared unenforced: the local server must really let it through, or the
        # declaration is wrong (too conservative) and the set does not match reality.
        return None if granted else f"{row.name} was refused though {sorted(blind)} is unenforced"
    return None if outcome == DENIED else f"{row.name} succeeded but must be refused"
