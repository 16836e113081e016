"""Judge an observed S3 outcome against the plan's expectation. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from infra.core.expectations import NAME_PREFIX, OBJECT_LOCK, Expectation, Scope
from infra.core.s3_operations import OPERATIONS


class Outcome(StrEnum):
    ALLOWED = "allowed"
    ABSENT = "absent"  # 404: the request passed authorisation, the object is not there
    DENIED = "denied"
    NO_SUCH_BUCKET = "no such bucket"
    ERROR = "error"
    NOT_PROBED = "not probed"  # nothing to act on: an earlier probe could not create it
    NO_LOCK = "no object lock"  # a retention/legal-hold answer that only says "no lock here"


@dataclass(frozen=True)
class Observation:
    outcome: Outcome
    code: str = ""
    detail: str = ""


class Result(StrEnum):
    """What a probe, a smoke check or an audited item came to: one word list for the smoke
    report, the capability table and the audit (each uses the subset below, in report order)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_VERIFIABLE = "not verifiable"  # ran, but this backend cannot show the answer
    NOT_RUN = "not run"  # not selected, or an earlier failure left nothing to run on
    WARNED = "warned"  # audit: warnings only
    SKIPPED = "skipped"  # audit: not observable with the credentials given; never a pass


SMOKE_RESULTS = (Result.PASSED, Result.FAILED, Result.NOT_VERIFIABLE, Result.NOT_RUN)
AUDIT_RESULTS = (Result.PASSED, Result.FAILED, Result.WARNED, Result.SKIPPED)


@dataclass(frozen=True)
class Verdict:
    status: Result
    message: str


def judge(
    expectation: Expectation,
    observed: Observation,
    unenforced: frozenset[str],
    backend: str,
) -> Verdict:
    """Over-privilege is a failure; a restriction the backend cannot enforce is never a pass."""
    what = f"{expectation.operation.value} on {expectation.scope.value}"
    if expectation.subject.value:
        what += f" ({expectation.subject.value})"
    if observed.outcome is Outcome.NOT_PROBED:
        return Verdict(Result.NOT_VERIFIABLE, f"{what}: not probed: {observed.detail}")
    if observed.outcome is Outcome.NO_LOCK:
        return Verdict(
            Result.NOT_VERIFIABLE,
            f"{what}: the server answered {observed.code} (the bucket has no Object Lock), which "
            "does not show whether the key holds the capability",
        )
    if observed.outcome is Outcome.ERROR:
        return Verdict(
            Result.FAILED, f"{what}: unexpected error {observed.code}: {observed.detail}"
        )
    if observed.outcome is Outcome.NO_SUCH_BUCKET and expectation.scope is Scope.OTHER_BUCKET:
        return Verdict(
            Result.NOT_VERIFIABLE,
            f"{what}: the other bucket does not exist, so scoping to one bucket is not shown; "
            "set PXB2_OTHER_BUCKET to a bucket this key must not reach",
        )
    granted = observed.outcome in (Outcome.ALLOWED, Outcome.ABSENT)
    if expectation.allowed:
        if granted:
            return Verdict(Result.PASSED, f"{what} allowed as planned ({expectation.because})")
        ungranted = [n for n in expectation.needs if n in unenforced]
        if ungranted:
            return Verdict(
                Result.NOT_VERIFIABLE,
                f"{what} was refused, but {backend} cannot grant "
                f"{', '.join(n.split(':', 1)[1] for n in ungranted)} to a key; on B2 it must "
                f"be allowed ({expectation.because})",
            )
        rule = OPERATIONS.get(expectation.operation)
        needed = (*expectation.capabilities, *(rule.also_needs if rule else ()))
        held = " or ".join(needed) or "a capability"
        if expectation.scope is Scope.IN_PREFIX:
            held += " (or is confined to another name prefix)"
        return Verdict(
            Result.FAILED,
            f"{what} was refused ({observed.code or observed.outcome.value}): the deployed key "
            f"lacks {held}, which the plan grants ({expectation.because}). Fix: the deployed key "
            "does not match the plan; run `pulumi up` for this stack (or rotate the key) and "
            "make sure the smoke job uses the current key",
        )
    if not granted:
        return Verdict(Result.PASSED, f"{what} refused as planned: {expectation.because}")
    blind = [r for r in expectation.relies_on if r in unenforced]
    if blind:
        return Verdict(
            Result.NOT_VERIFIABLE,
            f"{what} succeeded, but {backend} does not enforce {', '.join(blind)}; on B2 it must "
            f"be refused ({expectation.because})",
        )
    if OBJECT_LOCK in expectation.relies_on:
        return Verdict(
            Result.FAILED,
            f"OBJECT LOCK MISSING: {what} succeeded but must be refused: {expectation.because}. "
            "Fix: the bucket's object lock or default retention is not as planned; compare "
            "`bucket settings: object lock` and restore it (B2 web console or b2_update_bucket), "
            "then `pulumi refresh`",
        )
    if NAME_PREFIX in expectation.relies_on:
        fix = "the key's name prefix is wider than planned (or missing)"
    else:
        fix = "the key holds more than the plan grants"
    return Verdict(
        Result.FAILED,
        f"OVER-PRIVILEGED: {what} succeeded but must be refused: {expectation.because}. Fix: "
        f"{fix}; rotate it (bump `rotation` for this role and run `pulumi up`) and revoke the "
        "old key",
    )
