"""Finding the interpreters and running scripts/bootstrap for the bootstrap tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from infra.core.stack_files import PROJECT_ROOT

BOOTSTRAP = PROJECT_ROOT / "scripts" / "bootstrap"
# The versions beside 3.11 (the suite's own) that the project supports.
OTHER_VERSIONS = ("3.12", "3.13")
# The S3 side of the kit without Pixeltable and torch: there is no local CPU torch wheel here
# for 3.12 and 3.13, and PyPI's torch is the multi-gigabyte CUDA build.
LIGHT_EXTRAS = "s3,local,dev"


def cache_root() -> Path:
    """Venvs per Python version persist here between runs, so a re-run is a no-op."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pixeltable-b2" / "venvs"


def find_python(version: str) -> str | None:
    """`pythonX.Y` on PATH, else pyenv's build of it; None when neither runs."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(
        str(p) for p in Path(pyenv_root, "versions").glob(f"{version}.*/bin/python{version}")
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(command: list[str], environ: dict[str, str] | None = None, timeout: float = 600) -> Ran:
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(environ or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def bootstrap(venv: Path, python: str | None = None, extras: str = LIGHT_EXTRAS) -> Ran:
    environ = {"PXB2_VENV": str(venv), "PXB2_EXTRAS": extras}
    if python:
        environ["PYTHON"] = python
    return run([str(BOOTSTRAP)], environ)
