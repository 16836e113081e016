"""The pure core imports no cloud, storage, media or container library, and no shell.

`infra.core` holds the facts, the stack settings, validation, the plan and the expectations;
the Pulumi program, the local emulation and the smoke suite build on it, never the reverse.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "infra" / "core"
FORBIDDEN = (
    "pulumi",
    "pulumi_b2",
    "pulumi_github",
    "pulumi_gitlab",
    "pulumi_random",
    "boto3",
    "botocore",
    "b2sdk",
    "pixeltable",
    "docker",
    "testcontainers",
    "torch",
    "smoke",
    "infra.deploy",
    "infra.local",
)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in FORBIDDEN)


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_nothing_impure(path: Path) -> None:
    bad = sorted(name for name in _imports(path) if _forbidden(name))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: the core must stay pure"


def test_importing_the_whole_core_loads_no_impure_module() -> None:
    modules = [f"infra.core.{p.stem}" for p in sorted(CORE.glob("*.py")) if p.stem != "__init__"]
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(modules) >= 10
    assert not [name for name in loaded if _forbidden(name)]
