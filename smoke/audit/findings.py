"""The audit's verdicts: one `Check` per audited item, each with zero or more findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from infra.core.exit_codes import ExitCode
from smoke.verdicts import Result


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One difference between plan and B2, readable on its own."""

    check: str
    severity: Severity
    summary: str  # short label: "over-privileged", "lifecycle rule missing", ...
    field: str
    planned: str
    actual: str
    fix: str


@dataclass(frozen=True)
class Check:
    """One audited item (one JUnit test case)."""

    check_id: str
    description: str
    findings: tuple[Finding, ...] = ()
    skipped_reason: str | None = None

    @property
    def status(self) -> Result:
        if self.skipped_reason is not None:
            return Result.SKIPPED
        if any(f.severity is Severity.ERROR for f in self.findings):
            return Result.FAILED
        if self.findings:
            return Result.WARNED
        return Result.PASSED


class CheckList:
    """Collects checks in the order they are made."""

    def __init__(self) -> None:
        self.items: list[Check] = []

    def add(self, check_id: str, description: str, findings: Iterable[Finding] = ()) -> None:
        self.items.append(Check(check_id, description, tuple(findings)))

    def skip(self, check_id: str, description: str, reason: str) -> None:
        self.items.append(Check(check_id, description, skipped_reason=reason))


@dataclass(frozen=True)
class AuditResult:
    stack: str
    bucket: str
    observed_at: str  # ISO 8601, UTC
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.checks for f in c.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def count(self, status: Result) -> int:
        return sum(1 for c in self.checks if c.status is status)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FAILED if self.errors else ExitCode.OK

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.check_id == check_id:
                return check
        raise KeyError(check_id)
