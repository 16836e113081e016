"""When the Pixeltable preparations start beside the S3 checks, and when they must not."""

from __future__ import annotations

import re

import pytest

from infra.core import runtime_env as env
from infra.core.stack_files import load_plan_for_stack
from smoke.context import SmokeContext, SmokeOptions
from smoke.pixeltable_warmup import (
    OVERLAP_ENV,
    UPLOAD,
    overlap_enabled,
    start_warmup,
)
from smoke.target import target_from_environment

ENVIRON = {
    env.ACCESS_KEY_ID: "0040000000000000000000001",
    env.SECRET_ACCESS_KEY: "SENTINEL-secret-value-0123456789",
    env.ENDPOINT_URL: "http://127.0.0.1:9",  # never answers: the upload thread fails fast
    env.BUCKET: "acme-pxt-media-prod",
}


def _context(role: str, *, only: frozenset[str] = frozenset(), passed: bool = True):
    target = target_from_environment(ENVIRON, plan=load_plan_for_stack("prod"), role=role)
    ctx = SmokeContext(target=target, options=SmokeOptions(embedding="tiny", only=only))
    ctx.preflight_passed = passed
    return ctx


@pytest.mark.parametrize(
    ("role", "only", "passed", "why"),
    [
        ("smoke", frozenset(), False, "preflight failed"),
        ("smoke", frozenset({"scoping"}), True, "pixeltable not selected"),
        ("readonly", frozenset(), True, "the role cannot upload"),
    ],
)
def test_nothing_starts_where_the_pixeltable_checks_would_skip(
    role: str, only: frozenset[str], passed: bool, why: str
) -> None:
    ctx = _context(role, only=only, passed=passed)
    if role == "readonly":
        assert not ctx.target.key_plan.can("writeFiles")
    assert start_warmup(ctx) is None, why
    assert ctx.warmup is None
    assert ctx.clients == [], "no client may be made when nothing starts"


def test_a_stopped_endpoint_stops_it_too() -> None:
    ctx = _context("smoke")
    ctx.stop_reason = "the endpoint went away"
    assert start_warmup(ctx) is None


def test_upload_error_is_raised_unchanged_by_the_check_that_needs_it(monkeypatch) -> None:
    """Only the upload starts (readFiles patched away, so no Pixeltable home); its failure on
    a closed port comes back from `uploaded()`, where the fixtures check would raise it."""
    ctx = _context("smoke")
    monkeypatch.setattr("smoke.pixeltable_warmup._can", lambda _ctx, op: op is UPLOAD)
    warmup = start_warmup(ctx)
    assert warmup is not None
    assert start_warmup(ctx) is warmup, "started once per run"
    with pytest.raises(Exception, match=re.escape("127.0.0.1:9")):
        warmup.uploaded()
    warmup.close()
    warmup.close()  # idempotent
    assert warmup.home is None


def test_overlap_is_opt_in(monkeypatch) -> None:
    monkeypatch.delenv(OVERLAP_ENV, raising=False)
    assert not overlap_enabled()
    monkeypatch.setenv(OVERLAP_ENV, "1")
    assert overlap_enabled()
