"""Check results, the summary table and the JSON report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from smoke.capability_report import CapabilityLine
from smoke.verdicts import SMOKE_RESULTS, Result

STYLE = {
    Result.PASSED: "green",
    Result.FAILED: "bold red",
    Result.NOT_VERIFIABLE: "yellow",
    Result.NOT_RUN: "dim",
}
NOT_VERIFIABLE_PREFIX = "not verifiable: "
NOT_RUN_PREFIX = "not run: "


@dataclass
class CheckResult:
    name: str
    result: Result
    seconds: float
    message: str
    note: bool = False  # a passed check explaining itself


def result_from_skip_reason(reason: str) -> tuple[Result, str]:
    reason = reason.removeprefix("Skipped: ")
    if reason.startswith(NOT_VERIFIABLE_PREFIX):
        return Result.NOT_VERIFIABLE, reason[len(NOT_VERIFIABLE_PREFIX) :]
    return Result.NOT_RUN, reason.removeprefix(NOT_RUN_PREFIX)


def print_progress(console: Console, check: CheckResult) -> None:
    label = check.result.value.upper()
    console.print(
        f"[{STYLE[check.result]}]{label:>14}[/] {check.seconds:6.2f}s  {check.name}",
        highlight=False,
    )
    if check.message and (check.result is not Result.PASSED or check.note):
        console.print(f"{'':>24}{check.message}", highlight=False, markup=False)


def counts(results: list[CheckResult]) -> dict[str, int]:
    return {r.value: sum(1 for c in results if c.result is r) for r in SMOKE_RESULTS}


def print_summary(console: Console, results: list[CheckResult], facts: dict[str, Any]) -> None:
    table = Table(title="smoke summary", title_justify="left")
    table.add_column("result")
    table.add_column("checks", justify="right")
    for result, number in counts(results).items():
        if number:
            table.add_row(f"[{STYLE[Result(result)]}]{result}[/]", str(number))
    console.print(table)
    details = Table.grid(padding=(0, 2))
    for name, value in facts.items():
        details.add_row(name, str(value))
    console.print(details)
    c = counts(results)
    console.print(
        f"{c['passed']} passed, {c['failed']} failed, {c['not verifiable']} not verifiable, "
        f"{c['not run']} not run",
        highlight=False,
    )


def print_capabilities(console: Console, lines: list[CapabilityLine]) -> None:
    """One compact line per capability: planned, what was tried and answered, the verdict."""
    table = Table(title="capabilities probed", title_justify="left", show_lines=False)
    for column in ("capability", "plan", "verdict", "operations tried: answer"):
        table.add_column(column, overflow="fold")
    for line in lines:
        verdict = line.status
        table.add_row(
            line.capability,
            "held" if line.held else "-",
            f"[{STYLE[verdict]}]{verdict.value}[/]",
            line.compact(),
        )
    console.print(table)


def write_json(
    path: Path,
    results: list[CheckResult],
    facts: dict[str, Any],
    exit_code: int,
    capabilities: list[CapabilityLine] | None = None,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "exit_code": exit_code,
        "counts": counts(results),
        "facts": facts,
        "checks": [{**asdict(r), "result": r.result.value} for r in results],
        "capabilities": [line.as_json() for line in capabilities or []],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
