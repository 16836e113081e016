"""Human-readable rendering of a plan (it holds no secrets, only names and settings)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from infra.core.deployer import deployer_capabilities
from infra.core.expectations import expectations_for
from infra.core.plan_model import StackPlan


def _days(value: int | None) -> str:
    return "-" if value is None else f"{value} d"


def render_plan(plan: StackPlan) -> Group:
    lock = plan.object_lock
    retention = (
        f"{lock.mode}, {lock.period.duration} {lock.period.unit}"
        if lock.default_retention_active and lock.period
        else "no default retention"
    )
    bucket = plan.bucket
    encryption = (
        f"{bucket.encryption.mode}/{bucket.encryption.algorithm}"
        if bucket.encryption
        else "no default encryption"
    )
    summary = Table.grid(padding=(0, 2))
    summary.add_row("stack", f"{plan.project} / {plan.stack}")
    summary.add_row("endpoint", plan.endpoint)
    summary.add_row(
        "bucket",
        f"{bucket.name}{' + random suffix' if bucket.random_suffix else ''} "
        f"({bucket.bucket_type}, {encryption}{', protected' if bucket.protect else ''})",
    )
    summary.add_row("object lock", f"enabled, {retention}" if lock.enabled else "disabled")
    summary.add_row(
        "provider credentials",
        "from stack config (b2:applicationKeyId / b2:applicationKey)"
        if plan.provider_credentials_in_config
        else "from B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY",
    )

    lifecycle = Table(title="lifecycle rules", title_justify="left")
    for column in ("prefix", "hide after", "delete hidden after", "cancel unfinished after"):
        lifecycle.add_column(column)
    for rule in plan.lifecycle:
        lifecycle.add_row(
            repr(rule.file_name_prefix),
            _days(rule.days_from_uploading_to_hiding),
            _days(rule.days_from_hiding_to_deleting),
            _days(rule.days_from_starting_to_canceling_unfinished_large_files),
        )

    keys = Table(
        title="application keys (one per role, scoped to the bucket)", title_justify="left"
    )
    keys.add_column("role", no_wrap=True)
    keys.add_column("key name", no_wrap=True)
    keys.add_column("prefix", no_wrap=True)
    keys.add_column("valid", no_wrap=True)
    keys.add_column("capabilities", overflow="fold")
    for key in plan.keys:
        keys.add_row(
            key.role,
            key.key_name,
            key.name_prefix or "(whole bucket)",
            _days(key.valid_duration_seconds // 86_400 if key.valid_duration_seconds else None),
            ", ".join(key.capabilities),
        )
    matrix = Table(
        title="what each key must be allowed (yes) or refused (no) over S3", title_justify="left"
    )
    matrix.add_column("operation", no_wrap=True)
    tables = {key.role: expectations_for(plan, key.role) for key in plan.keys}
    for role in tables:
        matrix.add_column(role, justify="center", no_wrap=True)
    names = list(dict.fromkeys(e.name for table in tables.values() for e in table))
    for name in names:
        cells = []
        for table in tables.values():
            found = [e for e in table if e.name == name]
            cells.append(("yes" if found[0].allowed else "no") if found else "-")
        matrix.add_row(name, *cells)
    deployer = Table(
        title="the deploying key (B2_APPLICATION_KEY_ID or b2:applicationKeyId) needs",
        title_justify="left",
    )
    deployer.add_column("capability", no_wrap=True)
    deployer.add_column("why", overflow="fold")
    for capability in deployer_capabilities(plan):
        deployer.add_row(capability.name, capability.why)
    parts: list = [summary, lifecycle, keys, matrix, deployer]
    targets = [
        f"GitHub {t.repository} env {t.environment}: {', '.join(t.roles)}"
        for t in plan.ci_secrets.github
    ]
    targets += [
        f"GitLab {t.project} scope {t.environment_scope}: {', '.join(t.roles)}"
        for t in plan.ci_secrets.gitlab
    ]
    if targets:
        parts.append(Text("CI secrets: " + "; ".join(targets)))
    return Group(*parts)
