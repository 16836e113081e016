"""A B2 account on b2sdk's `RawSimulator`, changed the way the provider changes B2.

A thin shell over b2sdk: the requests come from `infra.deploy.provider_model` (pure). Only
the rehearsal uses it; the secrets it issues are simulator values, never real ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from b2sdk.v3 import (
    B2Api,
    B2HttpApiConfig,
    Bucket,
    BucketRetentionSetting,
    EncryptionAlgorithm,
    EncryptionMode,
    EncryptionSetting,
    InMemoryAccountInfo,
    RawSimulator,
    RetentionMode,
    RetentionPeriod,
)

from infra.deploy.provider_model import BucketSettings, KeyRequest, Retention


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    secret: str = ""


def _retention(retention: Retention) -> BucketRetentionSetting:
    return BucketRetentionSetting(
        RetentionMode(retention.mode), RetentionPeriod(**{retention.unit: retention.duration})
    )


def _encryption(settings: BucketSettings) -> EncryptionSetting | None:
    if settings.encryption is None:
        return None
    mode, algorithm = settings.encryption
    return EncryptionSetting(EncryptionMode(mode), EncryptionAlgorithm(algorithm))


class SimulatedB2:
    """One simulated account; the deployer works with the account's master key."""

    def __init__(self) -> None:
        self.sim = RawSimulator()
        account_id, master = self.sim.create_account()
        self.secrets: list[str] = [master]
        self.admin = self.api()
        self.admin.authorize_account(account_id, master)

    def api(self) -> B2Api:
        """A fresh client on this account's simulator (the audit's api factory)."""
        sim = self.sim
        return B2Api(
            InMemoryAccountInfo(), api_config=B2HttpApiConfig(_raw_api_class=lambda _http: sim)
        )

    def _bucket(self, bucket_id: str) -> Bucket:
        return self.admin.get_bucket_by_id(bucket_id)

    def _raw_bucket(self, bucket_id: str) -> dict[str, Any]:
        """b2_list_buckets' entry for the bucket, as the deployer's key sees it."""
        token = self.admin.account_info.get_account_auth_token()
        return self.sim.bucket_id_to_bucket[bucket_id].bucket_dict(token)

    def create_bucket(self, settings: BucketSettings) -> str:
        """b2_create_bucket without the retention, then an update that sets it (as the provider
        does); if that update fails the bucket is deleted again."""
        bucket = self.admin.create_bucket(
            settings.name,
            settings.bucket_type,
            bucket_info=dict(settings.bucket_info),
            cors_rules=[dict(rule) for rule in settings.cors_rules],
            lifecycle_rules=[dict(rule) for rule in settings.lifecycle_rules],
            default_server_side_encryption=_encryption(settings),
            is_file_lock_enabled=settings.lock_enabled,
        )
        if settings.retention is not None:
            try:
                bucket.update(
                    bucket_type=settings.bucket_type,
                    default_retention=_retention(settings.retention),
                )
            except Exception:
                self.admin.delete_bucket(bucket)
                raise
        return bucket.id_

    def update_bucket(self, bucket_id: str, settings: BucketSettings) -> None:
        """b2_update_bucket with the updatable settings; the lock flag is not sent, and an
        omitted default retention sends nothing."""
        self._bucket(bucket_id).update(
            bucket_type=settings.bucket_type,
            bucket_info=dict(settings.bucket_info),
            cors_rules=[dict(rule) for rule in settings.cors_rules],
            lifecycle_rules=[dict(rule) for rule in settings.lifecycle_rules],
            default_server_side_encryption=_encryption(settings),
            default_retention=None
            if settings.retention is None
            else _retention(settings.retention),
        )

    def create_key(self, request: KeyRequest) -> IssuedKey:
        created = self.admin.create_key(
            list(request.capabilities),
            request.key_name,
            valid_duration_seconds=request.valid_duration_seconds,
            bucket_ids=list(request.bucket_ids) if request.bucket_ids else None,
            name_prefix=request.name_prefix,
        )
        secret = f"rehearsal-{secrets.token_hex(12)}"  # replaces the simulator's guessable one
        self.sim.key_id_to_key[created.id_].key = secret
        self.secrets.append(secret)
        return IssuedKey(created.id_, secret)

    def delete_key(self, key_id: str) -> None:
        self.admin.delete_key_by_id(key_id)

    def bucket_state(self, bucket_id: str) -> dict[str, Any]:
        """The bucket as the provider's read reports it (wire names): what `Bucket.get` sees."""
        raw = self._raw_bucket(bucket_id)
        lock = raw.get("fileLockConfiguration") or {}
        value = lock.get("value") or {}
        config: dict[str, Any] = {"isFileLockEnabled": bool(value.get("isFileLockEnabled"))}
        retention = value.get("defaultRetention") or {}
        if retention.get("mode"):
            config["defaultRetention"] = {
                "mode": retention["mode"],
                "period": dict(retention.get("period") or {}),
            }
        return {
            "bucketId": bucket_id,
            "bucketName": raw.get("bucketName"),
            "bucketType": raw.get("bucketType"),
            "fileLockConfigurations": [config],
        }

    def holdings(self) -> dict[str, Any]:
        """Everything the account holds, as b2_list_buckets and b2_list_keys answer."""
        buckets = [self._raw_bucket(bucket.id_) for bucket in self.admin.list_buckets()]
        keys = [
            {
                "keyName": key.key_name,
                "applicationKeyId": key.id_,
                "capabilities": sorted(key.capabilities),
                "bucketIds": list(key.bucket_ids or []),
                "namePrefix": key.name_prefix,
                "expirationTimestamp": key.expiration_timestamp_millis,
            }
            for key in self.admin.list_keys()
        ]
        return {"buckets": buckets, "keys": keys}

    def auditor(self, capabilities: list[str]) -> IssuedKey:
        return self.create_key(
            KeyRequest(
                key_name="pixeltable-b2-rehearsal-auditor",
                capabilities=tuple(capabilities),
                bucket_ids=None,
                name_prefix=None,
                valid_duration_seconds=None,
            )
        )

    def key_names(self) -> Mapping[str, str]:
        return {key.id_: key.key_name for key in self.admin.list_keys()}
