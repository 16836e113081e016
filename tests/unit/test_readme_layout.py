"""The README's layout table matches the tree and the imports between packages.

A newcomer reads the flow from that table; it may not name a path that is gone, leave out a
package, or allow less than the code imports.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERED = ("infra", "smoke")


def _rows() -> dict[str, tuple[str, str]]:
    """First-column text -> (what it holds, may import), from the Layout section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def _package_of_row(first: str) -> str | None:
    """`infra/core/` -> infra.core; `smoke/` (its own files) -> smoke."""
    match = re.fullmatch(r"`([a-z_/]+)/`(?: \(its own files\))?", first)
    if match is None or match.group(1).split("/")[0] not in LAYERED:
        return None
    return match.group(1).replace("/", ".")


def _packages() -> list[str]:
    return sorted(
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in LAYERED
        for p in (ROOT / top).rglob("__init__.py")
    )


def _target_package(module: str) -> str | None:
    """The package a project import lands in: a subpackage, or the files of its parent."""
    parts = module.split(".")
    if parts[0] not in LAYERED:
        return None
    for depth in range(len(parts), 0, -1):
        if (ROOT.joinpath(*parts[:depth]) / "__init__.py").is_file():
            return ".".join(parts[:depth])
    return None


def _imports_of(package: str) -> set[str]:
    directory = ROOT.joinpath(*package.split("."))
    found = set()
    for path in directory.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from smoke import checks` lands in smoke.checks, `from smoke.target import X`
                # in smoke: the deepest package of module.name decides.
                modules = [f"{node.module}.{alias.name}" for alias in node.names]
            for module in modules:
                target = _target_package(module)
                if target and target != package:
                    found.add(target)
    return found


def test_every_path_in_the_table_exists() -> None:
    for first in _rows():
        for path in re.findall(r"`([^`]+)`", first):
            assert (ROOT / path).exists(), f"README layout names {path}, which is not in the tree"


def test_every_package_has_its_own_row() -> None:
    listed = {_package_of_row(first) for first in _rows()}
    missing = [p for p in _packages() if p not in listed]
    assert not missing, f"README layout has no row for {missing}"


def test_files_named_in_a_row_exist_in_its_package() -> None:
    for first, (holds, _) in _rows().items():
        package = _package_of_row(first)
        if package is None:
            continue
        directory = ROOT.joinpath(*package.split("."))
        for name in re.findall(r"`([a-z0-9_.-]+\.(?:py|json))`", holds):
            assert (directory / name).is_file(), f"{first} names {name}, not in {directory}"


def test_each_package_imports_only_what_its_row_allows() -> None:
    checked = 0
    for first, (_, may_import) in _rows().items():
        package = _package_of_row(first)
        if package is None:
            continue
        allowed = set(re.findall(r"`([a-z_.]+)`", may_import))
        extra = sorted(t for t in _imports_of(package) if t not in allowed)
        assert not extra, f"{package} imports {extra}, which its README row does not allow"
        checked += 1
    assert checked == len(_packages())
