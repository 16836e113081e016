"""Account-wide read-only keys (`accountWide: true`): the preview and auditor roles.

B2 lets only a key without a bucket restriction hold listKeys, which `pulumi preview
--refresh` and the audit need to read the key list; such a key must not write anything.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.core import b2_facts as b2
from infra.core.problems import PlanError
from infra.core.stack_files import available_stacks, load_plan_for_stack
from smoke.audit.reader import AUDITOR_CAPABILITIES

NS = "pixeltable-b2"
READ_ONLY = ["listKeys", "listBuckets", "readBucketEncryption", "readBucketRetentions"]


def with_key(base: dict[str, Any], **key: Any) -> dict[str, Any]:
    base["keys"]["preview"] = key
    return base


def problems(make_plan, raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(PlanError) as info:
        make_plan(raw)
    return [(p.path, p.render()) for p in info.value.problems]


def test_an_account_wide_read_only_key_is_planned_without_a_bucket(make_plan, base):
    plan = make_plan(with_key(base, accountWide=True, capabilities=READ_ONLY))
    key = plan.key("preview")
    assert key.account_wide is True
    assert key.name_prefix is None
    assert plan.key("app").account_wide is False  # the default: scoped to the bucket
    # (that the program then sends no bucketIds: tests/pulumi/test_pulumi_program.py)


@pytest.mark.parametrize(
    "capability",
    sorted(set(b2.CAPABILITIES) - b2.ACCOUNT_READ_CAPABILITIES),
)
def test_an_account_wide_key_refuses_every_capability_beyond_reading(make_plan, base, capability):
    ((path, line),) = problems(
        make_plan, with_key(base, accountWide=True, capabilities=[*READ_ONLY, capability])
    )
    assert path == f"{NS}:keys.preview.capabilities"
    assert capability in line
    assert "remove accountWide" in line


def test_an_account_wide_key_refuses_a_name_prefix(make_plan, base):
    raw = with_key(base, accountWide=True, capabilities=READ_ONLY, namePrefix="media/")
    ((path, line),) = problems(make_plan, raw)
    assert path == f"{NS}:keys.preview.namePrefix"
    assert "only to a key restricted to a bucket" in line


def test_a_bucket_scoped_key_asking_for_list_keys_is_pointed_at_account_wide(make_plan, base):
    ((path, line),) = problems(make_plan, with_key(base, capabilities=READ_ONLY))
    assert path == f"{NS}:keys.preview.capabilities"
    assert "accountWide: true" in line
    # a write capability is never offered the account-wide way out
    ((_, line),) = problems(make_plan, with_key(base, capabilities=["writeKeys"]))
    assert "accountWide" not in line


def test_account_wide_must_be_a_boolean(make_plan, base):
    found = problems(make_plan, with_key(base, accountWide="yes", capabilities=READ_ONLY))
    # Not a boolean, so not account-wide: listKeys is then refused as well.
    assert sorted(path for path, _ in found) == [
        f"{NS}:keys.preview.accountWide",
        f"{NS}:keys.preview.capabilities",
    ]


@pytest.mark.parametrize("stack", available_stacks())
def test_the_shipped_preview_and_auditor_keys_are_account_wide_and_read_only(stack):
    plan = load_plan_for_stack(stack)
    for role in ("preview", "auditor"):
        key = plan.key(role)
        assert key.account_wide, (stack, role)
        assert set(key.capabilities) <= b2.ACCOUNT_READ_CAPABILITIES, (stack, role)
        assert "listKeys" in key.capabilities  # the key list is what a refresh and audit read
    # The auditor holds exactly what the audit's reader documents as enough.
    assert set(plan.key("auditor").capabilities) == set(AUDITOR_CAPABILITIES)
    pushed = {t.environment: t.roles for t in plan.ci_secrets.github}
    assert pushed[f"preview-{stack}"] == ("preview",)
    assert pushed[f"audit-{stack}"] == ("auditor",)
