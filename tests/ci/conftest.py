"""Fixtures for the CI-secrets tests; `import pulumi_b2` works (the stand-in when no SDK is
generated)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ci.ci_fixtures import base_config
from tests.pulumi.pxb2_standin import ensure_pulumi_b2

ensure_pulumi_b2()


@pytest.fixture
def base() -> dict[str, Any]:
    return base_config()


@pytest.fixture(autouse=True)
def _no_ambient_ci_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Provider SDKs read these at declaration time; keep real tokens out of recordings."""
    for name in ("GITHUB_TOKEN", "GITLAB_TOKEN", "GITHUB_OWNER", "GITHUB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
