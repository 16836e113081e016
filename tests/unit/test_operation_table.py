"""The one operation->capability table, and everything that must agree with it."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from infra.core.b2_facts import CAPABILITIES, Capability
from infra.core.expectations import CAPABILITY_FOR
from infra.core.s3_operations import (
    LIST_BUCKETS_NEEDS,
    OPERATIONS,
    WITHOUT_S3_OPERATION,
    Operation,
    capability_for,
    capability_refused,
    operations_of,
)
from infra.local.capabilities import CAPABILITY_MAP, core_rules

ROOT = Path(__file__).resolve().parents[2]


def test_capability_vocabulary_is_b2s_list() -> None:
    assert tuple(c.value for c in Capability) == CAPABILITIES
    assert len(set(CAPABILITIES)) == len(CAPABILITIES)


def test_every_capability_is_either_probed_or_explained() -> None:
    governed = {rule.capability for rule in OPERATIONS.values()} | set(LIST_BUCKETS_NEEDS)
    assert governed | set(WITHOUT_S3_OPERATION) == set(Capability)
    assert not governed & set(WITHOUT_S3_OPERATION)


def test_expectations_read_the_table() -> None:
    assert {op: capability_for(op) for op in OPERATIONS} == CAPABILITY_FOR


@pytest.mark.parametrize("operation", list(OPERATIONS), ids=str)
def test_local_enforcement_denies_exactly_the_tables_capability(operation: Operation) -> None:
    """A key lacking the capability gets this operation's IAM action denied by the local
    bucket policy, and no other capability's Deny names the same action and method."""
    rule = OPERATIONS[operation]

    def governs(capability: str) -> bool:
        return any(
            rule.iam_action in r.actions and r.on is rule.on and r.method == rule.method
            for r in CAPABILITY_MAP[capability].governs
        )

    assert governs(rule.capability)
    others = [c for c in CAPABILITY_MAP if c != rule.capability and governs(c)]
    assert others == []


def _reached(operation: Operation) -> list[str]:
    """Capabilities other than the table's whose local Deny covers this operation's request,
    counting wildcard actions and rules that hold for every HTTP method."""
    rule = OPERATIONS[operation]
    return [
        capability
        for capability, mapping in CAPABILITY_MAP.items()
        if capability != rule.capability
        and any(
            r.on is rule.on
            and (r.method is None or r.method == rule.method)
            and any(fnmatchcase(rule.iam_action, action) for action in r.actions)
            for r in mapping.governs
        )
    ]


@pytest.mark.parametrize("operation", list(OPERATIONS), ids=str)
def test_no_other_capabilitys_deny_takes_back_a_local_grant(operation: Operation) -> None:
    """Where another capability's Deny (a wildcard) also covers an operation, that capability
    is one no bucket-scoped key holds, and the operation's own capability is not granted
    locally at all: a holder of the table's capability is never refused by the local server."""
    own = CAPABILITY_MAP[OPERATIONS[operation].capability]
    for other in _reached(operation):
        assert other in WITHOUT_S3_OPERATION, (operation, other)
        assert own.holders_note, (operation, other)


def test_the_local_table_is_derived_from_the_core_table() -> None:
    """Every enforced capability's Deny rules start with exactly what the core table gives it;
    anything after that names actions the core table has no operation for."""
    core_actions = {(r.iam_action, r.on, r.method) for r in OPERATIONS.values()}
    for capability, mapping in CAPABILITY_MAP.items():
        derived = core_rules(capability)
        if not mapping.governs:
            assert derived == (), capability
            continue
        assert mapping.governs[: len(derived)] == derived, capability
        for extra in mapping.governs[len(derived) :]:
            named = {(a, extra.on, extra.method) for a in extra.actions}
            assert not named & core_actions, (capability, extra)


def test_local_table_covers_every_capability() -> None:
    assert set(CAPABILITY_MAP) == set(CAPABILITIES)
    for capability in Capability:
        for rule in core_rules(capability):
            assert rule in CAPABILITY_MAP[capability].governs


def test_refusals_name_the_capability_of_the_operation() -> None:
    assert capability_refused("HeadBucket") == "listBuckets"
    assert capability_refused("GetBucketLocation") == "readBuckets"
    assert capability_refused("PutObject") == "writeFiles"
    assert capability_refused("NoSuchOperation") is None
    assert operations_of("readFiles") == (Operation.GET_OBJECT, Operation.HEAD_OBJECT)


# Modules that must take capability names from the table, never spell them out.
READERS = [
    "smoke/checks",
    "smoke/cleanup.py",
    "smoke/probes.py",
    "smoke/verdicts.py",
    "smoke/capability_report.py",
    "smoke/s3_calls.py",
    "infra/core/expectations.py",
]


@pytest.mark.parametrize("where", READERS)
def test_no_capability_string_literals(where: str) -> None:
    path = ROOT / where
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    names = "|".join(CAPABILITIES)
    pattern = re.compile(rf"""["']({names})["']""")
    found = [
        f"{file.relative_to(ROOT)}:{number}: {line.strip()}"
        for file in files
        for number, line in enumerate(file.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
