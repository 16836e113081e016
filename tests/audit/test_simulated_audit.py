"""The audit end to end against b2sdk's simulator: a clean stack, then one test per drift."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from b2sdk.v3 import SSE_NONE

from infra.core import b2_facts as b2
from infra.core.exit_codes import ExitCode
from smoke.audit.simulated_account import World, default_retention, lifecycle_rules
from tests.audit.conftest import Run

STACKS = ("dev", "prod")


def _one(run: Run, check: str, summary: str, severity: str = "error") -> dict[str, str]:
    """The single finding of `check`, asserted to say `summary` with `severity`."""
    found = run.findings(check)
    assert len(found) == 1, (check, run.report and run.report["findings"])
    finding = found[0]
    assert summary in finding["summary"], finding
    assert finding["severity"] == severity
    for part in ("field", "planned", "actual", "fix"):
        assert finding[part], (part, finding)
    return finding


def _testcase(run: Run, check: str):
    assert run.junit is not None
    group, _, name = check.rpartition(".")
    for case in run.junit.iter("testcase"):
        if case.get("name") == name and case.get("classname", "").endswith("." + group):
            return case
    raise AssertionError(f"no testcase for {check}")


@pytest.mark.parametrize("stack", STACKS)
def test_planned_state_audits_clean(world: Callable[[str], World], run_audit, stack: str) -> None:
    w = world(stack).provision()
    run = run_audit(w)
    assert run.code == ExitCode.OK, run.out
    assert run.report is not None
    assert run.report["findings"] == []
    statuses = {c["id"]: c["status"] for c in run.report["checks"]}
    assert set(statuses.values()) == {"passed"}, statuses
    for role in w.plan.roles:
        for part in ("authorise", "capabilities", "bucket", "name-prefix", "identity", "expiry"):
            assert statuses[f"key.{role}.{part}"] == "passed"
        assert statuses[f"account.planned-key.{role}"] == "passed"
    for rule in w.plan.lifecycle:
        assert statuses[f"bucket.lifecycle.{rule.file_name_prefix}"] == "passed"
    # JUnit: one testcase per check, nothing failed or skipped
    suite = run.junit.find("testsuite")
    assert suite is not None
    assert int(suite.get("tests")) == len(statuses) == len(list(suite.iter("testcase")))
    assert suite.get("failures") == "0"
    assert suite.get("skipped") == "0"
    assert "OK: no errors" in run.out


@pytest.mark.parametrize("stack", STACKS)
def test_without_account_key_unobservable_checks_are_skipped_not_passed(
    world: Callable[[str], World], run_audit, stack: str
) -> None:
    w = world(stack).provision()
    run = run_audit(w, env=w.env(account=False))
    assert run.code == ExitCode.OK
    for role in w.plan.roles:
        assert run.status(f"key.{role}.capabilities") == "passed"
        assert run.status(f"key.{role}.expiry") == "skipped"
        assert run.status(f"key.{role}.identity") == "skipped"
        assert run.status(f"account.planned-key.{role}") == "skipped"
    assert run.status("account.unmanaged-access") == "skipped"
    can_read_encryption = any(k.can("readBucketEncryption") for k in w.plan.keys)
    assert run.status("bucket.encryption") == ("passed" if can_read_encryption else "skipped")
    can_read_lock = any(k.can("readBucketRetentions") for k in w.plan.keys)
    assert run.status("bucket.file-lock") == ("passed" if can_read_lock else "skipped")
    skipped = [c for c in run.report["checks"] if c["status"] == "skipped"]
    assert all("B2_APPLICATION_KEY_ID" in c["skippedReason"] for c in skipped), skipped
    suite = run.junit.find("testsuite")
    assert int(suite.get("skipped")) == len(skipped) > 0
    assert "not checked" in run.out


def _spare_capability(capabilities: tuple[str, ...]) -> str:
    """A bucket-level capability the plan does not grant (derived, never typed)."""
    return next(
        c
        for c in b2.CAPABILITIES
        if c not in capabilities and c not in b2.ACCOUNT_LEVEL_CAPABILITIES
    )


def test_extra_capability_is_over_privileged(world, run_audit) -> None:
    w = world("dev")
    planned = w.plan.key("app").capabilities
    extra = _spare_capability(planned)
    w.provision(key_changes={"app": {"capabilities": (*planned, extra)}})
    run = run_audit(w)
    finding = _one(run, "key.app.capabilities", "over-privileged")
    assert extra in finding["summary"]
    assert extra in finding["actual"]
    assert extra not in finding["planned"]
    assert run.only_failing() == {"key.app.capabilities"}
    assert run.code == ExitCode.FAILED
    assert _testcase(run, "key.app.capabilities").find("failure") is not None


def test_missing_capability_is_under_privileged(world, run_audit) -> None:
    w = world("prod")
    planned = w.plan.key("smoke").capabilities
    dropped = planned[-1]
    w.provision(key_changes={"smoke": {"capabilities": planned[:-1]}})
    run = run_audit(w)
    finding = _one(run, "key.smoke.capabilities", "under-privileged")
    assert dropped in finding["summary"]
    assert run.only_failing() == {"key.smoke.capabilities"}
    assert run.code == ExitCode.FAILED


def test_key_restricted_to_another_bucket(world, run_audit) -> None:
    w = world("dev")
    w.provision()
    other = w.create_bucket(f"{w.plan.bucket.name}-other")
    w.create_role_key(w.plan.key("app"), bucket_ids=[other.id_])  # replaces the app credential
    run = run_audit(w)
    finding = _one(run, "key.app.bucket", "wrong bucket")
    assert other.name in finding["actual"]
    assert w.plan.bucket.name in finding["planned"]
    # the stray key also shares the planned name: the inventory notices the duplicate
    _one(run, "account.planned-key.app", "share the planned name", severity="warning")
    assert run.code == ExitCode.FAILED


def test_key_without_bucket_restriction(world, run_audit) -> None:
    w = world("dev").provision(key_changes={"smoke": {"bucket_ids": None}})
    run = run_audit(w)
    _one(run, "key.smoke.bucket", "not restricted to a bucket")
    assert run.code == ExitCode.FAILED


@pytest.mark.parametrize(
    ("make_prefix", "summary"),
    [
        (lambda planned: None, "no name prefix"),
        (lambda planned: planned.rstrip("/"), "broader than planned"),
        (lambda planned: "other/", "differs from the plan"),
    ],
    ids=["none", "no-trailing-slash", "other"],
)
def test_wrong_name_prefix(world, run_audit, make_prefix, summary: str) -> None:
    w = world("prod")
    planned = w.plan.key("readonly").name_prefix
    assert planned
    actual = make_prefix(planned)
    w.provision(key_changes={"readonly": {"name_prefix": actual}})
    run = run_audit(w)
    finding = _one(run, "key.readonly.name-prefix", summary)
    assert repr(planned) in finding["planned"]
    assert run.only_failing() == {"key.readonly.name-prefix"}
    assert run.code == ExitCode.FAILED


def test_lifecycle_rule_changed(world, run_audit) -> None:
    w = world("prod").provision()
    rules = lifecycle_rules(w.plan)
    changed = rules[0]
    changed["daysFromHidingToDeleting"] = (changed["daysFromHidingToDeleting"] or 0) + 5
    w.bucket.update(lifecycle_rules=rules)
    run = run_audit(w)
    check = f"bucket.lifecycle.{changed['fileNamePrefix']}"
    finding = _one(run, check, "lifecycle rule changed")
    assert finding["field"].endswith(".daysFromHidingToDeleting")
    assert finding["actual"] == f"{changed['daysFromHidingToDeleting']} days"
    assert run.only_failing() == {check}
    assert run.code == ExitCode.FAILED


def test_lifecycle_rule_missing(world, run_audit) -> None:
    w = world("dev").provision()
    rules = lifecycle_rules(w.plan)
    dropped = rules.pop()
    w.bucket.update(lifecycle_rules=rules)
    run = run_audit(w)
    check = f"bucket.lifecycle.{dropped['fileNamePrefix']}"
    _one(run, check, "lifecycle rule missing")
    assert run.only_failing() == {check}
    assert run.code == ExitCode.FAILED


def test_unplanned_lifecycle_rule(world, run_audit) -> None:
    w = world("dev").provision()
    rules = [
        *lifecycle_rules(w.plan),
        {"fileNamePrefix": "unplanned/", "daysFromUploadingToHiding": 1},
    ]
    w.bucket.update(lifecycle_rules=rules)
    run = run_audit(w)
    finding = _one(run, "bucket.lifecycle.unplanned", "unplanned lifecycle rule")
    assert "unplanned/" in finding["field"]
    assert run.code == ExitCode.FAILED


def test_file_lock_off(world, run_audit) -> None:
    w = world("prod")
    assert w.plan.object_lock.enabled
    w.provision(file_lock=False)
    run = run_audit(w)
    _one(run, "bucket.file-lock", "file lock off")
    _one(run, "bucket.default-retention", "default retention off")
    assert run.only_failing() == {"bucket.file-lock", "bucket.default-retention"}
    assert run.code == ExitCode.FAILED


def test_retention_shortened(world, run_audit) -> None:
    w = world("prod").provision()
    w.bucket.update(is_file_lock_enabled=True, default_retention=default_retention(w.plan, -1))
    run = run_audit(w)
    finding = _one(run, "bucket.default-retention", "retention shortened")
    period = w.plan.object_lock.period
    assert f"{period.duration - 1} {period.unit}" in finding["actual"]
    assert run.only_failing() == {"bucket.default-retention"}
    assert run.code == ExitCode.FAILED


def test_encryption_off(world, run_audit) -> None:
    w = world("dev").provision()
    assert w.plan.bucket.encryption is not None
    # b2sdk refuses "none" as a bucket default, so the drift is made in the simulator itself
    w.sim_bucket().default_server_side_encryption = SSE_NONE
    run = run_audit(w)
    finding = _one(run, "bucket.encryption", "default encryption off")
    assert finding["actual"] == "none"
    assert run.only_failing() == {"bucket.encryption"}
    assert run.code == ExitCode.FAILED


def test_bucket_made_public(world, run_audit) -> None:
    w = world("prod").provision()
    w.bucket.update(bucket_type="allPublic")
    run = run_audit(w)
    finding = _one(run, "bucket.type", "bucket made public")
    assert finding["actual"] == "allPublic"
    assert run.only_failing() == {"bucket.type"}
    assert run.code == ExitCode.FAILED


def test_unknown_key_with_access_is_unmanaged(world, run_audit) -> None:
    w = world("dev").provision()
    stray = w.create_key("someones-laptop", ["listFiles", "readFiles"], bucket_ids=[w.bucket.id_])
    everywhere = w.create_key("backup-tool", ["listBuckets", "readFiles"], bucket_ids=None)
    other = w.create_bucket(f"{w.plan.bucket.name}-other")
    w.create_key("other-bucket-only", ["readFiles"], bucket_ids=[other.id_])
    run = run_audit(w)
    found = run.findings("account.unmanaged-access")
    named = {f["field"] for f in found}
    assert named == {
        f"key 'someones-laptop' (id {stray.key_id})",
        f"key 'backup-tool' (id {everywhere.key_id})",
    }
    assert all(f["severity"] == "error" and "unmanaged access" in f["summary"] for f in found)
    assert run.only_failing() == {"account.unmanaged-access"}
    assert run.code == ExitCode.FAILED
    # a known tool key can be accepted by name: it moves to the notes, the other stays an error
    accepted = run_audit(w, "--accept-key", "backup-tool")
    assert [f["field"] for f in accepted.findings("account.unmanaged-access")] == [
        f"key 'someones-laptop' (id {stray.key_id})"
    ]
    assert any("accepted key 'backup-tool'" in n for n in accepted.report["notes"])
    assert accepted.code == ExitCode.FAILED


def test_planned_key_deleted(world, run_audit) -> None:
    w = world("prod").provision()
    w.admin.delete_key_by_id(w.roles["readonly"].key_id)
    run = run_audit(w)
    _one(run, "key.readonly.authorise", "cannot authorise")
    _one(run, "account.planned-key.readonly", "planned key missing")
    assert run.status("key.readonly.capabilities") == "skipped"
    assert run.only_failing() == {"key.readonly.authorise", "account.planned-key.readonly"}
    assert run.code == ExitCode.FAILED


def test_key_expiring_soon_is_a_warning(world, run_audit) -> None:
    w = world("dev")
    assert w.plan.key("smoke").valid_duration_seconds is not None
    w.provision(key_changes={"smoke": {"valid_duration_seconds": 3 * b2.SECONDS_PER_DAY}})
    run = run_audit(w)
    _one(run, "key.smoke.expiry", "expires soon", severity="warning")
    assert run.status("key.smoke.expiry") == "warned"
    assert run.code == ExitCode.OK  # warnings alone do not fail the audit
    case = _testcase(run, "key.smoke.expiry")
    assert case.find("failure") is None
    assert "expires soon" in case.findtext("system-out")
    # a lower threshold silences it
    quiet = run_audit(w, "--expiry-warning-days", "2")
    assert quiet.findings("key.smoke.expiry") == []


def test_key_outliving_its_planned_duration(world, run_audit) -> None:
    w = world("prod")
    planned = w.plan.key("smoke").valid_duration_seconds
    w.provision(key_changes={"smoke": {"valid_duration_seconds": planned + 2 * b2.SECONDS_PER_DAY}})
    run = run_audit(w)
    _one(run, "key.smoke.expiry", "outlives the plan")
    assert run.code == ExitCode.FAILED


def test_key_that_never_expires_although_planned_to(world, run_audit) -> None:
    w = world("dev").provision(key_changes={"smoke": {"valid_duration_seconds": None}})
    run = run_audit(w)
    _one(run, "key.smoke.expiry", "never expires")
    assert run.code == ExitCode.FAILED


def test_stale_credential_after_rotation(world, run_audit) -> None:
    """The consumer still holds a key whose name is not the planned one (e.g. before rotation)."""
    w = world("dev").provision()
    key = w.plan.key("app")
    old = w.create_key(
        f"{key.key_name}-old",
        key.capabilities,
        bucket_ids=[w.bucket.id_],
        name_prefix=key.name_prefix,
    )
    env = w.env()
    env["PXB2_APP_KEY_ID"], env["PXB2_APP_KEY"] = old.key_id, old.secret
    run = run_audit(w, env=env)
    _one(run, "key.app.identity", "stale credential")
    _one(run, "account.unmanaged-access", "unmanaged access")
    assert run.code == ExitCode.FAILED


def test_role_subset_audits_only_that_role(world, run_audit) -> None:
    w = world("prod").provision()
    env = {k: v for k, v in w.env(account=False).items() if k.startswith("PXB2_SMOKE_")}
    run = run_audit(w, "--role", "smoke", env=env)
    assert run.code == ExitCode.OK
    role_checks = {
        c["id"].split(".")[1] for c in run.report["checks"] if c["id"].startswith("key.")
    }
    assert role_checks == {"smoke"}
    assert (
        run.status("bucket.file-lock") == "passed"
    )  # read with the smoke key's readBucketRetentions


def test_bucket_missing(world, run_audit) -> None:
    w = world("dev").provision()
    run = run_audit(w, "--bucket", f"{w.plan.bucket.name}-gone")
    _one(run, "bucket.exists", "bucket missing")
    assert run.status("bucket.type") == "skipped"
    for key in w.plan.keys:
        if key.account_wide:  # reaches every bucket by design: nothing to be wrong about
            assert run.status(f"key.{key.role}.bucket") == "passed"
        else:
            _one(run, f"key.{key.role}.bucket", "wrong bucket")
    assert run.code == ExitCode.FAILED
