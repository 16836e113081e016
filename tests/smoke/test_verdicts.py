"""The judge: planned outcomes pass, over-privilege fails, blind spots are never passes."""

from __future__ import annotations

import pytest

from infra.expectations import (
    BUCKET_SCOPE,
    NAME_PREFIX,
    Expectation,
    Operation,
    Scope,
    capability_restriction,
)
from smoke.verdicts import Observation, Outcome, Status, judge

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
        (ALLOWED, Observation(Outcome.ALLOWED), frozenset(), Status.PASSED),
        (ALLOWED, Observation(Outcome.ABSENT, "NoSuchKey"), frozenset(), Status.PASSED),
        (ALLOWED, Observation(Outcome.DENIED, "AccessDenied"), frozenset(), Status.FAILED),
        (ALLOWED, Observation(Outcome.ERROR, "InternalError"), frozenset(), Status.FAILED),
        (DENIED_PREFIX, Observation(Outcome.DENIED, "AccessDenied"), frozenset(), Status.PASSED),
        (DENIED_PREFIX, Observation(Outcome.ALLOWED), frozenset(), Status.FAILED),
        (
            DENIED_PREFIX,
            Observation(Outcome.ALLOWED),
            frozenset({NAME_PREFIX}),
            Status.NOT_VERIFIABLE,
        ),
        (
            DENIED_PREFIX,
            Observation(Outcome.ALLOWED),
            frozenset({capability_restriction("deleteFiles")}),
            Status.FAILED,
        ),
        (
            DENIED_BUCKET,
            Observation(Outcome.NO_SUCH_BUCKET, "NoSuchBucket"),
            frozenset(),
            Status.NOT_VERIFIABLE,
        ),
        (DENIED_BUCKET, Observation(Outcome.ABSENT, "404"), frozenset(), Status.FAILED),
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
