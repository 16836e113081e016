"""How to unit-test `PixeltableStorage` with Pulumi's standard mocks: copy this file.

Plain `pulumi.runtime.Mocks`, `pulumi.runtime.set_mocks` and `@pulumi.runtime.test`, as
in Pulumi's testing guide; no custom monitor. The mocks answer like the provider: a
bucket gets a `bucketId`, a key its `applicationKeyId` and secret, and the account
lives in the plan's region.
"""

from __future__ import annotations

import pulumi
import pytest

from infra.core.plan_model import StackPlan
from infra.core.stack_files import load_plan_for_stack

BUCKET = "b2:index/bucket:Bucket"
KEY = "b2:index/applicationKey:ApplicationKey"


class B2Mocks(pulumi.runtime.Mocks):
    def __init__(self, s3_url: str) -> None:
        self.s3_url = s3_url

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        outputs = dict(args.inputs)
        if args.typ == BUCKET:
            outputs["bucketId"] = f"id-of-{args.inputs['bucketName']}"
        if args.typ == KEY:
            outputs["applicationKeyId"] = f"id-of-{args.inputs['keyName']}"
            outputs["applicationKey"] = "not-a-real-secret"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        if args.token == "b2:index/getAccountInfo:getAccountInfo":
            return {"s3ApiUrl": self.s3_url}
        return {}


def declare(stack: str) -> tuple[StackPlan, object]:
    plan = load_plan_for_stack(stack)
    pulumi.runtime.set_mocks(B2Mocks(plan.endpoint), project=plan.project, stack=stack)
    from infra.deploy.storage import PixeltableStorage  # after set_mocks, as the guide does

    return plan, PixeltableStorage("storage", plan)


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pulumi.runtime.test
def test_bucket_and_keys_as_planned(stack: str) -> pulumi.Output:
    plan, storage = declare(stack)

    def check(values: list) -> None:
        bucket_name, bucket_type, lock, key_names, key_buckets, key_prefixes = values
        assert bucket_name == plan.bucket.name
        assert bucket_type == "allPrivate"
        assert lock[0]["isFileLockEnabled"] is plan.object_lock.enabled
        assert key_names == [key.key_name for key in plan.keys]
        bucket_ids = [f"id-of-{plan.bucket.name}"]
        assert key_buckets == [None if k.account_wide else bucket_ids for k in plan.keys]
        assert key_prefixes == [key.name_prefix for key in plan.keys]

    keys = list(storage.keys.values())
    return pulumi.Output.all(
        storage.bucket.bucket_name,
        storage.bucket.bucket_type,
        storage.bucket.file_lock_configurations,
        pulumi.Output.all(*[key.key_name for key in keys]),
        pulumi.Output.all(*[key.bucket_ids for key in keys]),
        pulumi.Output.all(*[key.name_prefix for key in keys]),
    ).apply(check)
