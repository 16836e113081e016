"""The plan's keys as MinIO user policies (Allow statements from the same table). Pure.

MinIO evaluates ordinary IAM policies, so a holder gets an Allow for the S3
actions each capability governs (`CAPABILITY_MAP[...].governs`), scoped to the
bucket or to the key's name prefix. NOT RUN in this project's environment (no
Docker engine): the claims below follow MinIO's documented IAM behaviour.
"""

from __future__ import annotations

from typing import Any

from infra.expectations import NAME_PREFIX, capability_restriction
from infra.local.capabilities import CAPABILITY_MAP, LIST_ACTIONS, On
from infra.local.seaweed_access import POLICY_VERSION
from infra.plan import KeyPlan

# MinIO has no s3:RequestMethod condition key: HeadBucket and a listing are both
# s3:ListBucket, so a key holding listBuckets can list (without a prefix) too.
MINIO_EXTRA_UNENFORCED: dict[str, str] = {
    capability_restriction("listFiles"): (
        "MinIO cannot tell HeadBucket from a listing (both s3:ListBucket), so a key holding "
        "listBuckets may also list"
    ),
    NAME_PREFIX: (
        "listings with another prefix are refused, but a listing without any prefix is allowed "
        "to a key holding listBuckets (same reason)"
    ),
}
# The AWS IAM action names MinIO accepts in a policy, out of those the table uses
# (SeaweedFS also resolves multipart steps and ACL reads to names MinIO refuses).
MINIO_ACTIONS = frozenset(
    {
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:GetBucketLocation",
        "s3:GetBucketVersioning",
        "s3:GetBucketObjectLockConfiguration",
        "s3:PutBucketObjectLockConfiguration",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:AbortMultipartUpload",
        "s3:GetObjectRetention",
        "s3:PutObjectRetention",
        "s3:GetObjectLegalHold",
        "s3:PutObjectLegalHold",
        "s3:BypassGovernanceRetention",
    }
)
UNTESTED_NOTE = (
    "The MinIO backend was not run where this kit was built (no Docker engine); its "
    "per-role policies follow MinIO's documented IAM behaviour and are not verified by tests."
)


def policy_name(role: str) -> str:
    return f"pxb2-{role}"


def minio_policy(key: KeyPlan, bucket: str) -> dict[str, Any]:
    """The IAM policy attached to one role's MinIO user."""
    bucket_arn = f"arn:aws:s3:::{bucket}"
    objects_arn = f"{bucket_arn}/{key.name_prefix or ''}*"
    statements: list[dict[str, Any]] = []
    for capability in key.capabilities:
        for rule in CAPABILITY_MAP[capability].governs:
            actions = [a for a in rule.actions if a in MINIO_ACTIONS]
            if not actions:
                continue
            statement: dict[str, Any] = {
                "Effect": "Allow",
                "Action": actions,
                "Resource": [bucket_arn if rule.on is On.BUCKET else objects_arn],
            }
            if rule.method == "GET" and key.name_prefix:
                statement["Condition"] = {"StringLike": {"s3:prefix": [f"{key.name_prefix}*"]}}
            statements.append(statement)
    if key.name_prefix and key.can("listBuckets"):
        statements.append(
            {
                "Effect": "Deny",
                "Action": list(LIST_ACTIONS),
                "Resource": [bucket_arn],
                "Condition": {
                    "StringNotLike": {"s3:prefix": [f"{key.name_prefix}*"]},
                    "Null": {"s3:prefix": "false"},
                },
            }
        )
    if not statements:  # MinIO refuses an empty policy; this one grants nothing
        statements.append({"Effect": "Deny", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]})
    return {"Version": POLICY_VERSION, "Statement": statements}
