"""B2 capabilities in SeaweedFS terms: the one mapping table of the local emulation.

For every B2 capability it says which SeaweedFS identity actions a holder gets,
which S3 (IAM-style) actions the capability governs, and whether SeaweedFS
4.48 really refuses those actions to a key without it. Each "enforced" claim
was found by experiment against `weed mini` 4.48 and is shown again by
tests/integration/test_restrictions.py; every other restriction kind ends up in
`LocalDeployment.unenforced` with the sentence below.

How SeaweedFS 4.48 decides (observed):
- An identity's actions are `Read`, `List`, `Write`, `Tagging` or a granular
  name (`GetBucketObjectLockConfiguration`, `GetObjectRetention`,
  `BypassGovernanceRetention`, ...), each scoped `Action:bucket` (the bucket and
  everything in it) or `Action:bucket/prefix*` (only keys, and list prefixes,
  under the prefix). HeadBucket needs `List` and `Read` on the bucket itself;
  GetBucketLocation and GetBucketVersioning need `Read` on it.
- A bucket policy is evaluated before the identity's actions, with the action
  resolved from the request (`s3:DeleteObjectVersion` for a DELETE with a
  versionId, `s3:ListBucket` for both HeadBucket and ListObjects) and the
  condition keys `s3:prefix` and `s3:RequestMethod`. An explicit Deny there
  refuses the request (403 AccessDenied) whatever the identity holds.
So holders get coarse identity actions, and the Deny statements built from
`governs` take back what B2 would refuse to a key lacking a capability.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.core import b2_facts as b2
from infra.core.b2_facts import Capability as C
from infra.core.expectations import (
    BUCKET_SCOPE,
    NAME_PREFIX,
    OBJECT_LOCK,
    capability_grant,
    capability_restriction,
)
from infra.core.s3_operations import OPERATIONS, WITHOUT_S3_OPERATION, On

__all__ = ["CAPABILITY_MAP", "LIST_ACTIONS", "On", "S3Rule", "WeedGrant"]


@dataclass(frozen=True)
class WeedGrant:
    """One SeaweedFS identity action given to holders of a capability."""

    action: str
    on: On


@dataclass(frozen=True)
class S3Rule:
    """S3 actions a capability governs, optionally only for one HTTP method.

    `method` separates requests that SeaweedFS (and AWS) resolve to the same
    action: HeadBucket is `s3:ListBucket` with HEAD, a listing is GET.
    """

    actions: tuple[str, ...]
    on: On
    method: str | None = None


@dataclass(frozen=True)
class CapabilityMapping:
    grants: tuple[WeedGrant, ...]
    governs: tuple[S3Rule, ...]
    weed_enforced: bool
    why_not: str = ""  # when not enforced: why, as the end of a sentence
    holders_note: str = ""  # when holders get no local grant: what they cannot do locally


def core_rules(capability: C) -> tuple[S3Rule, ...]:
    """The S3 actions the core table (`infra.core.s3_operations.OPERATIONS`) gives a capability."""
    grouped: dict[tuple[On, str | None], list[str]] = {}
    for rule in OPERATIONS.values():
        if rule.capability == capability:
            actions = grouped.setdefault((rule.on, rule.method), [])
            if rule.iam_action not in actions:
                actions.append(rule.iam_action)
    return tuple(S3Rule(tuple(a), on, method) for (on, method), a in grouped.items())


LIST_ACTIONS = core_rules(C.LIST_FILES)[0].actions
_ADMIN_ONLY = "SeaweedFS serves bucket encryption settings to its admin identity only"


def _enforced(
    capability: C, *grants: WeedGrant, extra: tuple[S3Rule, ...] = (), holders_note: str = ""
) -> CapabilityMapping:
    """Holders get `grants`; a key lacking `capability` is denied the core table's actions."""
    return CapabilityMapping(
        grants=grants,
        governs=(*core_rules(capability), *extra),
        weed_enforced=True,
        holders_note=holders_note,
    )


def _objects(action: str) -> WeedGrant:
    return WeedGrant(action, On.OBJECTS)


CAPABILITY_MAP: dict[str, CapabilityMapping] = {
    C.LIST_ALL_BUCKET_NAMES: CapabilityMapping(
        grants=(),
        governs=(),
        weed_enforced=False,
        why_not=(
            "SeaweedFS answers ListBuckets for every identity, listing the buckets it may use, "
            "while B2 refuses ListBuckets to a bucket-scoped key without listAllBucketNames"
        ),
    ),
    C.LIST_BUCKETS: CapabilityMapping(
        # SeaweedFS 4.48 answers HeadBucket only with List and Read on the bucket; what Read
        # adds beyond HeadBucket is taken back by the Deny statements of what the key lacks.
        grants=(WeedGrant("List", On.BUCKET), WeedGrant("Read", On.BUCKET)),
        governs=core_rules(C.LIST_BUCKETS),
        weed_enforced=False,
        why_not=(
            "HeadBucket is refused without listBuckets, but SeaweedFS never refuses ListBuckets "
            "itself; it answers with the buckets the identity may use"
        ),
    ),
    C.READ_BUCKETS: _enforced(
        C.READ_BUCKETS, WeedGrant("Read", On.BUCKET), WeedGrant("ReadAcp", On.BUCKET)
    ),
    C.READ_BUCKET_RETENTIONS: _enforced(
        C.READ_BUCKET_RETENTIONS, WeedGrant("GetBucketObjectLockConfiguration", On.BUCKET)
    ),
    C.WRITE_BUCKET_RETENTIONS: _enforced(
        C.WRITE_BUCKET_RETENTIONS,
        holders_note="changing the bucket's default retention is left to the admin identity",
    ),
    C.READ_BUCKET_ENCRYPTION: _enforced(C.READ_BUCKET_ENCRYPTION, holders_note=_ADMIN_ONLY),
    C.WRITE_BUCKET_ENCRYPTION: _enforced(C.WRITE_BUCKET_ENCRYPTION, holders_note=_ADMIN_ONLY),
    C.LIST_FILES: _enforced(C.LIST_FILES, _objects("List")),
    C.READ_FILES: _enforced(
        C.READ_FILES,
        _objects("Read"),
        extra=(S3Rule(("s3:GetObjectVersion", "s3:GetObjectAcl"), On.OBJECTS),),
    ),
    C.WRITE_FILES: _enforced(
        C.WRITE_FILES,
        _objects("Write"),
        extra=(
            S3Rule(
                ("s3:UploadPart", "s3:CompleteMultipartUpload", "s3:AbortMultipartUpload"),
                On.OBJECTS,
            ),
        ),
    ),
    C.DELETE_FILES: _enforced(C.DELETE_FILES, _objects("Write")),
    C.READ_FILE_LEGAL_HOLDS: _enforced(C.READ_FILE_LEGAL_HOLDS, _objects("GetObjectLegalHold")),
    C.WRITE_FILE_LEGAL_HOLDS: _enforced(C.WRITE_FILE_LEGAL_HOLDS, _objects("PutObjectLegalHold")),
    C.READ_FILE_RETENTIONS: _enforced(C.READ_FILE_RETENTIONS, _objects("GetObjectRetention")),
    C.WRITE_FILE_RETENTIONS: _enforced(C.WRITE_FILE_RETENTIONS, _objects("PutObjectRetention")),
    C.BYPASS_GOVERNANCE: _enforced(C.BYPASS_GOVERNANCE, _objects("BypassGovernanceRetention")),
    # Account-level: a bucket-scoped key never holds these (the planner refuses them).
    C.WRITE_BUCKETS: _enforced(
        C.WRITE_BUCKETS,
        extra=(
            S3Rule(
                ("s3:PutBucket*", "s3:DeleteBucket*", "s3:PutLifecycleConfiguration"), On.BUCKET
            ),
        ),
    ),
    C.DELETE_BUCKETS: _enforced(C.DELETE_BUCKETS, extra=(S3Rule(("s3:DeleteBucket",), On.BUCKET),)),
}
# The rest have no S3 operation at all (infra.core.s3_operations.WITHOUT_S3_OPERATION).
for _capability, _reason in WITHOUT_S3_OPERATION.items():
    CAPABILITY_MAP.setdefault(
        _capability,
        CapabilityMapping(grants=(), governs=(), weed_enforced=False, why_not=_reason),
    )

# Restriction kinds besides capabilities, and whether SeaweedFS 4.48 enforces them.
# BUCKET_SCOPE: identities name only the plan's bucket. NAME_PREFIX: object actions
# outside the prefix and listings with another (or no) prefix are denied by the bucket
# policy. OBJECT_LOCK: locked versions refuse deletion without bypassGovernance.
WEED_ENFORCES_SCOPES: dict[str, bool] = {BUCKET_SCOPE: True, NAME_PREFIX: True, OBJECT_LOCK: True}


def all_restriction_kinds() -> frozenset[str]:
    """Every kind an expectation can rely on."""
    return frozenset(WEED_ENFORCES_SCOPES) | {capability_restriction(c) for c in b2.CAPABILITIES}


def weed_unenforced() -> frozenset[str]:
    """The restriction kinds SeaweedFS 4.48 cannot enforce, and the capabilities it cannot
    grant to a holder (both found by experiment)."""
    scopes = {kind for kind, enforced in WEED_ENFORCES_SCOPES.items() if not enforced}
    capabilities = {
        capability_restriction(name)
        for name, mapping in CAPABILITY_MAP.items()
        if not mapping.weed_enforced
    }
    # Capabilities whose holders get no local grant: an allowed row cannot be shown.
    ungranted = {
        capability_grant(name) for name, mapping in CAPABILITY_MAP.items() if mapping.holders_note
    }
    return frozenset(scopes | capabilities | ungranted)


def unenforced_notes(unenforced: frozenset[str]) -> tuple[str, ...]:
    """One sentence per reason, naming the capabilities it covers."""
    by_reason: dict[str, list[str]] = {}
    for name, mapping in CAPABILITY_MAP.items():
        if capability_restriction(name) in unenforced:
            by_reason.setdefault(mapping.why_not, []).append(name)
    return tuple(
        f"Not enforced locally: {', '.join(names)}: {reason}."
        for reason, names in by_reason.items()
    )


def holders_notes(held: set[str]) -> tuple[str, ...]:
    """Sentences for capabilities the plan grants but the local server does not emulate."""
    return tuple(
        f"Capability {name} is held in the plan but not granted locally: {mapping.holders_note}."
        for name, mapping in CAPABILITY_MAP.items()
        if name in held and mapping.holders_note
    )
