"""What the deploying key (the one `pulumi up` runs with) must be allowed, derived from the plan.

Backblaze's documentation: creating buckets and keys needs writeBuckets and
writeKeys; a bucket created with a default encryption needs writeBucketEncryption,
one with Object Lock needs writeBucketRetentions. The provider reads each bucket back
(b2_list_buckets) and, on a rotation, deletes the old key last. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.core.plan_model import StackPlan


@dataclass(frozen=True)
class DeployerCapability:
    name: str
    why: str


def deployer_capabilities(plan: StackPlan) -> tuple[DeployerCapability, ...]:
    """The capabilities `pulumi up` needs for this stack, each with the reason."""
    needed = [
        DeployerCapability("listBuckets", "the provider reads the bucket back after each change"),
        DeployerCapability("writeBuckets", f"create and update bucket {plan.bucket.name!r}"),
        DeployerCapability("writeKeys", f"create the {len(plan.keys)} role key(s)"),
        DeployerCapability(
            "deleteKeys", "a rotation deletes the old key once its successor exists"
        ),
    ]
    if plan.bucket.encryption is not None:
        needed.append(
            DeployerCapability(
                "writeBucketEncryption",
                f"set the bucket's default encryption ({plan.bucket.encryption.mode})",
            )
        )
        needed.append(
            DeployerCapability(
                "readBucketEncryption", "read the default encryption back, so diffs see it"
            )
        )
    if plan.object_lock.enabled:
        needed.append(
            DeployerCapability(
                "writeBucketRetentions", "create the bucket with Object Lock and its retention"
            )
        )
        needed.append(
            DeployerCapability(
                "readBucketRetentions", "read the lock settings back, so the lock guard sees them"
            )
        )
    return tuple(needed)
