"""The prod stack: lock, lifecycle and versioning read back as planned; locked data stays."""

from __future__ import annotations

import datetime as dt

import pytest

from infra.core.expectations import OBJECT_LOCK, expectations_for, probe_prefix
from infra.core.stack_files import load_plan_for_stack
from tests.integration.expectation_probes import bucket_scoped_roles, mismatch, names_for
from tests.integration.support import Running, assert_allowed, assert_denied

PLAN = load_plan_for_stack("prod")


def test_object_lock_configuration_is_as_planned(prod_running: Running) -> None:
    lock = PLAN.object_lock
    assert lock.default_retention_active
    assert lock.mode is not None
    assert lock.period is not None
    config = prod_running.client().get_object_lock_configuration(
        Bucket=prod_running.deployment.bucket
    )["ObjectLockConfiguration"]
    assert config["ObjectLockEnabled"] == "Enabled"
    retention = config["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == (lock.mode.upper(), lock.period.days)


def test_versioning_is_enabled(prod_running: Running) -> None:
    status = prod_running.client().get_bucket_versioning(Bucket=prod_running.deployment.bucket)
    assert status.get("Status") == "Enabled"


def test_lifecycle_rules_are_as_planned(prod_running: Running) -> None:
    rules = prod_running.client().get_bucket_lifecycle_configuration(
        Bucket=prod_running.deployment.bucket
    )["Rules"]
    by_prefix = {r["Filter"]["Prefix"]: r for r in rules}
    assert set(by_prefix) == {r.file_name_prefix for r in PLAN.lifecycle}
    for planned in PLAN.lifecycle:
        rule = by_prefix[planned.file_name_prefix]
        assert rule["Status"] == "Enabled"
        assert rule.get("Expiration", {}).get("Days") == planned.days_from_uploading_to_hiding
        assert (
            rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
            == planned.days_from_hiding_to_deleting
        )
        assert (
            rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation")
            == planned.days_from_starting_to_canceling_unfinished_large_files
        )


def test_locked_versions_refuse_deletion(prod_running: Running) -> None:
    """OBJECT_LOCK: a role holding deleteFiles still cannot delete a retained version."""
    deployment = prod_running.deployment
    assert OBJECT_LOCK not in deployment.unenforced
    role = next(k.role for k in PLAN.keys if k.can("deleteFiles"))
    client = prod_running.client(role)
    key = f"{probe_prefix(PLAN.key(role))}it-lock/probe.txt"
    version = client.put_object(Bucket=deployment.bucket, Key=key, Body=b"x")["VersionId"]
    head = client.head_object(Bucket=deployment.bucket, Key=key, VersionId=version)
    assert PLAN.object_lock.mode is not None
    assert PLAN.object_lock.period is not None
    assert head["ObjectLockMode"] == PLAN.object_lock.mode.upper()
    until = head["ObjectLockRetainUntilDate"]
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(days=PLAN.object_lock.period.days)
    assert abs((until - expected).total_seconds()) < 3600
    assert_denied(
        lambda: client.delete_object(Bucket=deployment.bucket, Key=key, VersionId=version),
        "deleting a locked version",
    )
    assert_denied(
        lambda: client.delete_object(
            Bucket=deployment.bucket, Key=key, VersionId=version, BypassGovernanceRetention=True
        ),
        "deleting a locked version with the bypass header but without bypassGovernance",
    )
    marker = assert_allowed(
        lambda: client.delete_object(Bucket=deployment.bucket, Key=key), "hiding (delete marker)"
    )
    assert marker.get("DeleteMarker") is True


@pytest.mark.parametrize("role", bucket_scoped_roles(PLAN))
def test_role_matches_its_expectation_table(prod_running: Running, role: str) -> None:
    deployment = prod_running.deployment
    client = prod_running.client(role)
    names = names_for(PLAN.key(role), deployment.bucket, deployment.other_bucket)
    problems = []
    for row in expectations_for(PLAN, role):
        problem = mismatch(client, row, names, deployment.unenforced)
        if problem:
            problems.append(problem)
    assert problems == []
