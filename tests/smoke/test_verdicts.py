"""The judge: planned outcomes pass, over-privilege fails, blind spots are never passes."""

from __future__ import annotations

import pytest

from infra.core.expectations import (
    BUCKET_SCOPE,
    NAME_PREFIX,
    OBJECT_LOCK,
    Capability,
    Expectation,
    Operation,
    Scope,
    Subject,
    capability_grant,
    capability_restriction,
)
from smoke.verdicts import Observation, Outcome, Result, judge

ALLOWED = Expectation(
    operation=Operation.PUT_OBJECT, scope=Scope.IN_PREFIX, allowed=True, because="holds writeFiles"
)
DENIED_PREFIX = Expectation(
    operation=Operation.PUT_OBJECT,
    scope=Scope.OUTSIDE_PREFIX,
    allowed=False,
    because="restricted to 'smoke/'",
    relies_on=(NAME_PREFIX,),
)
DENIED_BUCKET = Expectation(
    operation=Operation.HEAD_BUCKET,
    scope=Scope.OTHER_BUCKET,
    allowed=False,
    because="restricted to one bucket",
    relies_on=(BUCKET_SCOPE,),
)


@pytest.mark.parametrize(
    ("expectation", "observed", "unenforced", "status"),
    [
        (ALLOWED, Observation(Outcome.ALLOWED), frozenset(), Result.PASSED),
        (ALLOWED, Observation(Outcome.ABSENT, "NoSuchKey"), frozenset(), Result.PASSED),
        (ALLOWED, Observation(Outcome.DENIED, "AccessDenied"), frozenset(), Result.FAILED),
        (ALLOWED, Observation(Outcome.ERROR, "InternalError"), frozenset(), Result.FAILED),
        (DENIED_PREFIX, Observation(Outcome.DENIED, "AccessDenied"), frozenset(), Result.PASSED),
        (DENIED_PREFIX, Observation(Outcome.ALLOWED), frozenset(), Result.FAILED),
        (
            DENIED_PREFIX,
            Observation(Outcome.ALLOWED),
            frozenset({NAME_PREFIX}),
            Result.NOT_VERIFIABLE,
        ),
        (
            DENIED_PREFIX,
            Observation(Outcome.ALLOWED),
            frozenset({capability_restriction("deleteFiles")}),
            Result.FAILED,
        ),
        (
            DENIED_BUCKET,
            Observation(Outcome.NO_SUCH_BUCKET, "NoSuchBucket"),
            frozenset(),
            Result.NOT_VERIFIABLE,
        ),
        (DENIED_BUCKET, Observation(Outcome.ABSENT, "404"), frozenset(), Result.FAILED),
    ],
)
def test_judge(expectation, observed, unenforced, status) -> None:
    verdict = judge(expectation, observed, unenforced, "seaweedfs")
    assert verdict.status is status, verdict.message


def test_over_privilege_message_says_what_to_fix() -> None:
    verdict = judge(DENIED_PREFIX, Observation(Outcome.ALLOWED), frozenset(), "B2")
    assert verdict.message.startswith("OVER-PRIVILEGED: PutObject on outside-prefix")
    assert "Fix:" in verdict.message
    assert "rotation" in verdict.message


def test_not_verifiable_names_the_unenforced_restriction() -> None:
    verdict = judge(
        DENIED_PREFIX, Observation(Outcome.ALLOWED), frozenset({NAME_PREFIX}), "seaweedfs"
    )
    assert "seaweedfs does not enforce namePrefix" in verdict.message


def test_refusal_names_every_capability_the_operation_needs() -> None:
    bypass = Expectation(
        operation=Operation.BYPASS_GOVERNANCE_RETENTION,
        scope=Scope.IN_PREFIX,
        allowed=True,
        because="the key holds bypassGovernance and deleteFiles",
        capabilities=(Capability.BYPASS_GOVERNANCE,),
    )
    verdict = judge(bypass, Observation(Outcome.DENIED, "AccessDenied"), frozenset(), "B2")
    assert verdict.status is Result.FAILED
    assert "lacks bypassGovernance or deleteFiles" in verdict.message


def test_a_capability_the_backend_cannot_grant_is_not_verifiable() -> None:
    encryption = Expectation(
        operation=Operation.GET_BUCKET_ENCRYPTION,
        scope=Scope.BUCKET,
        allowed=True,
        because="the key holds readBucketEncryption",
        capabilities=(Capability.READ_BUCKET_ENCRYPTION,),
    )
    refused = Observation(Outcome.DENIED, "AccessDenied")
    blind = frozenset({capability_grant("readBucketEncryption")})
    assert judge(encryption, refused, blind, "seaweedfs").status is Result.NOT_VERIFIABLE
    assert judge(encryption, refused, frozenset(), "B2").status is Result.FAILED


def test_a_deleted_retained_version_is_a_missing_lock_and_not_probed_is_never_a_pass() -> None:
    retained = Expectation(
        operation=Operation.DELETE_OBJECT_VERSION,
        scope=Scope.IN_PREFIX,
        subject=Subject.DATA_VERSION,
        allowed=False,
        because="new objects are under governance retention for 30 days",
        relies_on=(OBJECT_LOCK,),
    )
    verdict = judge(retained, Observation(Outcome.ALLOWED), frozenset(), "B2")
    assert verdict.status is Result.FAILED
    assert verdict.message.startswith("OBJECT LOCK MISSING: DeleteObjectVersion")
    nothing = judge(retained, Observation(Outcome.NOT_PROBED, "", "no version"), frozenset(), "B2")
    assert nothing.status is Result.NOT_VERIFIABLE


def test_no_lock_answer_to_a_retention_probe_is_not_verifiable() -> None:
    retention = Expectation(
        operation=Operation.GET_OBJECT_RETENTION,
        scope=Scope.IN_PREFIX,
        allowed=False,
        because="the key lacks readFileRetentions",
        relies_on=(capability_restriction("readFileRetentions"),),
    )
    observed = Observation(Outcome.NO_LOCK, "InvalidRequest")
    verdict = judge(retention, observed, frozenset(), "B2")
    assert verdict.status is Result.NOT_VERIFIABLE
    assert "no Object Lock" in verdict.message
