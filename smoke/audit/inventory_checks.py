"""Checks of the account's key list: planned keys present, no unmanaged key reaching the bucket."""

from __future__ import annotations

from infra.core.plan_model import StackPlan
from infra.core.problems import field_path
from smoke.audit.findings import CheckList, Finding, Severity
from smoke.audit.observed import ObservedState, Unreadable
from smoke.audit.wording import caps_text, prefix_text

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def account_checks(
    out: CheckList, plan: StackPlan, state: ObservedState, accepted: frozenset[str] = frozenset()
) -> list[str]:
    """Planned keys present, no unknown key reaching the bucket; returns notes on accepted keys."""
    keys = state.account_keys
    if isinstance(keys, Unreadable):
        reason = f"the key inventory needs an account-level key with listKeys ({keys.reason})"
        for key in plan.keys:
            out.skip(
                f"account.planned-key.{key.role}", f"planned key {key.key_name} exists", reason
            )
        out.skip("account.unmanaged-access", "no key outside the plan reaches the bucket", reason)
        return []
    by_name: dict[str, list] = {}  # one pass over the account's keys, not one per role
    for listed in keys:
        by_name.setdefault(listed.key_name, []).append(listed)
    for key in plan.keys:
        check = f"account.planned-key.{key.role}"
        matches = by_name.get(key.key_name, [])
        findings = []
        if not matches:
            findings.append(
                Finding(
                    check,
                    ERROR,
                    "planned key missing",
                    "keyName",
                    repr(key.key_name),
                    "(no key with that name)",
                    "run `pulumi refresh` and `pulumi up` to recreate it, then hand the new "
                    "secret to its consumers (CI secrets)",
                )
            )
        elif len(matches) > 1:
            findings.append(
                Finding(
                    check,
                    WARNING,
                    f"{len(matches)} keys share the planned name",
                    "keyName",
                    f"one key named {key.key_name!r}",
                    "ids " + ", ".join(k.key_id for k in matches),
                    "keep the key in `pulumi stack output` and delete the others",
                )
            )
        out.add(check, f"planned key {key.key_name} exists", findings)
    planned_names = {k.key_name for k in plan.keys}
    bucket_id = state.bucket_id
    outside = [
        k
        for k in keys
        if k.key_name not in planned_names
        and k.key_id != state.audit_key_id
        and k.reaches(bucket_id)
    ]
    unmanaged = [k for k in outside if k.key_name not in accepted]
    out.add(
        "account.unmanaged-access",
        "no key outside the plan reaches the bucket",
        [
            Finding(
                "account.unmanaged-access",
                ERROR,
                "unmanaged access: a key the plan does not know reaches the bucket",
                f"key {k.key_name!r} (id {k.key_id})",
                "(no such key)",
                f"{'every bucket' if k.bucket_ids is None else 'this bucket'}; "
                f"prefix {prefix_text(k.name_prefix)}; capabilities {caps_text(k.capabilities)}",
                "delete it (`b2 key delete " + k.key_id + "`) if nobody needs it, add the "
                f"role to {field_path('keys')} so the plan manages it, or - for a known tool "
                f"such as the deployer's key - accept it with --accept-key {k.key_name}",
            )
            for k in unmanaged
        ],
    )
    return [
        f"accepted key {k.key_name!r} (id {k.key_id}) reaches the bucket "
        f"({'every bucket' if k.bucket_ids is None else 'this bucket'}; "
        f"capabilities {caps_text(k.capabilities)})"
        for k in outside
        if k.key_name in accepted
    ]
