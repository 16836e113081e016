"""Several plans deployed on one SeaweedFS server: one bucket and one set of keys each.

For tests that compare many deployments (mutation tests): starting a server
costs about a second, a bucket with its keys a few milliseconds. Each plan's
identities carry a tag, so the same role name can exist once per plan.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Sequence

from infra.core.plan_model import StackPlan
from infra.local import capabilities
from infra.local.apply import apply_plan
from infra.local.backend_choice import SEAWEEDFS
from infra.local.bucket_settings import decoy_bucket_name, local_bucket_name
from infra.local.model import LocalDeployment, new_credentials
from infra.local.s3_client import s3_client
from infra.local.seaweed_access import (
    ADMIN_IDENTITY,
    bucket_policy,
    identity_entry,
    role_identities,
)
from infra.local.weed_process import REGION, WeedServer


@contextlib.contextmanager
def shared_deployments(plans: Sequence[StackPlan]) -> Iterator[list[LocalDeployment]]:
    """One server, one deployment per plan (same order); stopped and removed on exit."""
    admin = new_credentials("PXB2ADMIN")
    token = secrets.token_hex(3)
    buckets = [local_bucket_name(p, f"{token}{i:02d}") for i, p in enumerate(plans)]
    if len(set(buckets)) != len(buckets):
        raise ValueError("plans on one server need distinct bucket names (set randomSuffix)")
    decoy = decoy_bucket_name(buckets[0], token) if buckets else ""
    creds = [{role: new_credentials() for role in p.roles} for p in plans]
    identities = [identity_entry(ADMIN_IDENTITY, admin, ["Admin"])]
    for i, (plan, bucket) in enumerate(zip(plans, buckets, strict=True)):
        identities += role_identities(plan, bucket, creds[i], tag=f"p{i}-")
    every_secret = (
        admin.secret_access_key,
        *(c.secret_access_key for group in creds for c in group.values()),
    )
    server = WeedServer.start({"identities": identities}, admin, secrets=every_secret)
    try:
        client = s3_client(server.endpoint, REGION, admin)
        unenforced = capabilities.weed_unenforced()
        deployments = []
        for i, (plan, bucket) in enumerate(zip(plans, buckets, strict=True)):
            policy = bucket_policy(plan, bucket, tag=f"p{i}-")
            apply_plan(client, plan, bucket, decoy, policy, create_decoy=i == 0)
            deployments.append(
                LocalDeployment(
                    backend=SEAWEEDFS,
                    endpoint=server.endpoint,
                    region=REGION,
                    bucket=bucket,
                    other_bucket=decoy,
                    credentials=creds[i],
                    admin=admin,
                    unenforced=unenforced,
                    notes=(),
                    server_pid=server.pid,
                )
            )
        yield deployments
    finally:
        server.stop()
