"""Deployments that differ from the plan, and the check that must catch each one.

A mutation deploys a changed copy of an original plan (a capability added or
removed, another prefix, another lock) next to the others on one server; the
suite then runs `--env --plan-file <original>` against it, as a reviewer would.
Changed plans are built with `model_copy`, not the planner: they model what a
hand-edited or drifted deployment holds, which the planner may well refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra.core.b2_facts import Capability as C
from infra.core.expectations import capability_restriction
from infra.core.plan_builder import build_plan
from infra.core.plan_model import ObjectLockPlan, RetentionPeriod, StackPlan
from infra.local.capabilities import CAPABILITY_MAP, weed_unenforced

PROJECT = "pixeltable-b2"
SMOKE_CAPABILITIES = [
    C.LIST_BUCKETS,
    C.READ_BUCKETS,
    C.READ_BUCKET_RETENTIONS,
    C.LIST_FILES,
    C.READ_FILES,
    C.WRITE_FILES,
    C.DELETE_FILES,
]
LOCK_CAPABILITIES = [
    C.READ_FILE_RETENTIONS,
    C.WRITE_FILE_RETENTIONS,
    C.READ_FILE_LEGAL_HOLDS,
    C.WRITE_FILE_LEGAL_HOLDS,
    C.BYPASS_GOVERNANCE,
]


def _config(lock: dict[str, Any], keys: dict[str, list[C]]) -> dict[str, Any]:
    return {
        "region": "us-west-004",
        "bucket": {"name": "pxb2-mutation", "randomSuffix": True},
        "lifecycle": [{"prefix": "smoke/", "hideAfterDays": 1, "deleteHiddenAfterDays": 1}],
        "objectLock": lock,
        "keys": {
            role: {"capabilities": [c.value for c in caps], "namePrefix": "smoke/"}
            for role, caps in keys.items()
        },
    }


GOVERNANCE = _config(
    {"enabled": True, "mode": "governance", "days": 1},
    {
        "smoke": SMOKE_CAPABILITIES,
        "keeper": SMOKE_CAPABILITIES + LOCK_CAPABILITIES,
        "reader": [C.LIST_BUCKETS, C.READ_BUCKETS, C.LIST_FILES, C.READ_FILES],
        "writer": [C.LIST_BUCKETS, C.WRITE_FILES],
    },
)
COMPLIANCE = _config(
    {"enabled": True, "mode": "compliance", "days": 1},
    {"smoke": SMOKE_CAPABILITIES, "app": [c for c in SMOKE_CAPABILITIES if c != C.DELETE_FILES]},
)
UNLOCKED = _config({"enabled": False}, {"smoke": SMOKE_CAPABILITIES})
ORIGINALS = {"governance": GOVERNANCE, "compliance": COMPLIANCE, "unlocked": UNLOCKED}


def original(name: str) -> StackPlan:
    return build_plan(ORIGINALS[name], project=PROJECT, stack=name, source="test")


def plan_file_document(name: str) -> dict[str, Any]:
    """The original as a Pulumi.<stack>.yaml document, for `--plan-file`."""
    return {"config": {f"{PROJECT}:{k}": v for k, v in ORIGINALS[name].items()}}


def with_key(plan: StackPlan, role: str, **changes: Any) -> StackPlan:
    keys = tuple(k.model_copy(update=changes) if k.role == role else k for k in plan.keys)
    return plan.model_copy(update={"keys": keys})


def with_capabilities(plan: StackPlan, role: str, add=(), remove=()) -> StackPlan:
    held = set(plan.key(role).capabilities) - set(remove) | set(add)
    return with_key(plan, role, capabilities=tuple(sorted(held)))


def with_lock(plan: StackPlan, **lock: Any) -> StackPlan:
    return plan.model_copy(update={"object_lock": ObjectLockPlan(**lock)})


@dataclass(frozen=True)
class Mutation:
    """`deployed` is what the server holds; the suite runs as `role` with `original`'s plan."""

    id: str
    original: str
    deployed: StackPlan
    role: str
    check: str  # the failed check's name starts with this
    names: str  # and its message names this
    key_of: str | None = None  # run with another role's key
    wrong_secret: bool = False
    groups: tuple[str, ...] = ("preflight", "scoping")
    extra: dict[str, str] = field(default_factory=dict)


def _row(operation: str) -> str:
    return f"scoping: expectation [{operation}"


# The row that shows each capability missing (role `keeper` holds them all).
SHOWN_BY = {
    C.LIST_BUCKETS: _row("HeadBucket bucket"),
    C.READ_BUCKETS: _row("GetBucketLocation bucket"),
    C.READ_BUCKET_RETENTIONS: _row("GetObjectLockConfiguration bucket"),
    C.LIST_FILES: _row("ListObjectsV2 in-prefix"),
    C.READ_FILES: _row("GetObject in-prefix"),
    C.WRITE_FILES: _row("PutObject in-prefix"),
    C.DELETE_FILES: _row("DeleteObjectVersion in-prefix (hide marker)"),
    C.READ_FILE_RETENTIONS: _row("GetObjectRetention in-prefix"),
    C.WRITE_FILE_RETENTIONS: _row("PutObjectRetention in-prefix"),
    C.READ_FILE_LEGAL_HOLDS: _row("GetObjectLegalHold in-prefix"),
    C.WRITE_FILE_LEGAL_HOLDS: _row("PutObjectLegalHold in-prefix"),
    C.BYPASS_GOVERNANCE: _row("BypassGovernanceRetention in-prefix"),
}
# Roles of GOVERNANCE lacking each capability, for the "added" mutations.
ADD_TO = {
    C.READ_BUCKETS: "writer",
    C.LIST_FILES: "writer",
    C.READ_FILES: "writer",
    C.WRITE_FILES: "reader",
    C.DELETE_FILES: "reader",
    C.READ_BUCKET_RETENTIONS: "reader",
    **{c: "smoke" for c in LOCK_CAPABILITIES},
}


def locally_enforced(capability: C) -> bool:
    return capability_restriction(capability) not in weed_unenforced()


def _lock_mutation(
    id: str,
    plan: StackPlan,
    retention: tuple[str, int] | None,
    names: str,
    original_name: str = "governance",
) -> Mutation:
    """The bucket deployed with another lock: `retention` (mode, days), or no lock at all."""
    if retention is None:
        deployed = with_lock(plan, enabled=False, mode=None, period=None)
    else:
        period = RetentionPeriod(duration=retention[1], unit="days")
        deployed = with_lock(plan, enabled=True, mode=retention[0], period=period)
    return Mutation(
        id,
        original_name,
        deployed,
        "smoke",
        "bucket settings: object lock",
        names,
        groups=("preflight", "bucket settings"),
    )


def mutations() -> list[Mutation]:
    gov, comp, unlocked = original("governance"), original("compliance"), original("unlocked")
    found = []
    for capability, row in SHOWN_BY.items():
        found.append(
            Mutation(
                f"without-{capability}",
                "governance",
                with_capabilities(gov, "keeper", remove=[capability]),
                "keeper",
                row,
                capability,
            )
        )
    for capability, role in ADD_TO.items():
        found.append(
            Mutation(
                f"{role}-plus-{capability}",
                "governance",
                with_capabilities(gov, role, add=[capability]),
                role,
                "scoping: expectation",
                capability,
            )
        )
    found += [
        Mutation(
            "compliance-without-deleteFiles",
            "compliance",
            with_capabilities(comp, "smoke", remove=[C.DELETE_FILES]),
            "smoke",
            SHOWN_BY[C.DELETE_FILES],
            C.DELETE_FILES,
        ),
        Mutation(
            "compliance-app-plus-deleteFiles",
            "compliance",
            with_capabilities(comp, "app", add=[C.DELETE_FILES]),
            "app",
            SHOWN_BY[C.DELETE_FILES],
            C.DELETE_FILES,
        ),
        Mutation(
            "prefix-missing",
            "governance",
            with_key(gov, "smoke", name_prefix=None),
            "smoke",
            "scoping: expectation [PutObject outside-prefix]",
            "OVER-PRIVILEGED",
        ),
        Mutation(
            "prefix-wrong",
            "governance",
            with_key(gov, "smoke", name_prefix="media/"),
            "smoke",
            "scoping: expectation [PutObject in-prefix]",
            "name prefix",
        ),
        _lock_mutation("lock-planned-absent", gov, None, "the plan enables it"),
        _lock_mutation(
            "lock-present-unplanned", unlocked, ("governance", 1), "planned False", "unlocked"
        ),
        _lock_mutation(
            "retention-days-wrong",
            gov,
            ("governance", 2),
            "default retention is GOVERNANCE 2 days, planned GOVERNANCE 1 days",
        ),
        _lock_mutation(
            "retention-mode-wrong",
            gov,
            ("compliance", 1),
            "default retention is COMPLIANCE 1 days",
        ),
        Mutation(
            "wrong-secret",
            "governance",
            gov,
            "smoke",
            "connectivity: head bucket",
            "SignatureDoesNotMatch",
            wrong_secret=True,
            groups=("preflight", "connectivity", "scoping"),
        ),
        Mutation(
            "another-roles-key-more",
            "governance",
            gov,
            "smoke",
            "scoping: expectation",
            "OVER-PRIVILEGED",
            key_of="keeper",
        ),
        Mutation(
            "another-roles-key-less",
            "governance",
            gov,
            "smoke",
            "scoping: expectation [PutObject in-prefix]",
            C.WRITE_FILES,
            key_of="reader",
        ),
    ]
    return found


def not_showable() -> dict[str, str]:
    """Capability mutations the local server cannot show, and why (from its own table)."""
    reasons = {
        f"{C.LIST_BUCKETS} added": (
            "every role needs HeadBucket for the connectivity check, so no clean role lacks it"
        )
    }
    for capability, mapping in CAPABILITY_MAP.items():
        if capability in SHOWN_BY:
            continue
        if not mapping.weed_enforced:
            reasons[f"{capability} added or removed"] = mapping.why_not
        elif mapping.holders_note:
            reasons[f"{capability} added"] = f"holders get no local grant: {mapping.holders_note}"
    return reasons
