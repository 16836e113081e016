"""What Pixeltable needs from a key, shown by a run: the decisive case of the README's table.

The full table (each capability of the dev smoke role removed in turn) comes from
`scripts/pixeltable-needs`; this runs the case the README used to get wrong.
"""

from __future__ import annotations

import pytest

from smoke.pixeltable_needs import STEPS, measure


@pytest.mark.slow
def test_pixeltable_0_7_works_without_read_buckets_though_it_asks_for_the_location() -> None:
    (result,) = measure(only=("without-readBuckets",))
    assert [s["outcome"] for s in result["steps"]] == ["ok"] * len(STEPS), result
    assert "GetBucketLocation AccessDenied" in result["refused_anywhere"]
    insert, _, destination = result["steps"]
    assert "GetObject 206" in insert["calls"] or "GetObject 200" in insert["calls"]
    assert "HeadBucket 200" in destination["calls"], "the destination check is a HeadBucket"
    assert "PutObject 200" in destination["calls"]
