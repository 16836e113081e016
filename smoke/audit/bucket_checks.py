"""Checks of the bucket: existence, type, lifecycle, encryption, file lock, CORS, tags."""

from __future__ import annotations

from infra.core import b2_facts as b2
from infra.core.plan_model import LifecycleRulePlan, StackPlan
from infra.core.problems import field_path
from smoke.audit.findings import CheckList, Finding, Severity
from smoke.audit.observed import (
    BucketAbsent,
    ObservedBucket,
    ObservedCorsRule,
    ObservedFileLock,
    ObservedLifecycleRule,
    ObservedState,
    Unreadable,
)
from smoke.audit.wording import NONE, days_text

ERROR, WARNING = Severity.ERROR, Severity.WARNING

LIFECYCLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("days_from_uploading_to_hiding", "daysFromUploadingToHiding"),
    ("days_from_hiding_to_deleting", "daysFromHidingToDeleting"),
    (
        "days_from_starting_to_canceling_unfinished_large_files",
        "daysFromStartingToCancelingUnfinishedLargeFiles",
    ),
)
CORS_FIELDS: tuple[tuple[str, str], ...] = (
    ("allowed_origins", "allowedOrigins"),
    ("allowed_operations", "allowedOperations"),
    ("allowed_headers", "allowedHeaders"),
    ("expose_headers", "exposeHeaders"),
    ("max_age_seconds", "maxAgeSeconds"),
)


def _rule_id(prefix: str) -> str:
    return f"bucket.lifecycle.{prefix or '(whole bucket)'}"


UNPLANNED_RULES_DESCRIPTION = (
    "no lifecycle rule beyond the plan (an extra rule can hide or delete data)"
)


def _rule_description(prefix: str) -> str:
    return f"lifecycle rule for prefix {prefix!r} is as planned"


def _lifecycle_checks(out: CheckList, plan: StackPlan, bucket: ObservedBucket) -> None:
    observed = {r.file_name_prefix: r for r in bucket.lifecycle}
    fix = (
        "run `pulumi up` to restore the planned lifecycle rules (or change "
        f"{field_path('lifecycle')} if the new rule is intended)"
    )
    for rule in plan.lifecycle:
        check = _rule_id(rule.file_name_prefix)
        text = _rule_description(rule.file_name_prefix)
        actual = observed.get(rule.file_name_prefix)
        if actual is None:
            out.add(
                check,
                text,
                [
                    Finding(
                        check,
                        ERROR,
                        "lifecycle rule missing",
                        f"lifecycleRules[{rule.file_name_prefix!r}]",
                        _rule_text(rule),
                        "(no rule for this prefix)",
                        fix,
                    )
                ],
            )
            continue
        out.add(check, text, _rule_findings(check, rule, actual, fix))
    unplanned = [
        r for p, r in observed.items() if p not in {x.file_name_prefix for x in plan.lifecycle}
    ]
    out.add(
        "bucket.lifecycle.unplanned",
        UNPLANNED_RULES_DESCRIPTION,
        [
            Finding(
                "bucket.lifecycle.unplanned",
                ERROR,
                "unplanned lifecycle rule",
                f"lifecycleRules[{r.file_name_prefix!r}]",
                "(no rule for this prefix)",
                _rule_text(r),
                "remove it with `pulumi up` (it would hide or delete files under that prefix), "
                f"or add it to {field_path('lifecycle')}",
            )
            for r in unplanned
        ],
    )


def _rule_text(rule: LifecycleRulePlan | ObservedLifecycleRule) -> str:
    return ", ".join(
        f"{b2_name}={getattr(rule, name)}"
        for name, b2_name in LIFECYCLE_FIELDS
        if getattr(rule, name) is not None
    )


def _rule_findings(
    check: str, rule: LifecycleRulePlan, actual: ObservedLifecycleRule, fix: str
) -> list[Finding]:
    return [
        Finding(
            check,
            ERROR,
            "lifecycle rule changed",
            f"lifecycleRules[{rule.file_name_prefix!r}].{b2_name}",
            days_text(getattr(rule, name)),
            days_text(getattr(actual, name)),
            fix,
        )
        for name, b2_name in LIFECYCLE_FIELDS
        if getattr(rule, name) != getattr(actual, name)
    ]


def _type_findings(plan: StackPlan, bucket: ObservedBucket) -> list[Finding]:
    planned, actual = plan.bucket.bucket_type, bucket.bucket_type
    if planned == actual:
        return []
    public = actual == "allPublic"
    return [
        Finding(
            "bucket.type",
            ERROR,
            "bucket made public: anyone can download its files"
            if public
            else "bucket type changed",
            "bucketType",
            planned,
            actual,
            f"run `pulumi up` to make it {planned} again"
            + (
                f"; if public media is intended, set {field_path('bucket', ('public',))}: true"
                if public
                else ""
            ),
        )
    ]


def _encryption_findings(plan: StackPlan, bucket: ObservedBucket) -> list[Finding]:
    assert not isinstance(bucket.encryption, Unreadable)
    planned = plan.bucket.encryption
    planned_mode = planned.mode if planned else "none"
    planned_algorithm = planned.algorithm if planned else None
    actual = bucket.encryption
    planned_text = f"{planned_mode}/{planned_algorithm}" if planned_algorithm else planned_mode
    actual_text = f"{actual.mode}/{actual.algorithm}" if actual.algorithm else actual.mode
    if (planned_mode, planned_algorithm) == (actual.mode, actual.algorithm):
        return []
    off = actual.mode == "none"
    return [
        Finding(
            "bucket.encryption",
            ERROR,
            "default encryption off" if off else "default encryption differs from the plan",
            "defaultServerSideEncryption",
            planned_text,
            actual_text,
            "run `pulumi up` to restore the bucket's default encryption"
            + (
                "; files uploaded while it was off stay unencrypted until copied in place"
                if off
                else f", or set {field_path('bucket', ('encryption',))} to match"
            ),
        )
    ]


def _lock_findings(plan: StackPlan, lock: ObservedFileLock) -> list[Finding]:
    planned = plan.object_lock.enabled
    if planned == lock.enabled:
        return []
    if planned:
        return [
            Finding(
                "bucket.file-lock",
                ERROR,
                "file lock off",
                "fileLockConfiguration.isFileLockEnabled",
                "true",
                "false",
                "enable it on the existing bucket (B2 allows this once, through "
                "b2_update_bucket or `b2 bucket update --file-lock-enabled`); never let the "
                "provider replace the bucket for it. Then run `pulumi refresh` and `pulumi up`",
            )
        ]
    return [
        Finding(
            "bucket.file-lock",
            WARNING,
            "file lock on although the plan has it off",
            "fileLockConfiguration.isFileLockEnabled",
            "false",
            "true",
            "file lock can never be turned off again: set "
            f"{field_path('objectLock', ('enabled',))}: true so the plan matches the bucket",
        )
    ]


def _period_days(duration: int, unit: str) -> int:
    return duration * (b2.DAYS_PER_YEAR if unit == "years" else 1)


def _retention_text(mode: str | None, duration: int | None, unit: str | None) -> str:
    return NONE if mode is None else f"{mode}, {duration} {unit}"


def _retention_findings(plan: StackPlan, lock: ObservedFileLock) -> list[Finding]:
    wanted = plan.object_lock
    period = wanted.period if wanted.default_retention_active else None
    planned_mode = wanted.mode if period else None
    planned_text = _retention_text(
        planned_mode, *((period.duration, period.unit) if period else (None, None))
    )
    actual_mode = lock.mode or None
    actual_text = _retention_text(actual_mode, lock.duration, lock.unit)
    if planned_text == actual_text:
        return []
    config = field_path("objectLock")
    restore = (
        "run `pulumi up` to restore the planned default retention; files uploaded meanwhile "
        "keep the retention they got (extend it per file if needed)"
    )
    severity, fix = ERROR, restore
    if planned_mode is None:
        summary = "unplanned default retention: new files are locked"
        fix = f"remove the default retention with `pulumi up`, or add it to {config}"
    elif actual_mode is None:
        summary = "default retention off: new files are not locked"
    elif planned_mode != actual_mode:
        summary = "retention mode differs from the plan"
    else:
        assert period is not None
        actual_days = _period_days(lock.duration or 0, lock.unit or "days")
        if actual_days < period.days:
            summary = "retention shortened"
        elif actual_days > period.days:
            summary = "retention lengthened: files stay locked (and billed) longer"
        else:
            severity, summary = WARNING, "retention period given in other units"
            fix = f"B2 counts years by the calendar: align {config} with the bucket"
    return [
        Finding(
            "bucket.default-retention",
            severity,
            summary,
            "fileLockConfiguration.defaultRetention",
            planned_text,
            actual_text,
            fix,
        )
    ]


def _cors_value(rule: object, name: str) -> object:
    value = getattr(rule, name)
    return tuple(sorted(value)) if isinstance(value, tuple) else value


def _cors_findings(plan: StackPlan, bucket: ObservedBucket) -> list[Finding]:
    check = "bucket.cors"
    planned = {r.cors_rule_name: r for r in plan.bucket.cors}
    observed: dict[str, ObservedCorsRule] = {r.cors_rule_name: r for r in bucket.cors}
    fix = f"run `pulumi up` to restore the CORS rules, or change {field_path('bucket', ('cors',))}"
    found = []
    for name, rule in planned.items():
        actual = observed.get(name)
        if actual is None:
            found.append(
                Finding(
                    check,
                    ERROR,
                    "CORS rule missing",
                    f"corsRules[{name!r}]",
                    "present",
                    "(absent)",
                    fix,
                )
            )
            continue
        for attr, b2_name in CORS_FIELDS:
            want, got = _cors_value(rule, attr), _cors_value(actual, attr)
            if want != got:
                found.append(
                    Finding(
                        check,
                        ERROR,
                        "CORS rule changed",
                        f"corsRules[{name!r}].{b2_name}",
                        str(want),
                        str(got),
                        fix,
                    )
                )
    for name in observed.keys() - planned.keys():
        rule = observed[name]
        found.append(
            Finding(
                check,
                ERROR,
                "unplanned CORS rule: opens cross-origin access",
                f"corsRules[{name!r}]",
                "(absent)",
                f"origins {', '.join(rule.allowed_origins)}; "
                f"operations {', '.join(rule.allowed_operations)}",
                fix,
            )
        )
    return found


def _info_findings(plan: StackPlan, bucket: ObservedBucket) -> list[Finding]:
    actual = dict(bucket.bucket_info)
    return [
        Finding(
            "bucket.info",
            WARNING,
            "bucket info tag drifted",
            f"bucketInfo[{name!r}]",
            repr(value),
            repr(actual[name]) if name in actual else "(absent)",
            "run `pulumi up` to restore the tags the audit and the team use to find the owner",
        )
        for name, value in plan.bucket.bucket_info
        if actual.get(name) != value
    ]


BUCKET_CHECKS: tuple[tuple[str, str], ...] = (
    ("bucket.type", "bucket type (private/public) is as planned"),
    ("bucket.encryption", "default server-side encryption is as planned"),
    ("bucket.file-lock", "file lock enabled state is as planned"),
    ("bucket.default-retention", "default retention mode and period are as planned"),
    ("bucket.cors", "CORS rules are exactly the planned ones"),
    ("bucket.info", "bucket info tags are as planned"),
)


def bucket_checks(out: CheckList, plan: StackPlan, state: ObservedState) -> None:
    bucket = state.bucket
    descriptions = dict(BUCKET_CHECKS)
    descriptions |= {
        _rule_id(r.file_name_prefix): _rule_description(r.file_name_prefix) for r in plan.lifecycle
    }
    descriptions["bucket.lifecycle.unplanned"] = UNPLANNED_RULES_DESCRIPTION
    later = [
        "bucket.type",
        *(_rule_id(r.file_name_prefix) for r in plan.lifecycle),
        "bucket.lifecycle.unplanned",
        *(c for c, _ in BUCKET_CHECKS[1:]),
    ]
    if isinstance(bucket, Unreadable):
        out.skip("bucket.exists", f"bucket {state.bucket_name!r} exists", bucket.reason)
        for check in later:
            out.skip(check, descriptions[check], bucket.reason)
        return
    if isinstance(bucket, BucketAbsent):
        out.add(
            "bucket.exists",
            f"bucket {state.bucket_name!r} exists",
            [
                Finding(
                    "bucket.exists",
                    ERROR,
                    "bucket missing",
                    "bucketName",
                    repr(state.bucket_name),
                    f"(not found, looked with {bucket.looked_with})",
                    "check the name (give --bucket for stacks with a random suffix); if it was "
                    "deleted, run `pulumi refresh` and `pulumi up` and restore the data",
                )
            ],
        )
        for check in later:
            out.skip(check, descriptions[check], "the bucket does not exist")
        return
    out.add("bucket.exists", f"bucket {state.bucket_name!r} exists")
    out.add("bucket.type", descriptions["bucket.type"], _type_findings(plan, bucket))
    _lifecycle_checks(out, plan, bucket)
    if isinstance(bucket.encryption, Unreadable):
        out.skip("bucket.encryption", descriptions["bucket.encryption"], bucket.encryption.reason)
    else:
        out.add(
            "bucket.encryption",
            descriptions["bucket.encryption"],
            _encryption_findings(plan, bucket),
        )
    if isinstance(bucket.file_lock, Unreadable):
        for check in ("bucket.file-lock", "bucket.default-retention"):
            out.skip(check, descriptions[check], bucket.file_lock.reason)
    else:
        out.add(
            "bucket.file-lock",
            descriptions["bucket.file-lock"],
            _lock_findings(plan, bucket.file_lock),
        )
        out.add(
            "bucket.default-retention",
            descriptions["bucket.default-retention"],
            _retention_findings(plan, bucket.file_lock),
        )
    out.add("bucket.cors", descriptions["bucket.cors"], _cors_findings(plan, bucket))
    out.add("bucket.info", descriptions["bucket.info"], _info_findings(plan, bucket))
