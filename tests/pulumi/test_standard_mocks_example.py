"""`PixeltableStorage` under Pulumi's standard mocks, exactly as Pulumi's testing guide does it.

`pulumi.runtime.set_mocks` with the harness's `B2Mocks` (a plain `pulumi.runtime.Mocks`),
no custom monitor, and `@pulumi.runtime.test` awaiting the checked outputs. The mocks answer
like the provider: a bucket gets a `bucketId`, a key its `applicationKeyId` and secret, and
the account lives in the plan's region.
"""

from __future__ import annotations

import pulumi
import pytest

from infra.core.plan_model import StackPlan
from infra.core.stack_files import load_plan_for_stack
from tests.pulumi.mock_engine import B2Mocks


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
        bucket_name, bucket_type, lock, bucket_id, key_names, key_buckets, key_prefixes = values
        assert bucket_name == plan.bucket.name
        assert bucket_type == "allPrivate"
        assert lock[0]["isFileLockEnabled"] is plan.object_lock.enabled
        assert key_names == [key.key_name for key in plan.keys]
        assert bucket_id, "the id the provider gave the bucket"
        assert key_buckets == [None if k.account_wide else [bucket_id] for k in plan.keys]
        assert key_prefixes == [key.name_prefix for key in plan.keys]

    keys = list(storage.keys.values())
    return pulumi.Output.all(
        storage.bucket.bucket_name,
        storage.bucket.bucket_type,
        storage.bucket.file_lock_configurations,
        storage.bucket.bucket_id,
        pulumi.Output.all(*[key.key_name for key in keys]),
        pulumi.Output.all(*[key.bucket_ids for key in keys]),
        pulumi.Output.all(*[key.name_prefix for key in keys]),
    ).apply(check)
