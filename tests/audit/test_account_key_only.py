"""`smoke audit --account-key-only [--fail-on-warnings]`: the scheduled audit's mode.

The schedule holds one read-only credential, the stack's own `auditor` key; every role's key
is then checked from the account's key list, and warnings (a key expiring soon) fail the run.
Runs against b2sdk's simulator, like tests/audit/test_simulated_audit.py.
"""

from __future__ import annotations

from infra.core import b2_facts as b2
from infra.core.exit_codes import ExitCode
from smoke.audit.credentials import ACCOUNT_KEY, ACCOUNT_KEY_ID
from smoke.audit.simulated_account import World

SCHEDULE = ("--account-key-only", "--fail-on-warnings")
LISTED_PARTS = ("capabilities", "bucket", "name-prefix", "expiry")


def auditor_only(world: World) -> dict[str, str]:
    """Just the plan's own auditor key, in the account-key variables: no role secret."""
    issued = world.roles["auditor"]
    return {ACCOUNT_KEY_ID: issued.key_id, ACCOUNT_KEY: issued.secret}


def test_the_planned_state_audits_clean_with_the_auditor_key_alone(world, run_audit):
    w = world("prod").provision(auditor=False)
    run = run_audit(w, *SCHEDULE, env=auditor_only(w))
    assert run.code == ExitCode.OK, run.out + run.err
    assert run.report["findings"] == []
    for role in w.plan.roles:
        for part in LISTED_PARTS:
            assert run.status(f"key.{role}.{part}") == "passed", (role, part)
        for part in ("authorise", "identity"):  # need the role's secret: never a pass
            assert run.status(f"key.{role}.{part}") == "skipped", (role, part)
        assert run.status(f"account.planned-key.{role}") == "passed"
    assert run.status("account.unmanaged-access") == "passed"
    for issued in w.roles.values():
        assert issued.secret not in run.out + run.err + run.json_text + run.junit_text


def test_a_key_expiring_within_the_window_fails_the_schedule_and_says_what_to_do(world, run_audit):
    w = world("dev")
    w.provision(
        auditor=False, key_changes={"smoke": {"valid_duration_seconds": 3 * b2.SECONDS_PER_DAY}}
    )
    lenient = run_audit(w, "--account-key-only", env=auditor_only(w))
    assert lenient.code == ExitCode.OK
    assert lenient.status("key.smoke.expiry") == "warned"
    run = run_audit(w, *SCHEDULE, env=auditor_only(w))
    assert run.code == ExitCode.FAILED
    (finding,) = run.findings("key.smoke.expiry")
    assert "expires soon" in finding["summary"]
    assert "rotation" in finding["fix"]
    assert "--fail-on-warnings makes them fail" in run.err
    # outside the (configurable) window nothing warns and the schedule passes
    quiet = run_audit(w, *SCHEDULE, "--expiry-warning-days", "2", env=auditor_only(w))
    assert quiet.code == ExitCode.OK


def test_an_unmanaged_key_reaching_the_bucket_fails_the_schedule(world, run_audit):
    w = world("dev").provision(auditor=False)
    assert w.bucket is not None
    stray = w.create_key("hand-made", ["listFiles", "readFiles"], bucket_ids=[w.bucket.id_])
    run = run_audit(w, *SCHEDULE, env=auditor_only(w))
    assert run.code == ExitCode.FAILED
    (finding,) = run.findings("account.unmanaged-access")
    assert "hand-made" in finding["field"]
    assert f"b2 key delete {stray.key_id}" in finding["fix"]
    accepted = run_audit(w, *SCHEDULE, "--accept-key", "hand-made", env=auditor_only(w))
    assert accepted.code == ExitCode.OK


def test_drift_of_a_role_key_is_seen_in_the_key_list(world, run_audit):
    w = world("dev")
    planned = w.plan.key("app").capabilities
    w.provision(auditor=False, key_changes={"app": {"capabilities": (*planned, "shareFiles")}})
    run = run_audit(w, *SCHEDULE, env=auditor_only(w))
    assert run.code == ExitCode.FAILED
    assert run.only_failing() >= {"key.app.capabilities"}
    (finding,) = run.findings("key.app.capabilities")
    assert "shareFiles" in finding["summary"]


def test_an_account_wide_key_restricted_to_the_bucket_is_drift(world, run_audit):
    w = world("dev").provision(auditor=False)
    assert w.bucket is not None
    w.create_role_key(w.plan.key("preview"), bucket_ids=[w.bucket.id_])
    run = run_audit(w, *SCHEDULE, env=auditor_only(w))
    assert run.code == ExitCode.FAILED
    findings = run.findings("key.preview.bucket")
    assert findings
    assert all("account-wide" in f["summary"] for f in findings)


def test_account_key_only_without_the_account_key_is_a_usage_error(world, run_audit):
    w = world("dev").provision(auditor=False)
    run = run_audit(w, *SCHEDULE, env={})
    assert run.code == ExitCode.USAGE
    assert "--account-key-only needs the account-level key" in run.err
    assert "Traceback" not in run.err
    both = run_audit(w, *SCHEDULE, "--keys-json", "keys.json", env=auditor_only(w))
    assert both.code == ExitCode.USAGE
    assert "drop one of the two options" in both.err
