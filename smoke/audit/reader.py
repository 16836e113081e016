"""Ask B2's native API, through Backblaze's own b2sdk, what is really there.

A thin shell: authorise with each key, read the bucket with the keys allowed to,
list the account's keys when an account-level key is given. It only reads.
Tests inject an `api_factory` that returns a `B2Api` on b2sdk's simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from b2sdk.v3 import B2Api, B2HttpApiConfig, InMemoryAccountInfo, InMemoryCache
from b2sdk.v3.exception import (
    AccessDenied,
    B2Error,
    RestrictedBucket,
    RestrictedBucketMissing,
    Unauthorized,
)

from smoke.audit.credentials import ACCOUNT_KEY, ACCOUNT_KEY_ID, AuditCredentials, KeyCredential
from smoke.audit.observed import (
    BucketAbsent,
    BucketRef,
    ListedKey,
    ObservedBucket,
    ObservedCorsRule,
    ObservedEncryption,
    ObservedFileLock,
    ObservedLifecycleRule,
    ObservedRoleKey,
    ObservedState,
    Unreadable,
)

ApiFactory = Callable[[], B2Api]
USER_AGENT = "pixeltable-b2-audit"
ACCOUNT_LABEL = "the account key"
ENCRYPTION_CAPABILITY = "readBucketEncryption"
RETENTION_CAPABILITY = "readBucketRetentions"
# Enough for every check, and read-only: what to give an account-level auditor key.
AUDITOR_CAPABILITIES: tuple[str, ...] = (
    "listKeys",
    "listBuckets",
    ENCRYPTION_CAPABILITY,
    RETENTION_CAPABILITY,
)


class ReadError(Exception):
    """B2 could not be asked (unreachable, refused the account key): the audit cannot run."""


def default_api_factory() -> B2Api:
    """A fresh in-memory client per key: nothing is written to ~/.b2_account_info."""
    return B2Api(
        InMemoryAccountInfo(),
        cache=InMemoryCache(),
        api_config=B2HttpApiConfig(user_agent_append=USER_AGENT),
    )


@dataclass(frozen=True)
class _Session:
    label: str
    api: B2Api
    capabilities: frozenset[str]
    buckets: tuple[BucketRef, ...] | None
    name_prefix: str | None


def _describe(error: Exception) -> str:
    """The exception type and B2's message (the report still redacts every known secret)."""
    return f"{type(error).__name__}: {error}"


def _authorise(factory: ApiFactory, credential: KeyCredential, label: str) -> _Session | str:
    """The session, or B2's refusal as text."""
    api = factory()
    try:
        api.authorize_account(credential.key_id, credential.secret.reveal())
    except RestrictedBucketMissing:
        pass  # authorised; the key's bucket is gone, which the comparison reports
    except (Unauthorized, AccessDenied) as error:
        return _describe(error)
    except B2Error as error:
        raise ReadError(
            f"{label}: B2 did not answer b2_authorize_account ({_describe(error)})"
        ) from None
    allowed = api.account_info.get_allowed()
    buckets = allowed.get("buckets")
    refs = None if buckets is None else tuple(BucketRef(b["id"], b.get("name")) for b in buckets)
    capabilities = frozenset(allowed.get("capabilities") or ())
    return _Session(label, api, capabilities, refs, allowed.get("namePrefix") or None)


def _lifecycle(rules: Sequence[Mapping[str, Any]]) -> tuple[ObservedLifecycleRule, ...]:
    return tuple(
        ObservedLifecycleRule(
            file_name_prefix=rule.get("fileNamePrefix") or "",
            days_from_uploading_to_hiding=rule.get("daysFromUploadingToHiding"),
            days_from_hiding_to_deleting=rule.get("daysFromHidingToDeleting"),
            days_from_starting_to_canceling_unfinished_large_files=rule.get(
                "daysFromStartingToCancelingUnfinishedLargeFiles"
            ),
        )
        for rule in rules
    )


def _cors(rules: Sequence[Mapping[str, Any]]) -> tuple[ObservedCorsRule, ...]:
    return tuple(
        ObservedCorsRule(
            cors_rule_name=str(rule.get("corsRuleName", "")),
            allowed_origins=tuple(rule.get("allowedOrigins") or ()),
            allowed_operations=tuple(rule.get("allowedOperations") or ()),
            allowed_headers=tuple(rule.get("allowedHeaders") or ()),
            expose_headers=tuple(rule.get("exposeHeaders") or ()),
            max_age_seconds=rule.get("maxAgeSeconds"),
        )
        for rule in rules
    )


def _encryption(bucket_dict: Mapping[str, Any]) -> ObservedEncryption | None:
    """None when this key may not read it (B2 says isClientAuthorizedToRead: false)."""
    setting = bucket_dict.get("defaultServerSideEncryption") or {}
    if not setting.get("isClientAuthorizedToRead"):
        return None
    value = setting.get("value") or {}
    return ObservedEncryption(mode=value.get("mode") or "none", algorithm=value.get("algorithm"))


def _file_lock(bucket_dict: Mapping[str, Any]) -> ObservedFileLock | None:
    setting = bucket_dict.get("fileLockConfiguration") or {}
    if not setting.get("isClientAuthorizedToRead"):
        return None
    value = setting.get("value") or {}
    retention = value.get("defaultRetention") or {}
    period = retention.get("period") or {}
    return ObservedFileLock(
        enabled=bool(value.get("isFileLockEnabled")),
        mode=retention.get("mode") or None,
        duration=period.get("duration"),
        unit=period.get("unit"),
    )


def _may_list(session: _Session, bucket_name: str) -> bool:
    if "listBuckets" not in session.capabilities:
        return False
    if session.buckets is None:
        return True
    return any((b.name or "").casefold() == bucket_name.casefold() for b in session.buckets)


def _bucket_dict(session: _Session, bucket_name: str) -> Mapping[str, Any] | str | None:
    """The raw b2_list_buckets entry, None if absent, or the refusal as text."""
    try:
        found = session.api.list_buckets(bucket_name=bucket_name)
    except (Unauthorized, AccessDenied, RestrictedBucket) as error:
        return _describe(error)
    except B2Error as error:
        raise ReadError(
            f"{session.label}: B2 did not answer b2_list_buckets ({_describe(error)})"
        ) from None
    return found[0].bucket_dict if found else None


def _read_bucket(
    sessions: Sequence[_Session], bucket_name: str
) -> ObservedBucket | BucketAbsent | Unreadable:
    readers = [s for s in sessions if _may_list(s, bucket_name)]
    base: Mapping[str, Any] | None = None
    base_label = ""
    encryption: tuple[ObservedEncryption, str] | None = None
    lock: tuple[ObservedFileLock, str] | None = None
    refusals = []
    for session in readers:
        if base is not None:
            wants_encryption = encryption is None and ENCRYPTION_CAPABILITY in session.capabilities
            wants_lock = lock is None and RETENTION_CAPABILITY in session.capabilities
            if not (wants_encryption or wants_lock):
                continue
        entry = _bucket_dict(session, bucket_name)
        if entry is None:
            return BucketAbsent(looked_with=session.label)
        if isinstance(entry, str):
            refusals.append(f"{session.label}: {entry}")
            continue
        if base is None:
            base, base_label = entry, session.label
        found_encryption, found_lock = _encryption(entry), _file_lock(entry)
        if encryption is None and found_encryption is not None:
            encryption = (found_encryption, session.label)
        if lock is None and found_lock is not None:
            lock = (found_lock, session.label)
        if encryption is not None and lock is not None:
            break
    if base is None:
        detail = f" ({'; '.join(refusals)})" if refusals else ""
        return Unreadable(
            f"none of the keys given to the audit may list bucket {bucket_name!r} "
            f"(listBuckets on that bucket){detail}"
        )
    hint = f"give an account-level key in {ACCOUNT_KEY_ID} / {ACCOUNT_KEY} to check it"
    read_with = [base_label]
    for what, pair in (("encryption", encryption), ("file lock", lock)):
        if pair is not None and pair[1] != base_label:
            read_with.append(f"{what} with {pair[1]}")
    return ObservedBucket(
        name=str(base.get("bucketName", bucket_name)),
        bucket_id=str(base["bucketId"]),
        bucket_type=str(base.get("bucketType")),
        bucket_info=tuple(
            sorted((str(k), str(v)) for k, v in (base.get("bucketInfo") or {}).items())
        ),
        lifecycle=_lifecycle(base.get("lifecycleRules") or ()),
        cors=_cors(base.get("corsRules") or ()),
        encryption=encryption[0]
        if encryption
        else Unreadable(
            f"none of the keys given to the audit holds {ENCRYPTION_CAPABILITY}; {hint}"
        ),
        file_lock=lock[0]
        if lock
        else Unreadable(
            f"none of the keys given to the audit holds {RETENTION_CAPABILITY}; {hint}"
        ),
        read_with="; ".join(read_with),
    )


def _list_keys(session: _Session) -> tuple[ListedKey, ...] | Unreadable:
    if "listKeys" not in session.capabilities:
        return Unreadable("the account key given to the audit lacks listKeys")
    try:
        keys = list(session.api.list_keys())
    except (Unauthorized, AccessDenied) as error:
        return Unreadable(f"B2 refused b2_list_keys ({_describe(error)})")
    except B2Error as error:
        raise ReadError(
            f"{session.label}: B2 did not answer b2_list_keys ({_describe(error)})"
        ) from None
    return tuple(
        ListedKey(
            key_id=key.id_,
            key_name=key.key_name,
            capabilities=frozenset(key.capabilities),
            bucket_ids=None if key.bucket_ids is None else tuple(key.bucket_ids),
            name_prefix=key.name_prefix or None,
            expires_at=None
            if key.expiration_timestamp_millis is None
            else datetime.fromtimestamp(key.expiration_timestamp_millis / 1000, UTC),
        )
        for key in keys
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def read_state(
    bucket_name: str,
    credentials: AuditCredentials,
    *,
    api_factory: ApiFactory = default_api_factory,
    clock: Callable[[], datetime] = utc_now,
) -> ObservedState:
    """Everything the given keys can observe about the bucket and the account's keys."""
    observed_at = clock()
    sessions: list[_Session] = []
    account_keys: tuple[ListedKey, ...] | Unreadable = Unreadable(
        f"{ACCOUNT_KEY_ID} / {ACCOUNT_KEY} are not set"
    )
    if credentials.account is not None:
        account = _authorise(api_factory, credentials.account, ACCOUNT_LABEL)
        if isinstance(account, str):
            raise ReadError(
                f"B2 refused the account key in {ACCOUNT_KEY_ID} / {ACCOUNT_KEY} ({account}). "
                "Fix: give a valid account-level key (capabilities "
                f"{', '.join(AUDITOR_CAPABILITIES)} are enough), or unset both variables"
            )
        sessions.append(account)
        account_keys = _list_keys(account)
    role_keys = []
    for role, credential in credentials.roles.items():
        session = _authorise(api_factory, credential, f"the {role!r} role key")
        if isinstance(session, str):
            role_keys.append(ObservedRoleKey(role, credential.key_id, auth_error=session))
            continue
        sessions.append(session)
        role_keys.append(
            ObservedRoleKey(
                role=role,
                key_id=credential.key_id,
                capabilities=session.capabilities,
                buckets=session.buckets,
                name_prefix=session.name_prefix,
            )
        )
    return ObservedState(
        bucket_name=bucket_name,
        observed_at=observed_at,
        bucket=_read_bucket(sessions, bucket_name),
        role_keys=tuple(role_keys),
        account_keys=account_keys,
        audit_key_id=credentials.account.key_id if credentials.account else None,
    )
