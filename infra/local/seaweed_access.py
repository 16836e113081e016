"""The plan's keys as SeaweedFS identities plus a bucket policy. Pure.

Identities (the `-s3.config` file) grant what each role's capabilities allow;
the bucket policy's Deny statements take back what B2 refuses: operations of
capabilities the role lacks, and everything outside its name prefix. The
table behind both is `infra.local.capabilities.CAPABILITY_MAP`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.core.plan_model import KeyPlan, StackPlan
from infra.core.runtime_env import KeyPair
from infra.local.capabilities import CAPABILITY_MAP, LIST_ACTIONS, On
from infra.local.model import LocalServerError

# SeaweedFS 4.48 puts identities from -s3.config into this account; bucket policies
# name them as arn:aws:iam::<account>:user/<identity name>.
WEED_ACCOUNT_ID = "000000000000"
ADMIN_IDENTITY = "pxb2-admin"
POLICY_VERSION = "2012-10-17"
_WILDCARDS = ("*", "?")


def identity_name(role: str, tag: str = "") -> str:
    """`tag` keeps the identities of several plans on one server apart."""
    return f"pxb2-{tag}{role}"


def principal_arn(role: str, tag: str = "") -> str:
    return f"arn:aws:iam::{WEED_ACCOUNT_ID}:user/{identity_name(role, tag)}"


def _check_prefix(key: KeyPlan) -> None:
    prefix = key.name_prefix or ""
    if any(w in prefix for w in _WILDCARDS):
        raise LocalServerError(
            f"keys.{key.role}.namePrefix = {prefix!r}: the local server matches prefixes with "
            "'*' and '?' as wildcards, so a prefix containing them cannot be emulated. Fix: "
            "use a prefix without '*' or '?' for local runs."
        )


def _weed_scope(on: On, bucket: str, prefix: str | None) -> str:
    if on is On.OBJECTS and prefix:
        return f"{bucket}/{prefix}*"
    return bucket


def weed_actions(key: KeyPlan, bucket: str) -> list[str]:
    """The identity actions of one role, e.g. `List:bucket`, `Write:bucket/media/*`."""
    _check_prefix(key)
    actions = {
        f"{grant.action}:{_weed_scope(grant.on, bucket, key.name_prefix)}"
        for capability in key.capabilities
        for grant in CAPABILITY_MAP[capability].grants
    }
    return sorted(actions)


def role_identities(
    plan: StackPlan, bucket: str, credentials: Mapping[str, KeyPair], tag: str = ""
) -> list[dict[str, Any]]:
    """One identity per role of the plan, scoped to `bucket`."""
    return [
        identity_entry(
            identity_name(key.role, tag), credentials[key.role], weed_actions(key, bucket)
        )
        for key in plan.keys
    ]


def identity_entry(name: str, creds: KeyPair, actions: list[str]) -> dict[str, Any]:
    """One identity of the `-s3.config` file."""
    return {
        "name": name,
        "credentials": [{"accessKey": creds.access_key_id, "secretKey": creds.secret_access_key}],
        "actions": actions,
    }


def identities_document(
    plan: StackPlan,
    bucket: str,
    credentials: Mapping[str, KeyPair],
    admin: KeyPair,
) -> dict[str, Any]:
    """The `-s3.config` JSON: one identity per role plus the admin identity."""
    identities = [identity_entry(ADMIN_IDENTITY, admin, ["Admin"])]
    return {"identities": identities + role_identities(plan, bucket, credentials)}


def _resource(on: On, bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}" if on is On.BUCKET else f"arn:aws:s3:::{bucket}/*"


def _sid(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", "".join(p[:1].upper() + p[1:] for p in parts))


def _deny(sid: str, principal: str, actions: list[str], **where: Any) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": {"AWS": [principal]},
        "Action": actions,
        **where,
    }


def _lacking_statements(key: KeyPlan, bucket: str, principal: str) -> list[dict[str, Any]]:
    """Deny what the capabilities the key lacks govern, one statement per target."""
    grouped: dict[tuple[On, str | None], set[str]] = {}
    for name, mapping in CAPABILITY_MAP.items():
        if key.can(name):
            continue
        for rule in mapping.governs:
            grouped.setdefault((rule.on, rule.method), set()).update(rule.actions)
    statements = []
    for (on, method), actions in sorted(
        grouped.items(), key=lambda i: (i[0][0].value, i[0][1] or "")
    ):
        where: dict[str, Any] = {"Resource": [_resource(on, bucket)]}
        if method:
            where["Condition"] = {"StringEquals": {"s3:RequestMethod": method}}
        sid = _sid(key.role, "lacks", on.value, method or "any")
        statements.append(_deny(sid, principal, sorted(actions), **where))
    return statements


def _prefix_statements(key: KeyPlan, bucket: str, principal: str) -> list[dict[str, Any]]:
    """Deny objects outside the name prefix, and listings with another or no prefix."""
    prefix = key.name_prefix
    if not prefix:
        return []
    bucket_arn = f"arn:aws:s3:::{bucket}"
    listing = list(LIST_ACTIONS)
    return [
        _deny(
            _sid(key.role, "outsidePrefix"),
            principal,
            ["s3:*"],
            NotResource=[bucket_arn, f"{bucket_arn}/{prefix}*"],
        ),
        _deny(
            _sid(key.role, "listOutsidePrefix"),
            principal,
            listing,
            Resource=[bucket_arn],
            Condition={
                "StringNotLike": {"s3:prefix": [f"{prefix}*"]},
                "Null": {"s3:prefix": "false"},
            },
        ),
        _deny(
            _sid(key.role, "listWithoutPrefix"),
            principal,
            listing,
            Resource=[bucket_arn],
            Condition={
                "Null": {"s3:prefix": "true"},
                "StringEquals": {"s3:RequestMethod": "GET"},
            },
        ),
    ]


def bucket_policy(plan: StackPlan, bucket: str, tag: str = "") -> dict[str, Any] | None:
    """The bucket policy with every role's Deny statements, or None without roles."""
    statements = []
    for key in plan.keys:
        _check_prefix(key)
        principal = principal_arn(key.role, tag)
        statements += _lacking_statements(key, bucket, principal)
        statements += _prefix_statements(key, bucket, principal)
    if not statements:
        return None
    return {"Version": POLICY_VERSION, "Statement": statements}
