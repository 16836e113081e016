"""What the provider sends B2 for declared inputs (the rehearsal's pure core)."""

from __future__ import annotations

from infra.deploy.provider_model import (
    Retention,
    bucket_settings,
    key_needs_replacement,
    key_request,
)

BUCKET = {
    "bucketName": "acme-media",
    "bucketType": "allPrivate",
    "lifecycleRules": [
        {"fileNamePrefix": "tmp/", "daysFromUploadingToHiding": 1, "daysFromHidingToDeleting": 0}
    ],
    "defaultServerSideEncryption": {"mode": "SSE-B2"},
    "fileLockConfigurations": [
        {
            "isFileLockEnabled": True,
            "defaultRetention": {"mode": "governance", "period": {"duration": 2, "unit": "years"}},
        }
    ],
}


def test_zero_and_unset_day_counts_are_null() -> None:
    (rule,) = bucket_settings(BUCKET).lifecycle_rules
    assert rule == {
        "fileNamePrefix": "tmp/",
        "daysFromUploadingToHiding": 1,
        "daysFromHidingToDeleting": None,
        "daysFromStartingToCancelingUnfinishedLargeFiles": None,
    }


def test_a_mode_without_algorithm_gets_aes256() -> None:
    assert bucket_settings(BUCKET).encryption == ("SSE-B2", "AES256")


def test_retention_travels_separately_and_only_when_declared() -> None:
    settings = bucket_settings(BUCKET)
    assert settings.lock_enabled is True
    assert settings.retention == Retention("governance", 2, "years")
    bare = {**BUCKET, "fileLockConfigurations": [{"isFileLockEnabled": True}]}
    assert bucket_settings(bare).retention is None
    assert bucket_settings({**BUCKET, "fileLockConfigurations": None}).lock_enabled is False


def test_key_zero_values_are_unset_and_every_change_replaces() -> None:
    key = {"keyName": "k", "capabilities": ["listFiles"], "bucketIds": ["b1"], "namePrefix": ""}
    request = key_request({**key, "validDurationInSeconds": 0})
    assert (request.name_prefix, request.valid_duration_seconds) == (None, None)
    assert request.bucket_ids == ("b1",)
    assert not key_needs_replacement(key, dict(key))
    assert key_needs_replacement(key, {**key, "namePrefix": "media/"})
