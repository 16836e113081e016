"""Render an audit result: a rich table on the terminal, JSON, and JUnit XML.

`redact_result` is the last line of defence: every text is scrubbed of the
secrets the audit was given before any renderer sees it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from infra.core.redaction import Redactor
from smoke.audit.findings import AuditResult, Check, Finding, Severity
from smoke.verdicts import AUDIT_RESULTS, Result

STATUS_STYLE = {
    Result.PASSED: ("ok", "green"),
    Result.FAILED: ("FAIL", "bold red"),
    Result.WARNED: ("warn", "yellow"),
    Result.SKIPPED: ("not checked", "dim"),
}


def redact_result(result: AuditResult, redact: Redactor) -> AuditResult:
    def finding(f: Finding) -> Finding:
        return dataclasses.replace(
            f,
            summary=redact(f.summary),
            field=redact(f.field),
            planned=redact(f.planned),
            actual=redact(f.actual),
            fix=redact(f.fix),
        )

    def check(c: Check) -> Check:
        return dataclasses.replace(
            c,
            description=redact(c.description),
            findings=tuple(finding(f) for f in c.findings),
            skipped_reason=None if c.skipped_reason is None else redact(c.skipped_reason),
        )

    return dataclasses.replace(
        result,
        checks=tuple(check(c) for c in result.checks),
        notes=tuple(redact(n) for n in result.notes),
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(result: AuditResult) -> str:
    return (
        f"{len(result.checks)} checks: {result.count(Result.PASSED)} passed, "
        f"{result.count(Result.FAILED)} failed, {result.count(Result.WARNED)} with warnings, "
        f"{result.count(Result.SKIPPED)} not checked; "
        f"{_plural(len(result.errors), 'error')}, {_plural(len(result.warnings), 'warning')}"
    )


def render_terminal(result: AuditResult) -> Group:
    """Findings first (what to fix), then every check with its status."""
    parts: list[Any] = [
        Text(
            f"B2 audit of stack {result.stack!r}, bucket {result.bucket!r} "
            f"(observed {result.observed_at})",
            style="bold",
        )
    ]
    if result.findings:
        findings = Table(title="findings", title_justify="left", show_lines=True)
        for column in ("severity", "check", "difference and what to do"):
            findings.add_column(column, overflow="fold")
        for f in sorted(result.findings, key=lambda f: f.severity is not Severity.ERROR):
            style = "bold red" if f.severity is Severity.ERROR else "yellow"
            detail = Text.assemble(
                (f.summary, "bold"),
                f"\nfield:   {f.field}\nplanned: {f.planned}\nactual:  {f.actual}\n",
                ("what to do: ", "bold"),
                f.fix,
            )
            findings.add_row(Text(f.severity.value, style=style), Text(f.check), detail)
        parts.append(findings)
    checks = Table(title="checks", title_justify="left")
    for column in ("status", "check", "what was checked / why not"):
        checks.add_column(column, overflow="fold")
    for c in result.checks:
        label, style = STATUS_STYLE[c.status]
        detail = c.description if c.skipped_reason is None else c.skipped_reason
        checks.add_row(Text(label, style=style), Text(c.check_id), Text(detail))
    parts.append(checks)
    parts.extend(Text(f"note: {n}", style="dim") for n in result.notes)
    verdict = (
        Text("FINDINGS: the bucket or its keys differ from the plan", style="bold red")
        if result.errors
        else Text("OK: no errors", style="bold green")
    )
    parts.append(Text.assemble(verdict, " - ", summary_line(result)))
    return Group(*parts)


def print_terminal(result: AuditResult, console: Console) -> None:
    console.print(render_terminal(result))


def _finding_json(f: Finding) -> dict[str, str]:
    return {
        "check": f.check,
        "severity": f.severity.value,
        "summary": f.summary,
        "field": f.field,
        "planned": f.planned,
        "actual": f.actual,
        "fix": f.fix,
    }


def to_json(result: AuditResult) -> dict[str, Any]:
    return {
        "stack": result.stack,
        "bucket": result.bucket,
        "observedAt": result.observed_at,
        "exitCode": result.exit_code,
        "summary": {
            "checks": len(result.checks),
            **{status.value: result.count(status) for status in AUDIT_RESULTS},
            "errors": len(result.errors),
            "warnings": len(result.warnings),
        },
        "findings": [_finding_json(f) for f in result.findings],
        "checks": [
            {
                "id": c.check_id,
                "description": c.description,
                "status": c.status.value,
                "skippedReason": c.skipped_reason,
                "findings": [_finding_json(f) for f in c.findings],
            }
            for c in result.checks
        ],
        "notes": list(result.notes),
    }


def json_text(result: AuditResult) -> str:
    return json.dumps(to_json(result), indent=2) + "\n"


def _finding_text(f: Finding) -> str:
    return (
        f"{f.severity.value.upper()}: {f.summary}\n  field:   {f.field}\n  planned: {f.planned}\n"
        f"  actual:  {f.actual}\n  fix:     {f.fix}"
    )


def junit_text(result: AuditResult) -> str:
    """One testcase per check; warnings-only checks pass and carry the warning in system-out."""
    suite = ET.Element(
        "testsuite",
        name=f"b2-audit.{result.stack}",
        tests=str(len(result.checks)),
        failures=str(result.count(Result.FAILED)),
        errors="0",
        skipped=str(result.count(Result.SKIPPED)),
        timestamp=result.observed_at,
    )
    for c in result.checks:
        group, _, name = c.check_id.rpartition(".")
        case = ET.SubElement(
            suite, "testcase", classname=f"b2-audit.{result.stack}.{group}", name=name
        )
        if c.status is Result.SKIPPED:
            ET.SubElement(case, "skipped", message=c.skipped_reason or "")
        elif c.status is Result.FAILED:
            errors = [f for f in c.findings if f.severity is Severity.ERROR]
            failure = ET.SubElement(
                case, "failure", message="; ".join(f.summary for f in errors), type="error"
            )
            failure.text = "\n".join(_finding_text(f) for f in c.findings)
        elif c.status is Result.WARNED:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(_finding_text(f) for f in c.findings)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
