"""What the rehearsal shows: per step the changes in order, what B2 holds, the audit's verdict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from infra.deploy.rehearsal import Rehearsal, StepResult


def _days(rule: Mapping[str, Any]) -> str:
    parts = [
        ("hide", rule.get("daysFromUploadingToHiding")),
        ("delete hidden", rule.get("daysFromHidingToDeleting")),
        ("cancel unfinished", rule.get("daysFromStartingToCancelingUnfinishedLargeFiles")),
    ]
    return ", ".join(f"{label} {days} d" for label, days in parts if days is not None)


def _lock(bucket: Mapping[str, Any]) -> str:
    value = (bucket.get("fileLockConfiguration") or {}).get("value") or {}
    if not value.get("isFileLockEnabled"):
        return "off"
    retention = value.get("defaultRetention") or {}
    period = retention.get("period") or {}
    if not retention.get("mode") or not period:
        return "on, no default retention"
    return f"on, {retention['mode']} {period.get('duration')} {period.get('unit')}"


def holdings_table(holdings: Mapping[str, Any]) -> Group:
    """The bucket(s) and keys of the simulated account, in B2's terms."""
    buckets = Table(title="B2 holds: buckets", title_justify="left")
    for column in ("bucket", "type", "encryption", "object lock", "lifecycle", "CORS"):
        buckets.add_column(column, overflow="fold")
    for bucket in holdings["buckets"]:
        sse = (bucket.get("defaultServerSideEncryption") or {}).get("value") or {}
        buckets.add_row(
            bucket["bucketName"],
            bucket["bucketType"],
            f"{sse.get('mode')}/{sse.get('algorithm')}",
            _lock(bucket),
            "\n".join(
                f"{rule['fileNamePrefix']!r}: {_days(rule)}"
                for rule in bucket.get("lifecycleRules") or []
            )
            or "-",
            ", ".join(rule["corsRuleName"] for rule in bucket.get("corsRules") or []) or "-",
        )
    keys = Table(title="B2 holds: application keys", title_justify="left")
    for column in ("key name", "bucket", "prefix", "expires", "capabilities"):
        keys.add_column(column, overflow="fold", no_wrap=column != "capabilities")
    names = {b["bucketId"]: b["bucketName"] for b in holdings["buckets"]}
    for key in holdings["keys"]:
        keys.add_row(
            key["keyName"],
            ", ".join(names.get(i, i) for i in key["bucketIds"]) or "(all buckets)",
            key["namePrefix"] or "(whole bucket)",
            "yes" if key["expirationTimestamp"] else "never",
            ", ".join(key["capabilities"]),
        )
    return Group(buckets, keys)


def _verdict(step: StepResult) -> Text:
    if step.expected_refusal:
        if step.error is None:
            return Text("NOT REFUSED: the program planned it", style="bold red")
        unchanged = "B2 unchanged" if step.unchanged else "B2 CHANGED"
        return Text(
            f"refused as it must be; {unchanged}", style="green" if step.unchanged else "red"
        )
    if step.error is not None:
        return Text("FAILED: the program stopped", style="bold red")
    audit = step.audit
    passed = sum(1 for c in audit.checks if c.status.value == "passed")
    if audit.errors:
        return Text(
            f"DOES NOT MATCH the plan: {len(audit.errors)} audit error(s), {passed} checks passed",
            style="bold red",
        )
    return Text(f"matches the plan: {passed} audit checks passed, 0 failed", style="green")


def render_rehearsal(rehearsal: Rehearsal) -> Group:
    parts: list[Any] = []
    for number, step in enumerate(rehearsal.steps, start=1):
        parts.append(
            Text(f"\n{number}. {step.name} ({step.change}): ", style="bold") + _verdict(step)
        )
        for event in step.events:
            parts.append(Text(f"   - {event}"))
        if step.error is not None:
            parts.append(Text(f"   program: {step.error}", style="yellow"))
        if number == 1 and step.error is None:
            parts.append(holdings_table(step.holdings))
        if step.audit is not None:
            for finding in step.audit.errors:
                parts.append(
                    Text(
                        f"   {finding.field}: planned {finding.planned}, B2 has {finding.actual}",
                        style="red",
                    )
                )
    good = sum(step.as_expected for step in rehearsal.steps)
    parts.append(
        Text(
            f"\nrehearsal of stack {rehearsal.stack!r}: {good} of {len(rehearsal.steps)} steps "
            "as expected",
            style="bold green" if rehearsal.as_expected else "bold red",
        )
    )
    return Group(*parts)
