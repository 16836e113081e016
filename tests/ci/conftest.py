"""Fixtures for the CI-secrets tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ci.ci_fixtures import base_config


@pytest.fixture
def base() -> dict[str, Any]:
    return base_config()


@pytest.fixture(autouse=True)
def _no_ambient_ci_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Provider SDKs read these at declaration time; keep real tokens out of recordings."""
    for name in ("GITHUB_TOKEN", "GITLAB_TOKEN", "GITHUB_OWNER", "GITHUB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
