"""Every smoke check states its identity; the groups `--only` takes are the checks' groups."""

from __future__ import annotations

import importlib
from collections import Counter

import pytest

from smoke.checks.identity import GROUPS, CheckId, Group, check, identity_of
from smoke.cli import _only
from smoke.runner import CHECKS_DIR
from smoke.target import UsageError


def _check_functions() -> list[object]:
    found = []
    for path in sorted(CHECKS_DIR.glob("check_*.py")):
        module = importlib.import_module(f"smoke.checks.{path.stem}")
        found += [
            getattr(module, name)
            for name in vars(module)
            if name.startswith("check_") and callable(getattr(module, name))
        ]
    return found


def _titles(function: object) -> list[str]:
    identity = identity_of(function)
    marks = [m for m in getattr(function, "pytestmark", []) if m.name == "parametrize"]
    if not marks:
        return [identity.title()]
    ids = marks[0].kwargs.get("ids")
    return [identity.title(str(i)) for i in ids] if ids else [identity.title("*")]


def test_every_check_has_an_identity_and_no_two_share_a_name() -> None:
    functions = _check_functions()
    assert len(functions) > 10
    titles = [title for f in functions for title in _titles(f)]
    assert [t for t, n in Counter(titles).items() if n > 1] == []
    groups = {identity_of(f).group for f in functions}
    assert groups == set(Group), "a group without checks, or a check outside the groups"


def test_a_renamed_function_keeps_its_name() -> None:
    @check(Group.OBJECT_ROUND_TRIP, "put")
    def check_anything_else() -> None: ...

    assert identity_of(check_anything_else).title() == "object round trip: put"
    assert CheckId(Group.PIXELTABLE).title("insert images") == "pixeltable: insert images"
    assert CheckId(Group.SCOPING, "expectation").title("PutObject in-prefix") == (
        "scoping: expectation [PutObject in-prefix]"
    )


def test_a_function_without_an_identity_is_refused() -> None:
    def check_unnamed() -> None: ...

    with pytest.raises(TypeError, match="no check identity"):
        identity_of(check_unnamed)


def test_only_takes_exactly_the_groups() -> None:
    assert _only(",".join(GROUPS)) == frozenset(GROUPS)
    with pytest.raises(UsageError, match="unknown check group nosuch"):
        _only("preflight,nosuch")
