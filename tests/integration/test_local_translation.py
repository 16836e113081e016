"""The pure parts of the local emulation: plan -> S3 settings, identities, policies. No server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.core import b2_facts as b2
from infra.core.expectations import (
    BUCKET_SCOPE,
    GRANT_PREFIX,
    NAME_PREFIX,
    OBJECT_LOCK,
    capability_grant,
    capability_restriction,
)
from infra.core.plan_model import KeyPlan
from infra.core.runtime_env import KeyPair
from infra.core.stack_files import load_plan_for_stack
from infra.local import client_config
from infra.local.bucket_settings import (
    decoy_bucket_name,
    lifecycle_configuration,
    local_bucket_name,
    object_lock_configuration,
)
from infra.local.capabilities import (
    CAPABILITY_MAP,
    all_restriction_kinds,
    unenforced_notes,
    weed_unenforced,
)
from infra.local.deployment import plan_notes
from infra.local.model import LocalServerError, new_credentials
from infra.local.seaweed_access import (
    ADMIN_IDENTITY,
    bucket_policy,
    identities_document,
    principal_arn,
    weed_actions,
)
from infra.local.weed_process import PORT_FLAGS, mini_arguments
from tests.integration.support import MATRIX_CONFIG, matrix_plan

DEV, PROD = load_plan_for_stack("dev"), load_plan_for_stack("prod")
S3_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def _key(capabilities: tuple[str, ...], prefix: str | None) -> KeyPlan:
    return KeyPlan(
        role="probe",
        key_name="pixeltable-b2-test-probe",
        capabilities=tuple(sorted(capabilities)),
        name_prefix=prefix,
        valid_duration_seconds=None,
        rotation=0,
    )


def test_every_b2_capability_is_in_the_mapping_table() -> None:
    assert set(CAPABILITY_MAP) == set(b2.CAPABILITIES)


def test_unenforced_kinds_are_known_and_scopes_are_enforced() -> None:
    everything = weed_unenforced()
    grants = {kind for kind in everything if kind.startswith(GRANT_PREFIX)}
    unenforced = everything - grants
    assert unenforced <= all_restriction_kinds()
    assert {BUCKET_SCOPE, NAME_PREFIX, OBJECT_LOCK}.isdisjoint(unenforced)
    assert capability_restriction("listAllBucketNames") in unenforced
    notes = " ".join(unenforced_notes(unenforced))
    for kind in unenforced:
        assert kind.removeprefix("capability:") in notes
    # Capabilities a holder cannot use locally: each has its sentence, and nothing else.
    ungranted = {kind.removeprefix(GRANT_PREFIX) for kind in grants}
    assert ungranted == {c for c, m in CAPABILITY_MAP.items() if m.holders_note}
    assert all(capability_grant(c) in grants for c in ungranted)


@pytest.mark.parametrize("plan", [DEV, PROD], ids=["dev", "prod"])
def test_lifecycle_rules_translate_field_by_field(plan) -> None:  # type: ignore[no-untyped-def]
    rules = lifecycle_configuration(plan)
    assert rules is not None
    assert len(rules["Rules"]) == len(plan.lifecycle)
    for planned, rule in zip(plan.lifecycle, rules["Rules"], strict=True):
        assert rule["Filter"] == {"Prefix": planned.file_name_prefix}
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
    assert len({r["ID"] for r in rules["Rules"]}) == len(plan.lifecycle)


def test_object_lock_follows_the_plan() -> None:
    assert object_lock_configuration(DEV) is None
    config = object_lock_configuration(PROD)
    assert config is not None
    assert PROD.object_lock.mode is not None
    assert PROD.object_lock.period is not None
    retention = config["Rule"]["DefaultRetention"]
    assert retention == {
        "Mode": PROD.object_lock.mode.upper(),
        "Days": PROD.object_lock.period.days,
    }
    assert object_lock_configuration(matrix_plan()) is None  # lock enabled, no default retention


def test_bucket_names() -> None:
    assert local_bucket_name(DEV, "abc123") == DEV.bucket.name
    matrix = matrix_plan()
    named = local_bucket_name(matrix, "abc123")
    assert named == f"{MATRIX_CONFIG['bucket']['name']}-abc123"
    for bucket in (named, "a" * 63, DEV.bucket.name):
        decoy = decoy_bucket_name(bucket, "abc123")
        assert decoy != bucket
        assert S3_BUCKET_NAME.fullmatch(decoy), decoy


def test_weed_actions_scope_object_grants_to_the_prefix() -> None:
    key = _key(("listBuckets", "readBuckets", "listFiles", "readFiles", "writeFiles"), "media/")
    assert weed_actions(key, "bkt") == [
        "List:bkt",
        "List:bkt/media/*",
        "Read:bkt",
        "Read:bkt/media/*",
        "ReadAcp:bkt",
        "Write:bkt/media/*",
    ]
    assert weed_actions(_key(("readFiles",), None), "bkt") == ["Read:bkt"]
    with pytest.raises(LocalServerError, match="namePrefix"):
        weed_actions(_key(("readFiles",), "we*rd/"), "bkt")


def test_identities_document_has_admin_and_one_identity_per_role() -> None:
    creds = {role: new_credentials() for role in PROD.roles}
    admin = new_credentials("PXB2ADMIN")
    identities = identities_document(PROD, "bkt", creds, admin)["identities"]
    by_name = {i["name"]: i for i in identities}
    assert by_name[ADMIN_IDENTITY]["actions"] == ["Admin"]
    assert len(identities) == len(PROD.roles) + 1
    for role in PROD.roles:
        identity = next(
            i for i in identities if i["credentials"][0]["accessKey"] == creds[role].access_key_id
        )
        assert identity["credentials"][0]["secretKey"] == creds[role].secret_access_key
        assert identity["actions"] == weed_actions(PROD.key(role), "bkt")
        assert all(a.split(":", 1)[1].startswith("bkt") for a in identity["actions"])
        assert "Admin" not in identity["actions"]


def test_bucket_policy_only_denies_and_covers_prefixes_and_missing_capabilities() -> None:
    policy = bucket_policy(PROD, "bkt")
    assert policy is not None
    statements = policy["Statement"]
    # An Allow in a SeaweedFS bucket policy bypasses the identity checks: never emit one.
    assert {s["Effect"] for s in statements} == {"Deny"}
    for key in PROD.keys:
        mine = [s for s in statements if s["Principal"]["AWS"] == [principal_arn(key.role)]]
        denied = {a for s in mine for a in s["Action"]}
        for name, mapping in CAPABILITY_MAP.items():
            for rule in mapping.governs:
                assert set(rule.actions) <= denied or key.can(name), (key.role, name)
        if not key.can("deleteFiles"):
            assert "s3:DeleteObjectVersion" in denied
        if key.name_prefix:
            outside = [s for s in mine if "NotResource" in s]
            assert outside[0]["NotResource"] == [
                "arn:aws:s3:::bkt",
                f"arn:aws:s3:::bkt/{key.name_prefix}*",
            ]


def test_credentials_hide_their_secret() -> None:
    one, two = new_credentials(), new_credentials()
    assert one != two
    assert one.secret_access_key not in repr(one)
    assert one.secret_access_key not in str(one)
    assert one.access_key_id in repr(one)
    assert "secret" not in repr(KeyPair("AK", "hunter2-secret"))


def test_mini_arguments_are_loopback_private_and_complete(tmp_path: Path) -> None:
    ports = {name: 20000 + i for i, name in enumerate(PORT_FLAGS)}
    arguments = mini_arguments(Path("/bin/weed"), tmp_path, ports)
    flags = dict(a.lstrip("-").split("=", 1) for a in arguments[2:])
    assert arguments[:2] == ["/bin/weed", "mini"]
    assert flags["ip"] == flags["ip.bind"] == "127.0.0.1"
    assert {name: int(flags[name]) for name in PORT_FLAGS} == ports
    assert flags["master.telemetry"] == "false"
    assert flags["webdav"] == flags["admin.ui"] == "false"
    assert flags["s3.allowDeleteBucketNotEmpty"] == "false"
    for path_flag in ("dir", "s3.config", "filer.localSocket", "s3.localSocket"):
        assert Path(flags[path_flag]).is_relative_to(tmp_path)


def test_client_config_is_what_b2_needs() -> None:
    config = client_config()
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.signature_version == "s3v4"
    assert config.connect_timeout <= 5
    assert config.read_timeout <= 30


def test_plan_notes_name_what_is_not_reproduced() -> None:
    notes = " ".join(plan_notes(PROD, PROD.bucket.name))
    assert "Lifecycle rules" in notes
    assert "do not expire" in notes  # the smoke key has validDays
    assert "encryption" in notes
    assert "public" not in notes  # the shipped buckets are private
