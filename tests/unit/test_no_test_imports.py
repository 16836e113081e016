"""Product code never reaches into tests/: what users run must work from a checkout without it.

Every import in infra/, smoke/, scripts/ and the Pulumi entry point is read from the syntax
tree (function-level imports included, `importlib.import_module("tests...")` too), and the
shell scripts must not run a `python -m tests.` module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from infra.core.stack_files import PROJECT_ROOT

PRODUCT_DIRS = ("infra", "smoke", "scripts")
ENTRY_POINTS = ("__main__.py",)
_RUNS_TEST_MODULE = re.compile(r"-m\s+tests(\.|\s|$)")


def _is_tests(module: str | None) -> bool:
    return module is not None and (module == "tests" or module.startswith("tests."))


def python_files() -> list[Path]:
    found = [PROJECT_ROOT / name for name in ENTRY_POINTS]
    for directory in PRODUCT_DIRS:
        found += sorted((PROJECT_ROOT / directory).rglob("*.py"))
    return found


def shell_scripts() -> list[Path]:
    scripts = PROJECT_ROOT / "scripts"
    return sorted(p for p in scripts.iterdir() if p.is_file() and p.suffix != ".py")


def imports_of_tests(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of every import of `tests` or a module under it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_tests(alias.name):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and _is_tests(node.module):
                yield node.lineno, str(node.module)
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = getattr(function, "attr", None) or getattr(function, "id", "")
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and _is_tests(first.value)
            ):
                yield node.lineno, first.value


def test_the_scan_sees_every_kind_of_import() -> None:
    source = (
        "import tests\n"
        "import os, tests.audit as a\n"
        "from tests.ci import x\n"
        "from . import tests\n"  # relative: a sibling named tests, not the test suite
        "def f():\n"
        "    from tests import hanging_socket\n"
        "    import importlib\n"
        "    importlib.import_module('tests.reliability.matrix')\n"
        "    __import__('tests')\n"
        "import testsuite, smoke.tests_helper\n"
    )
    assert [line for line, _ in imports_of_tests(ast.parse(source))] == [1, 2, 3, 6, 8, 9]


def test_the_scan_covers_the_product() -> None:
    names = {p.relative_to(PROJECT_ROOT).as_posix() for p in python_files()}
    for expected in ("__main__.py", "infra/local/twin.py", "scripts/bench.py", "smoke/cli.py"):
        assert expected in names
    assert "reliability" in {p.name for p in shell_scripts()}


def test_product_python_does_not_import_tests() -> None:
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} imports {module}"
        for path in python_files()
        for line, module in imports_of_tests(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "product code imports from tests/: " + "; ".join(found)


def test_scripts_do_not_run_test_modules() -> None:
    found = [
        f"scripts/{path.name}:{number}: {line.strip()}"
        for path in shell_scripts()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _RUNS_TEST_MODULE.search(line)
    ]
    assert not found, "scripts run modules under tests/: " + "; ".join(found)
