"""Object Lock can never be switched by replacing an existing bucket.

The guard is a state-migration callback; the harness monitor runs it the way
the engine does (prior state of the bucket, before any diff, only when the
stack already holds the bucket).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.core.stack_files import load_plan_for_stack
from infra.deploy.storage import (
    LOCK_FLAG_PATH,
    ObjectLockChangeRefused,
    RecordedLock,
    lock_change_problem,
    lock_guard,
    recorded_lock,
    recorded_lock_enabled,
)
from tests.pulumi.mock_engine import BUCKET_TYPE, KEY_TYPE, run_stack, stack_document

SECRET_SIG = "4dabf18193072939515e22adb298388d"


def bucket_checkpoint(
    *,
    name: str,
    lock_enabled: bool | None,
    bucket_id: str = "bkt-prior",
    retention: dict[str, Any] | None = None,
) -> dict:
    """A bucket's prior state in checkpoint form, as the engine would hand it over."""
    outputs: dict[str, Any] = {
        "bucketName": name,
        "bucketId": bucket_id,
        "bucketType": "allPrivate",
    }
    if lock_enabled is not None:
        outputs["fileLockConfigurations"] = [
            {
                "isFileLockEnabled": lock_enabled,
                **({"defaultRetention": retention} if retention else {}),
            }
        ]
    return {
        "custom": True,
        "type": BUCKET_TYPE,
        "id": bucket_id,
        "inputs": {k: v for k, v in outputs.items() if k != "bucketId"},
        "outputs": outputs,
    }


def _declared(seen: dict[str, Any]) -> set[str]:
    """The types of what reached the provider in a run the test watched."""
    return {type_ for type_, _, _ in seen["monitor"].mocks.created}


def _secret(value: Any) -> dict[str, str]:
    return {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(value)}


def _run_refused(stack: str, document: dict[str, Any], prior: dict[str, Any]) -> tuple[str, dict]:
    seen: dict[str, Any] = {}
    with pytest.raises(Exception) as caught:  # noqa: PT011 (the message is checked below)
        run_stack(
            stack,
            document,
            prior_states={"bucket": prior},
            on_monitor=lambda monitor: seen.update(monitor=monitor),
        )
    return str(caught.value), seen


# --- Reading the recorded lock state ------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_recorded_lock_from_outputs(enabled: bool) -> None:
    assert recorded_lock_enabled(bucket_checkpoint(name="b", lock_enabled=enabled)) is enabled


def test_no_recorded_lock_configuration_means_off() -> None:
    assert recorded_lock_enabled(bucket_checkpoint(name="b", lock_enabled=None)) is False
    assert recorded_lock_enabled({}) is False


def test_recorded_lock_inside_secret_envelopes() -> None:
    state = {"outputs": {"fileLockConfigurations": _secret([{"isFileLockEnabled": True}])}}
    assert recorded_lock_enabled(state) is True
    state = {"outputs": {"fileLockConfigurations": [{"isFileLockEnabled": _secret(True)}]}}
    assert recorded_lock_enabled(state) is True


def test_inputs_are_read_when_outputs_lack_the_setting() -> None:
    state = {"outputs": {}, "inputs": {"fileLockConfigurations": [{"isFileLockEnabled": True}]}}
    assert recorded_lock_enabled(state) is True


# --- The refusal messages -----------------------------------------------------------------


def test_same_lock_state_is_fine() -> None:
    for stack in ("dev", "prod"):
        plan = load_plan_for_stack(stack)
        recorded = RecordedLock(plan.object_lock.enabled, plan.object_lock.mode)
        assert lock_change_problem(plan, recorded, plan.bucket.name) is None


def test_turning_lock_on_explains_the_supported_path() -> None:
    plan = load_plan_for_stack("prod")
    assert plan.object_lock.enabled
    message = lock_change_problem(plan, RecordedLock(False), plan.bucket.name)
    assert message is not None
    assert message.startswith("pixeltable-b2:objectLock.enabled = true")
    assert repr(plan.bucket.name) in message
    for step in ("b2_update_bucket", "fileLockEnabled=true", "pulumi refresh --stack prod"):
        assert step in message
    assert "Fix:" in message


def test_turning_lock_off_is_refused() -> None:
    plan = load_plan_for_stack("dev")
    assert not plan.object_lock.enabled
    message = lock_change_problem(plan, RecordedLock(True), plan.bucket.name)
    assert message is not None
    assert message.startswith("pixeltable-b2:objectLock.enabled = false")
    assert "can never turn it off" in message
    assert "enabled: true" in message


def test_recorded_retention_is_read_from_the_state() -> None:
    retention = {"mode": "governance", "period": {"duration": 30, "unit": "days"}}
    state = bucket_checkpoint(name="b", lock_enabled=True, retention=retention)
    assert recorded_lock(state) == RecordedLock(True, "governance")
    assert recorded_lock(bucket_checkpoint(name="b", lock_enabled=True)) == RecordedLock(True)


def test_removing_a_default_retention_is_refused_with_the_way_to_do_it() -> None:
    """The provider sends nothing for an omitted retention, so B2 would keep the old one."""
    document = stack_document("prod", {"pixeltable-b2:objectLock": {"enabled": True}})
    plan = load_plan_for_stack("prod")
    without = plan.model_copy(
        update={"object_lock": plan.object_lock.model_copy(update={"mode": None, "period": None})}
    )
    message = lock_change_problem(without, RecordedLock(True, "governance"), plan.bucket.name)
    assert message is not None
    assert message.startswith("pixeltable-b2:objectLock.mode")
    for step in ("b2_update_bucket", "pulumi refresh --stack prod", "Fix:"):
        assert step in message
    assert lock_change_problem(without, RecordedLock(True), plan.bucket.name) is None
    retention = {"mode": "governance", "period": {"duration": 30, "unit": "days"}}
    prior = bucket_checkpoint(name=plan.bucket.name, lock_enabled=True, retention=retention)
    message, seen = _run_refused("prod", document, prior)
    assert "has a default governance retention" in message
    assert BUCKET_TYPE not in _declared(seen)


def test_guard_returns_no_new_state_or_refuses() -> None:
    import pulumi

    plan = load_plan_for_stack("prod")
    guard = lock_guard(plan)
    same = [{"urn": "urn:x", **bucket_checkpoint(name=plan.bucket.name, lock_enabled=True)}]
    assert guard(pulumi.StateMigrationArgs(urn="urn:x", old_state=same)) is None
    changed = [{"urn": "urn:x", **bucket_checkpoint(name=plan.bucket.name, lock_enabled=False)}]
    with pytest.raises(ObjectLockChangeRefused):
        guard(pulumi.StateMigrationArgs(urn="urn:x", old_state=changed))


# --- Under the program, engine-style ------------------------------------------------------


def test_enabling_lock_on_an_existing_bucket_is_refused_before_any_change() -> None:
    document = stack_document("dev", {"pixeltable-b2:objectLock": {"enabled": True}})
    name = load_plan_for_stack("dev").bucket.name
    message, seen = _run_refused("dev", document, bucket_checkpoint(name=name, lock_enabled=False))
    assert "state migration 1 of 1" in message
    assert "pixeltable-b2:objectLock.enabled = true" in message
    assert "pulumi refresh --stack dev" in message
    registered_types = {r.type for r in seen["monitor"].registrations}
    assert BUCKET_TYPE in registered_types  # the guard ran at the bucket's registration ...
    declared = _declared(seen)
    assert BUCKET_TYPE not in declared  # ... and nothing reached the provider
    assert KEY_TYPE not in declared


def test_disabling_lock_on_an_existing_locked_bucket_is_refused() -> None:
    document = stack_document("prod", {"pixeltable-b2:objectLock": None})
    name = load_plan_for_stack("prod").bucket.name
    message, seen = _run_refused("prod", document, bucket_checkpoint(name=name, lock_enabled=True))
    assert "pixeltable-b2:objectLock.enabled = false" in message
    assert "can never turn it off" in message
    assert BUCKET_TYPE not in _declared(seen)


def test_enabled_in_b2_and_refreshed_then_the_update_proceeds() -> None:
    """The supported path: lock on in B2, `pulumi refresh` records it, config says on."""
    plan = load_plan_for_stack("prod")
    prior = bucket_checkpoint(name=plan.bucket.name, lock_enabled=True)
    run = run_stack("prod", prior_states={"bucket": prior})
    bucket = run.one(BUCKET_TYPE)
    assert bucket.urn in run.migrated
    assert bucket.inputs["fileLockConfigurations"][0]["isFileLockEnabled"] is True


def test_unchanged_dev_bucket_without_lock_updates_normally() -> None:
    plan = load_plan_for_stack("dev")
    prior = bucket_checkpoint(name=plan.bucket.name, lock_enabled=False)
    run = run_stack("dev", prior_states={"bucket": prior})
    assert run.one(BUCKET_TYPE).urn in run.migrated
    assert len(run.of_type(KEY_TYPE)) == len(plan.keys)


def test_a_new_stack_creates_the_bucket_with_lock() -> None:
    run = run_stack("prod")
    assert run.migrated == []  # no prior state: the engine does not call the guard
    assert run.one(BUCKET_TYPE).inputs["fileLockConfigurations"][0]["isFileLockEnabled"] is True


# --- Without state migrations (Pulumi's standard MockMonitor, older CLIs) -----------------


def _live(name: str, *, lock: bool, retention: dict[str, Any] | None = None) -> dict[str, Any]:
    """What B2 holds for a recorded bucket, as the provider's read returns it."""
    config: dict[str, Any] = {"isFileLockEnabled": lock}
    if retention:
        config["defaultRetention"] = retention
    return {"bucketName": name, "bucketId": "bkt-recorded", "fileLockConfigurations": [config]}


def _fallback(stack: str, document: dict[str, Any] | None, live: dict[str, Any] | None) -> Any:
    recorded = {"bucketId": live["bucketId"]} if live else {}
    return run_stack(
        stack,
        document,
        state_migrations=False,
        recorded_outputs=recorded,
        live_buckets={live["bucketId"]: live} if live else {},
    )


def test_without_state_migrations_a_new_stack_deploys_and_ignores_the_flag() -> None:
    run = _fallback("prod", None, None)
    bucket = run.one(BUCKET_TYPE)
    assert len(bucket.request.state_migrations) == 0
    assert list(bucket.request.ignoreChanges) == [LOCK_FLAG_PATH]
    assert not bucket.request.deleteBeforeReplace
    assert run.reads == []  # nothing recorded: nothing read


def test_without_state_migrations_the_recorded_bucket_is_read_and_allowed() -> None:
    name = load_plan_for_stack("prod").bucket.name
    retention = {"mode": "governance", "period": {"duration": 30, "unit": "days"}}
    run = _fallback("prod", None, _live(name, lock=True, retention=retention))
    assert run.reads == [(BUCKET_TYPE, "bkt-recorded")]
    assert run.one(BUCKET_TYPE).inputs["fileLockConfigurations"][0]["isFileLockEnabled"] is True


@pytest.mark.parametrize(
    ("stack", "changes", "live_lock", "expected"),
    [
        ("dev", {"pixeltable-b2:objectLock": {"enabled": True}}, False, "enabled = true"),
        ("prod", {"pixeltable-b2:objectLock": None}, True, "enabled = false"),
    ],
)
def test_without_state_migrations_a_lock_change_is_refused(
    stack: str, changes: dict[str, Any], live_lock: bool, expected: str
) -> None:
    document = stack_document(stack, changes)
    name = load_plan_for_stack(stack).bucket.name
    seen: dict[str, Any] = {}
    with pytest.raises(Exception, match=expected) as caught:
        run_stack(
            stack,
            document,
            state_migrations=False,
            recorded_outputs={"bucketId": "bkt-recorded"},
            live_buckets={"bkt-recorded": _live(name, lock=live_lock)},
            on_monitor=lambda monitor: seen.update(monitor=monitor),
        )
    assert "Fix:" in str(caught.value)
    declared = _declared(seen)
    assert BUCKET_TYPE not in declared
    assert KEY_TYPE not in declared
