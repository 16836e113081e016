"""Puts the `pulumi_b2` test stand-in on sys.path, but only when the real SDK is missing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

STANDIN_DIR = Path(__file__).resolve().parent / "standin"


def ensure_pulumi_b2() -> str:
    """Make `import pulumi_b2` work; return "real" or "stand-in" for what it imports."""
    if importlib.util.find_spec("pulumi_b2") is None:
        sys.path.append(str(STANDIN_DIR))  # appended: a real SDK found on the path still wins
    spec = importlib.util.find_spec("pulumi_b2")
    assert spec is not None
    assert spec.origin is not None
    return "stand-in" if Path(spec.origin).is_relative_to(STANDIN_DIR) else "real"


if __name__ == "__main__":  # used by the test that proves the real SDK wins
    print(ensure_pulumi_b2())
    import pulumi_b2

    print(Path(pulumi_b2.__file__).resolve())
