"""Checks of each role's key: authorisation, capabilities, bucket, prefix, identity, expiry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.core import b2_facts as b2
from infra.core.plan_model import KeyPlan
from infra.core.problems import field_path
from smoke.audit.findings import CheckList, Finding, Severity
from smoke.audit.observed import BucketRef, ListedKey, ObservedRoleKey, ObservedState, Unreadable
from smoke.audit.wording import caps_text, immutable_key_fix, prefix_text, when_text

ERROR, WARNING = Severity.ERROR, Severity.WARNING
DEFAULT_EXPIRY_WARNING_DAYS = 14
DEFAULT_EXPIRY_TOLERANCE_SECONDS = 600


@dataclass(frozen=True)
class AuditSettings:
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS
    expiry_tolerance_seconds: int = DEFAULT_EXPIRY_TOLERANCE_SECONDS
    # --account-key-only: read each role's key from the account's key list, without its secret
    from_key_list: bool = False


def _capability_findings(check: str, plan: KeyPlan, key: ObservedRoleKey) -> list[Finding]:
    planned, actual = set(plan.capabilities), set(key.capabilities)
    found = []
    extra, missing = sorted(actual - planned), sorted(planned - actual)
    config = field_path("keys", (plan.role, "capabilities"))
    if extra:
        found.append(
            Finding(
                check,
                ERROR,
                f"over-privileged: holds {', '.join(extra)} beyond the plan",
                "capabilities",
                caps_text(planned),
                caps_text(actual),
                immutable_key_fix(plan.role, key.key_id)
                + f"; if {', '.join(extra)} is really needed, add it to {config} first",
            )
        )
    if missing:
        found.append(
            Finding(
                check,
                ERROR,
                f"under-privileged: lacks {', '.join(missing)}",
                "capabilities",
                caps_text(planned),
                caps_text(actual),
                immutable_key_fix(plan.role, key.key_id),
            )
        )
    return found


def _bucket_restriction_findings(
    check: str, plan: KeyPlan, key: ObservedRoleKey, state: ObservedState
) -> list[Finding]:
    planned = repr(state.bucket_name)
    fix = immutable_key_fix(plan.role, key.key_id)
    if plan.account_wide:
        if key.buckets is None:
            return []
        return [
            Finding(
                check,
                ERROR,
                "restricted to a bucket although the plan makes the key account-wide",
                "bucketIds",
                "(none: account-wide, read-only)",
                ", ".join(repr(ref.name or ref.bucket_id) for ref in key.buckets),
                fix,
            )
        ]
    if key.buckets is None:
        return [
            Finding(
                check,
                ERROR,
                "over-privileged: not restricted to a bucket (reaches every bucket)",
                "bucketIds",
                planned,
                "(none: every bucket in the account)",
                fix,
            )
        ]
    shown = ", ".join(
        repr(ref.name) if ref.name else f"deleted bucket {ref.bucket_id}" for ref in key.buckets
    )
    gone = [ref for ref in key.buckets if ref.name is None]
    if gone:
        return [
            Finding(
                check,
                ERROR,
                "restricted to a bucket that no longer exists",
                "bucketIds",
                planned,
                shown,
                fix,
            )
        ]
    names = {ref.name.casefold() for ref in key.buckets if ref.name}
    if names != {state.bucket_name.casefold()}:
        summary = (
            "over-privileged: also reaches other buckets"
            if state.bucket_name.casefold() in names
            else "restricted to the wrong bucket"
        )
        return [Finding(check, ERROR, summary, "bucketIds", planned, shown, fix)]
    bucket_id = state.bucket_id
    if bucket_id is not None and key.buckets[0].bucket_id != bucket_id:
        return [
            Finding(
                check,
                ERROR,
                "restricted to an older bucket of the same name",
                "bucketIds",
                f"{planned} (id {bucket_id})",
                f"id {key.buckets[0].bucket_id}",
                fix,
            )
        ]
    return []


def _prefix_findings(check: str, plan: KeyPlan, key: ObservedRoleKey) -> list[Finding]:
    planned, actual = plan.name_prefix or None, key.name_prefix or None
    if planned == actual:
        return []
    if actual is None:
        summary = "over-privileged: no name prefix (reaches every object in the bucket)"
    elif planned is not None and planned.startswith(actual):
        summary = "over-privileged: name prefix is broader than planned"
    else:
        summary = "name prefix differs from the plan"
    return [
        Finding(
            check,
            ERROR,
            summary,
            "namePrefix",
            prefix_text(planned),
            prefix_text(actual),
            immutable_key_fix(plan.role, key.key_id),
        )
    ]


def _listed(state: ObservedState, key_id: str) -> ListedKey | None:
    if isinstance(state.account_keys, Unreadable):
        return None
    return next((k for k in state.account_keys if k.key_id == key_id), None)


def _identity_findings(check: str, plan: KeyPlan, listed: ListedKey | None) -> list[Finding]:
    if listed is None:
        return [
            Finding(
                check,
                ERROR,
                "the role's key is not in this account's key list",
                "applicationKeyId",
                f"a key named {plan.key_name!r}",
                "(not listed: a key of another B2 account?)",
                "give the audit this role's credential from `pulumi stack output --show-secrets` "
                "of this stack, and an account key of the same account",
            )
        ]
    if listed.key_name == plan.key_name:
        return []
    return [
        Finding(
            check,
            ERROR,
            "stale credential: it belongs to another key than the planned one",
            "keyName",
            repr(plan.key_name),
            repr(listed.key_name),
            immutable_key_fix(plan.role, listed.key_id),
        )
    ]


def _expiry_findings(
    check: str, plan: KeyPlan, listed: ListedKey, now: datetime, settings: AuditSettings
) -> list[Finding]:
    found = []
    planned_seconds = plan.valid_duration_seconds
    expires = listed.expires_at
    planned_text = (
        "never expires"
        if planned_seconds is None
        else f"valid {planned_seconds // b2.SECONDS_PER_DAY} days from creation "
        f"(so by {when_text(now + timedelta(seconds=planned_seconds))} at the latest)"
    )
    rotate = (
        f"rotate it: increase {field_path('keys', (plan.role, 'rotation'))} and run "
        "`pulumi up`, then update the key's consumers (CI secrets) with the new secret"
    )
    if expires is not None and expires <= now:
        found.append(
            Finding(
                check,
                ERROR,
                "key has expired",
                "expirationTimestamp",
                planned_text,
                when_text(expires),
                rotate,
            )
        )
        return found
    if planned_seconds is None and expires is not None:
        found.append(
            Finding(
                check,
                ERROR,
                "key expires although the plan says it never does",
                "expirationTimestamp",
                planned_text,
                when_text(expires),
                immutable_key_fix(plan.role, listed.key_id),
            )
        )
    elif planned_seconds is not None and expires is None:
        found.append(
            Finding(
                check,
                ERROR,
                "key never expires although the plan limits its lifetime",
                "expirationTimestamp",
                planned_text,
                "never",
                immutable_key_fix(plan.role, listed.key_id),
            )
        )
    elif planned_seconds is not None and expires is not None:
        latest = now + timedelta(seconds=planned_seconds + settings.expiry_tolerance_seconds)
        if expires > latest:
            found.append(
                Finding(
                    check,
                    ERROR,
                    "key outlives the plan: it expires later than the plan allows",
                    "expirationTimestamp",
                    planned_text,
                    when_text(expires),
                    immutable_key_fix(plan.role, listed.key_id),
                )
            )
    if expires is not None and expires - now <= timedelta(days=settings.expiry_warning_days):
        left = expires - now
        found.append(
            Finding(
                check,
                WARNING,
                f"key expires soon: in {left.days} days {left.seconds // 3600} hours "
                f"(warning threshold {settings.expiry_warning_days} days)",
                "expirationTimestamp",
                planned_text,
                when_text(expires),
                rotate + f" before {when_text(expires)}",
            )
        )
    return found


def role_checks(
    out: CheckList, plan: KeyPlan, state: ObservedState, now: datetime, settings: AuditSettings
) -> None:
    base = f"key.{plan.role}"
    key = state.role_key(plan.role)
    descriptions = {
        "authorise": f"role {plan.role!r}: the key authorises with B2",
        "capabilities": f"role {plan.role!r}: capabilities are exactly the planned set",
        "bucket": (
            f"role {plan.role!r}: account-wide, as planned"
            if plan.account_wide
            else f"role {plan.role!r}: restricted to exactly the planned bucket"
        ),
        "name-prefix": f"role {plan.role!r}: name prefix is the planned one",
        "identity": f"role {plan.role!r}: the credential is the planned key ({plan.key_name})",
        "expiry": f"role {plan.role!r}: expiry is as planned and not imminent",
    }
    if key is None and settings.from_key_list:
        _listed_role_checks(out, plan, state, now, settings, descriptions)
        return
    if key is None:
        for part, text in descriptions.items():
            out.skip(f"{base}.{part}", text, "no credential for this role was given to the audit")
        return
    if not key.authorised:
        out.add(
            f"{base}.authorise",
            descriptions["authorise"],
            [
                Finding(
                    f"{base}.authorise",
                    ERROR,
                    "cannot authorise with the role's key",
                    "b2_authorize_account",
                    f"key {key.key_id} authorises",
                    f"refused: {key.auth_error}",
                    "the key was deleted or has expired, or the secret given to the audit is "
                    "wrong: compare with `pulumi stack output --show-secrets`; if the planned "
                    "key is gone run `pulumi refresh` and `pulumi up`, then update its consumers",
                )
            ],
        )
        reason = "could not authorise with the role's key (see the authorise check)"
        for part in ("capabilities", "bucket", "name-prefix", "identity", "expiry"):
            out.skip(f"{base}.{part}", descriptions[part], reason)
        return
    out.add(f"{base}.authorise", descriptions["authorise"])
    out.add(
        f"{base}.capabilities",
        descriptions["capabilities"],
        _capability_findings(f"{base}.capabilities", plan, key),
    )
    out.add(
        f"{base}.bucket",
        descriptions["bucket"],
        _bucket_restriction_findings(f"{base}.bucket", plan, key, state),
    )
    out.add(
        f"{base}.name-prefix",
        descriptions["name-prefix"],
        _prefix_findings(f"{base}.name-prefix", plan, key),
    )
    if isinstance(state.account_keys, Unreadable):
        reason = (
            "B2 reveals a key's name and expiry only through b2_list_keys, which needs an "
            f"account-level key with listKeys ({state.account_keys.reason})"
        )
        out.skip(f"{base}.identity", descriptions["identity"], reason)
        out.skip(f"{base}.expiry", descriptions["expiry"], reason)
        return
    listed = _listed(state, key.key_id)
    out.add(
        f"{base}.identity",
        descriptions["identity"],
        _identity_findings(f"{base}.identity", plan, listed),
    )
    if listed is None:
        out.skip(
            f"{base}.expiry",
            descriptions["expiry"],
            "the key is not in the account's key list (see the identity check)",
        )
    else:
        out.add(
            f"{base}.expiry",
            descriptions["expiry"],
            _expiry_findings(f"{base}.expiry", plan, listed, now, settings),
        )


def _as_observed(plan: KeyPlan, listed: ListedKey, state: ObservedState) -> ObservedRoleKey:
    """A listed key in the shape the per-key checks read (bucket names known for ours only)."""
    buckets = None
    if listed.bucket_ids is not None:
        buckets = tuple(
            BucketRef(i, state.bucket_name if i == state.bucket_id else f"(bucket id {i})")
            for i in listed.bucket_ids
        )
    return ObservedRoleKey(
        role=plan.role,
        key_id=listed.key_id,
        capabilities=listed.capabilities,
        buckets=buckets,
        name_prefix=listed.name_prefix,
    )


def _listed_role_checks(
    out: CheckList,
    plan: KeyPlan,
    state: ObservedState,
    now: datetime,
    settings: AuditSettings,
    descriptions: dict[str, str],
) -> None:
    """A role's key as `b2_list_keys` shows it: what a read-only auditor key can check."""
    base = f"key.{plan.role}"
    listed_only = (
        "--account-key-only: the key was read from the account's key list, without its secret"
    )
    out.skip(f"{base}.authorise", descriptions["authorise"], listed_only)
    out.skip(f"{base}.identity", descriptions["identity"], listed_only)
    parts = ("capabilities", "bucket", "name-prefix", "expiry")
    if isinstance(state.account_keys, Unreadable):
        for part in parts:
            out.skip(f"{base}.{part}", descriptions[part], state.account_keys.reason)
        return
    # Every key under the planned name is checked (duplicates are also an inventory warning).
    matches = [k for k in state.account_keys if k.key_name == plan.key_name]
    if not matches:
        reason = f"no key named {plan.key_name!r} is listed (see account.planned-key.{plan.role})"
        for part in parts:
            out.skip(f"{base}.{part}", descriptions[part], reason)
        return
    keys = [(listed, _as_observed(plan, listed, state)) for listed in matches]
    findings_of: dict[str, Callable[[str, ListedKey, ObservedRoleKey], list[Finding]]] = {
        "capabilities": lambda check, _, key: _capability_findings(check, plan, key),
        "bucket": lambda check, _, key: _bucket_restriction_findings(check, plan, key, state),
        "name-prefix": lambda check, _, key: _prefix_findings(check, plan, key),
        "expiry": lambda check, listed, _: _expiry_findings(check, plan, listed, now, settings),
    }
    for part in parts:
        check = f"{base}.{part}"
        found = [f for listed, key in keys for f in findings_of[part](check, listed, key)]
        out.add(check, descriptions[part], found)
