"""The per-capability report: every capability listed, nothing unprobed counted as passed."""

from __future__ import annotations

from infra.core.b2_facts import Capability
from infra.core.expectations import Expectation, Operation, Scope
from infra.core.stack_files import load_plan_for_stack
from smoke.capability_report import NOT_PROBED_REASON, Probed, capability_lines
from smoke.verdicts import Observation, Outcome, Result, Verdict

KEY = load_plan_for_stack("prod").key("smoke")


def _probed(operation: Operation, scope: Scope, status: Result, outcome: Outcome) -> Probed:
    row = Expectation(
        operation=operation,
        scope=scope,
        allowed=True,
        because="test",
        capabilities=(Capability.READ_FILES,),
    )
    return Probed(row, Observation(outcome), Verdict(status, f"{operation} {status}"))


def test_worst_verdict_wins_and_operations_are_listed() -> None:
    probed = [
        _probed(Operation.GET_OBJECT, Scope.IN_PREFIX, Result.PASSED, Outcome.ALLOWED),
        _probed(Operation.HEAD_OBJECT, Scope.IN_PREFIX, Result.FAILED, Outcome.DENIED),
    ]
    lines = {line.capability: line for line in capability_lines(KEY, probed)}
    assert list(lines) == [c.value for c in Capability]
    read = lines["readFiles"]
    assert read.held is True
    assert read.status is Result.FAILED
    assert [t["observed"] for t in read.tried] == ["allowed", "refused"]
    assert "HeadObject failed" in read.reason
    assert read.as_json()["operations"][1]["operation"] == "HeadObject"


def test_unprobed_capabilities_are_not_verifiable_with_a_reason() -> None:
    lines = {line.capability: line for line in capability_lines(KEY, [])}
    assert all(line.status is Result.NOT_VERIFIABLE for line in lines.values())
    assert lines["writeBucketEncryption"].reason == NOT_PROBED_REASON
    assert "no S3 operation" in lines["readBucketNotifications"].reason
