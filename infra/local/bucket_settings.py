"""The plan's bucket settings in S3 terms (names, lifecycle, object lock). Pure."""

from __future__ import annotations

from typing import Any

from infra.core import b2_facts as b2
from infra.core.plan_model import LifecycleRulePlan, StackPlan

DECOY_TAG = "other"


def local_bucket_name(plan: StackPlan, token: str) -> str:
    """The plan's bucket name, lower-cased (S3 servers refuse capitals), plus `-token`
    when the plan asks for a random suffix."""
    name = plan.bucket.name.lower()
    return f"{name}-{token}" if plan.bucket.random_suffix else name


def decoy_bucket_name(bucket: str, token: str) -> str:
    """A bucket next to the plan's one that no role may reach."""
    room = b2.BUCKET_NAME_MAX - len(DECOY_TAG) - len(token) - 2
    return f"{bucket[:room].rstrip('-')}-{DECOY_TAG}-{token}"


def _rule_id(index: int, rule: LifecycleRulePlan) -> str:
    return f"b2-rule-{index}-{rule.file_name_prefix or 'whole-bucket'}"


def lifecycle_rule(index: int, rule: LifecycleRulePlan) -> dict[str, Any]:
    """One B2 lifecycle rule as an S3 rule filtered by its prefix.

    hide after N days -> Expiration (the current version becomes non-current);
    delete hidden after N days -> NoncurrentVersionExpiration;
    cancel unfinished large files after N days -> AbortIncompleteMultipartUpload.
    """
    s3_rule: dict[str, Any] = {
        "ID": _rule_id(index, rule),
        "Status": "Enabled",
        "Filter": {"Prefix": rule.file_name_prefix},
    }
    if rule.days_from_uploading_to_hiding is not None:
        s3_rule["Expiration"] = {"Days": rule.days_from_uploading_to_hiding}
    if rule.days_from_hiding_to_deleting is not None:
        s3_rule["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule.days_from_hiding_to_deleting
        }
    if rule.days_from_starting_to_canceling_unfinished_large_files is not None:
        s3_rule["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule.days_from_starting_to_canceling_unfinished_large_files
        }
    return s3_rule


def lifecycle_configuration(plan: StackPlan) -> dict[str, Any] | None:
    """The S3 LifecycleConfiguration for the plan's rules, or None without rules."""
    if not plan.lifecycle:
        return None
    return {"Rules": [lifecycle_rule(i, rule) for i, rule in enumerate(plan.lifecycle)]}


def object_lock_configuration(plan: StackPlan) -> dict[str, Any] | None:
    """The S3 ObjectLockConfiguration with the default retention, or None without one."""
    lock = plan.object_lock
    if not lock.default_retention_active:
        return None
    assert lock.mode is not None
    assert lock.period is not None
    return {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": lock.mode.upper(), "Days": lock.period.days}},
    }
