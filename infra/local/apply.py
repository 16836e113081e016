"""Apply the plan's buckets to a running local S3 server through its admin client.

Every setting comes from the plan via `infra.local.bucket_settings`; this
module only makes the calls, in order, and names the step that failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.core.plan_model import StackPlan
from infra.local import bucket_settings
from infra.local.model import LocalServerError


def _step(name: str, call: Callable[[], Any], context: Callable[[], str]) -> Any:
    try:
        return call()
    except ClientError as error:
        info = error.response.get("Error", {})
        reason = f"{info.get('Code', 'error')}: {info.get('Message', '')}".rstrip(": ")
    except BotoCoreError as error:
        reason = f"{type(error).__name__}: {error}"
    raise LocalServerError(
        f"applying the stack plan to the local server failed at '{name}' ({reason}). The server "
        "has been stopped. Fix: this is a mismatch between the plan and what the local server "
        f"accepts; see the server log below.\n{context()}"
    )


def apply_plan(
    admin: Any,
    plan: StackPlan,
    bucket: str,
    other_bucket: str,
    policy: dict[str, Any] | None,
    context: Callable[[], str] = lambda: "",
    *,
    create_decoy: bool = True,
) -> None:
    """Create the plan's bucket (lock, versioning, retention, lifecycle, policy) and the decoy
    (unless another plan on the same server already made it)."""
    locked = plan.object_lock.enabled
    create: dict[str, Any] = {"Bucket": bucket}
    if locked:
        create["ObjectLockEnabledForBucket"] = True
    _step(f"create bucket {bucket}", lambda: admin.create_bucket(**create), context)
    if plan.bucket.versioning_enabled:
        _step(
            "enable versioning",
            lambda: admin.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            ),
            context,
        )
    lock = bucket_settings.object_lock_configuration(plan)
    if lock is not None:
        _step(
            "set the default retention",
            lambda: admin.put_object_lock_configuration(
                Bucket=bucket, ObjectLockConfiguration=lock
            ),
            context,
        )
    lifecycle = bucket_settings.lifecycle_configuration(plan)
    if lifecycle is not None:
        _step(
            "set the lifecycle rules",
            lambda: admin.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration=lifecycle
            ),
            context,
        )
    if policy is not None:
        _step(
            "set the bucket policy",
            lambda: admin.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy)),
            context,
        )
    if not create_decoy:
        return
    _step(
        f"create the decoy bucket {other_bucket}",
        lambda: admin.create_bucket(Bucket=other_bucket),
        context,
    )
