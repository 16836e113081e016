"""The smoke suite end to end against the real local server, Pixeltable included."""

from __future__ import annotations

import pytest

from smoke.checks.identity import CheckId, Group
from smoke.pixeltable_roundtrip import NATIVE_B2_STEPS, STEPS
from tests.smoke.conftest import run_smoke

pytestmark = pytest.mark.slow
ROUND_TRIP_CHECKS = [CheckId(Group.PIXELTABLE).title(step.title) for step in STEPS]
NATIVE_B2_CHECKS = [CheckId(Group.PIXELTABLE_B2).title(step.title) for step in NATIVE_B2_STEPS]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_whole_suite_passes_locally(stack: str, tmp_path, no_leftover_servers) -> None:
    run = run_smoke(["--local", "--stack", stack], tmp_path)
    assert run.code == 0, run.output[-4000:]
    assert run.report is not None
    counts = run.report["counts"]
    assert counts["failed"] == 0
    # Only Pixeltable's native B2 path stays unrun: it needs a B2 host name (the twin has one).
    not_run = [c for c in run.report["checks"] if c["result"] == "not run"]
    assert [c["name"] for c in not_run] == NATIVE_B2_CHECKS, not_run
    assert "backblazeb2.com" in not_run[0]["message"]
    assert "infra.local.twin" in not_run[0]["message"]
    assert counts["not run"] == len(NATIVE_B2_CHECKS)
    audit = next(c for c in run.report["checks"] if c["name"].startswith("audit"))
    assert audit["result"] == "not verifiable"  # b2sdk speaks only to B2
    results = {c["name"]: c["result"] for c in run.report["checks"]}
    assert all(results.get(name) == "passed" for name in ROUND_TRIP_CHECKS), results
    assert run.report["facts"]["S3 requests (suite's clients)"] > 0
    if stack == "prod":
        # Governance lock: objects are reported as locked, never deleted, and the
        # smoke/ lifecycle rule is named as what removes them.
        cleanup = next(c for c in run.report["checks"] if c["name"].startswith("cleanup"))
        assert "under object lock" in cleanup["message"]
        assert "'smoke/'" in cleanup["message"]
