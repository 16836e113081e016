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
  under the prefix). HeadBucket needs `List` on the bucket itself;
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
from enum import StrEnum

from infra import b2_facts as b2
from infra.expectations import BUCKET_SCOPE, NAME_PREFIX, OBJECT_LOCK, capability_restriction


class On(StrEnum):
    """What an action applies to."""

    BUCKET = "bucket"  # the bucket itself (arn:aws:s3:::B; SeaweedFS `Action:B`)
    OBJECTS = "objects"  # the key's objects (arn:aws:s3:::B/P*; SeaweedFS `Action:B/P*`)


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


LIST_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads")
_NO_KEY_API = "key management has no S3 operation and the local server runs without an IAM API"
_ADMIN_ONLY = "SeaweedFS serves bucket encryption settings to its admin identity only"

CAPABILITY_MAP: dict[str, CapabilityMapping] = {
    "listAllBucketNames": CapabilityMapping(
        grants=(),
        governs=(),
        weed_enforced=False,
        why_not=(
            "SeaweedFS answers ListBuckets for every identity, listing the buckets it may use, "
            "while B2 refuses ListBuckets to a bucket-scoped key without listAllBucketNames"
        ),
    ),
    "listBuckets": CapabilityMapping(
        grants=(WeedGrant("List", On.BUCKET),),
        governs=(S3Rule(("s3:ListBucket",), On.BUCKET, method="HEAD"),),
        weed_enforced=False,
        why_not=(
            "HeadBucket is refused without listBuckets, but SeaweedFS never refuses ListBuckets "
            "itself; it answers with the buckets the identity may use"
        ),
    ),
    "readBuckets": CapabilityMapping(
        grants=(WeedGrant("Read", On.BUCKET), WeedGrant("ReadAcp", On.BUCKET)),
        governs=(
            S3Rule(
                ("s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetBucketAcl"), On.BUCKET
            ),
        ),
        weed_enforced=True,
    ),
    "readBucketRetentions": CapabilityMapping(
        grants=(WeedGrant("GetBucketObjectLockConfiguration", On.BUCKET),),
        governs=(S3Rule(("s3:GetBucketObjectLockConfiguration",), On.BUCKET),),
        weed_enforced=True,
    ),
    "writeBucketRetentions": CapabilityMapping(
        grants=(),
        governs=(S3Rule(("s3:PutBucketObjectLockConfiguration",), On.BUCKET),),
        weed_enforced=True,
        holders_note="changing the bucket's default retention is left to the admin identity",
    ),
    "readBucketEncryption": CapabilityMapping(
        grants=(),
        governs=(S3Rule(("s3:GetBucketEncryption",), On.BUCKET),),
        weed_enforced=True,
        holders_note=_ADMIN_ONLY,
    ),
    "writeBucketEncryption": CapabilityMapping(
        grants=(),
        governs=(S3Rule(("s3:PutBucketEncryption",), On.BUCKET),),
        weed_enforced=True,
        holders_note=_ADMIN_ONLY,
    ),
    "readBucketNotifications": CapabilityMapping(
        grants=(),
        governs=(),
        weed_enforced=False,
        why_not="B2 event notifications have no S3 operation to emulate",
    ),
    "writeBucketNotifications": CapabilityMapping(
        grants=(),
        governs=(),
        weed_enforced=False,
        why_not="B2 event notifications have no S3 operation to emulate",
    ),
    "readBucketReplications": CapabilityMapping(
        grants=(),
        governs=(),
        weed_enforced=False,
        why_not="B2 replication rules have no S3 operation to emulate",
    ),
    "writeBucketReplications": CapabilityMapping(
        grants=(),
        governs=(),
        weed_enforced=False,
        why_not="B2 replication rules have no S3 operation to emulate",
    ),
    "listFiles": CapabilityMapping(
        grants=(WeedGrant("List", On.OBJECTS),),
        governs=(S3Rule(LIST_ACTIONS, On.BUCKET, method="GET"),),
        weed_enforced=True,
    ),
    "readFiles": CapabilityMapping(
        grants=(WeedGrant("Read", On.OBJECTS),),
        governs=(S3Rule(("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl"), On.OBJECTS),),
        weed_enforced=True,
    ),
    "shareFiles": CapabilityMapping(
        grants=(),
        governs=(),
        weed_enforced=False,
        why_not=(
            "B2 download authorizations have no S3 operation; S3 presigned URLs need only readFiles"
        ),
    ),
    "writeFiles": CapabilityMapping(
        grants=(WeedGrant("Write", On.OBJECTS),),
        governs=(
            S3Rule(
                (
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:CreateMultipartUpload",
                    "s3:UploadPart",
                    "s3:CompleteMultipartUpload",
                    "s3:AbortMultipartUpload",
                ),
                On.OBJECTS,
            ),
        ),
        weed_enforced=True,
    ),
    "deleteFiles": CapabilityMapping(
        grants=(WeedGrant("Write", On.OBJECTS),),
        governs=(S3Rule(("s3:DeleteObjectVersion",), On.OBJECTS),),
        weed_enforced=True,
    ),
    "readFileLegalHolds": CapabilityMapping(
        grants=(WeedGrant("GetObjectLegalHold", On.OBJECTS),),
        governs=(S3Rule(("s3:GetObjectLegalHold",), On.OBJECTS),),
        weed_enforced=True,
    ),
    "writeFileLegalHolds": CapabilityMapping(
        grants=(WeedGrant("PutObjectLegalHold", On.OBJECTS),),
        governs=(S3Rule(("s3:PutObjectLegalHold",), On.OBJECTS),),
        weed_enforced=True,
    ),
    "readFileRetentions": CapabilityMapping(
        grants=(WeedGrant("GetObjectRetention", On.OBJECTS),),
        governs=(S3Rule(("s3:GetObjectRetention",), On.OBJECTS),),
        weed_enforced=True,
    ),
    "writeFileRetentions": CapabilityMapping(
        grants=(WeedGrant("PutObjectRetention", On.OBJECTS),),
        governs=(S3Rule(("s3:PutObjectRetention",), On.OBJECTS),),
        weed_enforced=True,
    ),
    "bypassGovernance": CapabilityMapping(
        grants=(WeedGrant("BypassGovernanceRetention", On.OBJECTS),),
        governs=(S3Rule(("s3:BypassGovernanceRetention",), On.OBJECTS),),
        weed_enforced=True,
    ),
    # Account-level: a bucket-scoped key never holds these (the planner refuses them).
    "listKeys": CapabilityMapping(grants=(), governs=(), weed_enforced=False, why_not=_NO_KEY_API),
    "writeKeys": CapabilityMapping(grants=(), governs=(), weed_enforced=False, why_not=_NO_KEY_API),
    "deleteKeys": CapabilityMapping(
        grants=(), governs=(), weed_enforced=False, why_not=_NO_KEY_API
    ),
    "writeBuckets": CapabilityMapping(
        grants=(),
        governs=(
            S3Rule(
                ("s3:PutBucket*", "s3:DeleteBucket*", "s3:PutLifecycleConfiguration"), On.BUCKET
            ),
        ),
        weed_enforced=True,
    ),
    "deleteBuckets": CapabilityMapping(
        grants=(),
        governs=(S3Rule(("s3:DeleteBucket",), On.BUCKET),),
        weed_enforced=True,
    ),
}

# Restriction kinds besides capabilities, and whether SeaweedFS 4.48 enforces them.
# BUCKET_SCOPE: identities name only the plan's bucket. NAME_PREFIX: object actions
# outside the prefix and listings with another (or no) prefix are denied by the bucket
# policy. OBJECT_LOCK: locked versions refuse deletion without bypassGovernance.
WEED_ENFORCES_SCOPES: dict[str, bool] = {BUCKET_SCOPE: True, NAME_PREFIX: True, OBJECT_LOCK: True}


def all_restriction_kinds() -> frozenset[str]:
    """Every kind an expectation can rely on."""
    return frozenset(WEED_ENFORCES_SCOPES) | {capability_restriction(c) for c in b2.CAPABILITIES}


def weed_unenforced() -> frozenset[str]:
    """The restriction kinds SeaweedFS 4.48 cannot enforce (found by experiment)."""
    scopes = {kind for kind, enforced in WEED_ENFORCES_SCOPES.items() if not enforced}
    capabilities = {
        capability_restriction(name)
        for name, mapping in CAPABILITY_MAP.items()
        if not mapping.weed_enforced
    }
    return frozenset(scopes | capabilities)


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
