"""Puts the `pulumi_b2` test stand-in on sys.path (only when the real SDK is missing), and
builds stand-ins for other provider versions (`build_variant`)."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

STANDIN_DIR = Path(__file__).resolve().parent / "standin"
_SINCE = re.compile(r"^\s*# since (?P<version>[0-9.]+) >>>\n.*?^\s*# <<< since (?P=version)\n",
                    re.DOTALL | re.MULTILINE)  # fmt: skip


def ensure_pulumi_b2() -> str:
    """Make `import pulumi_b2` work; return "real" or "stand-in" for what it imports."""
    if importlib.util.find_spec("pulumi_b2") is None:
        sys.path.append(str(STANDIN_DIR))  # appended: a real SDK found on the path still wins
    spec = importlib.util.find_spec("pulumi_b2")
    assert spec is not None
    assert spec.origin is not None
    return "stand-in" if Path(spec.origin).is_relative_to(STANDIN_DIR) else "real"


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def build_variant(dest: Path, provider: str, bridge: str | None = None) -> Path:
    """A copy of the stand-in as generated for `provider`: newer-only lines dropped, and a
    pulumi-plugin.json naming that version. Returns the directory to put on sys.path."""
    package = dest / "pulumi_b2"
    shutil.copytree(
        STANDIN_DIR / "pulumi_b2", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    for source in package.glob("*.py"):
        text = source.read_text()

        def keep(match: re.Match[str]) -> str:
            return match[0] if _version_tuple(provider) >= _version_tuple(match["version"]) else ""

        source.write_text(_SINCE.sub(keep, text))
    plugin_path = package / "pulumi-plugin.json"
    plugin = json.loads(plugin_path.read_text())
    remote = {"remote": {"url": "registry.opentofu.org/backblaze/b2", "version": provider}}
    plugin["parameterization"]["version"] = provider
    plugin["parameterization"]["value"] = base64.b64encode(json.dumps(remote).encode()).decode()
    if bridge is not None:
        plugin["version"] = bridge
    plugin_path.write_text(json.dumps(plugin, indent=2) + "\n")
    return dest


if __name__ == "__main__":  # used by the test that proves the real SDK wins
    print(ensure_pulumi_b2())
    import pulumi_b2

    print(Path(pulumi_b2.__file__).resolve())
