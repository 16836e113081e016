"""What the scoping check probed, per capability: operations, answers, verdict. Pure.

Rows come from the expectation table (`infra.core.expectations`); capabilities no
S3 operation shows (or whose probe would change the bucket) are listed as not
verifiable with the reason, never as passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra.core.b2_facts import Capability
from infra.core.expectations import Expectation
from infra.core.plan_model import KeyPlan
from infra.core.s3_operations import OPERATIONS, WITHOUT_S3_OPERATION
from smoke.verdicts import Observation, Result, Verdict

NOT_PROBED_REASON = "not probed: a successful probe would change the bucket's settings"


@dataclass(frozen=True)
class Probed:
    expectation: Expectation
    observation: Observation
    verdict: Verdict


@dataclass
class CapabilityLine:
    capability: str
    held: bool
    tried: list[dict[str, str]] = field(default_factory=list)
    status: Result = Result.NOT_VERIFIABLE
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "capability": self.capability,
            "planned": "held" if self.held else "not held",
            "operations": self.tried,
            "verdict": self.status.value,
            "reason": self.reason,
        }

    def compact(self) -> str:
        """`GetObject in-prefix allowed; GetObject outside-prefix refused` shortened per op."""
        parts = [f"{t['operation']} {t['scope']} {t['observed']}" for t in self.tried]
        return "; ".join(parts) or self.reason


def _worst(statuses: list[Result]) -> Result:
    for status in (Result.FAILED, Result.NOT_VERIFIABLE):
        if status in statuses:
            return status
    return Result.PASSED


def _unprobed_reason(capability: Capability) -> str:
    if capability in WITHOUT_S3_OPERATION:
        return f"not verifiable over S3: {WITHOUT_S3_OPERATION[capability]}"
    if any(r.capability == capability and not r.probe for r in OPERATIONS.values()):
        return NOT_PROBED_REASON
    return "not probed in this run"


def capability_lines(key: KeyPlan, probed: list[Probed]) -> list[CapabilityLine]:
    """One line per B2 capability, in B2's order."""
    lines = []
    for capability in Capability:
        line = CapabilityLine(capability.value, key.can(capability))
        rows = [p for p in probed if capability in p.expectation.capabilities]
        for p in rows:
            line.tried.append(
                {
                    "operation": p.expectation.operation.value,
                    "scope": p.expectation.scope.value
                    + (f" ({p.expectation.subject.value})" if p.expectation.subject.value else ""),
                    "planned": "allowed" if p.expectation.allowed else "refused",
                    "observed": _observed(p.observation),
                    "verdict": p.verdict.status.value,
                }
            )
        if rows:
            line.status = _worst([p.verdict.status for p in rows])
            line.reason = "; ".join(
                p.verdict.message for p in rows if p.verdict.status is not Result.PASSED
            )
        else:
            line.reason = _unprobed_reason(capability)
        lines.append(line)
    return lines


def _observed(observation: Observation) -> str:
    value = observation.outcome.value
    return {"absent": "allowed", "denied": "refused"}.get(value, value)
