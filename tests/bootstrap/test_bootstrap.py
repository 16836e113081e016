"""scripts/bootstrap: safe to source, idempotent, honest about bad input."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from infra.core.stack_files import PROJECT_ROOT
from tests.bootstrap.support import BOOTSTRAP, run

VENV = PROJECT_ROOT / ".venv"


def _current() -> bool:
    return run([str(BOOTSTRAP), "--check"], {"PXB2_VENV": str(VENV)}).code == 0


needs_current_venv = pytest.mark.skipif(
    not _current(), reason="the .venv is not current; run ./scripts/bootstrap (or ./scripts/test)"
)


def _sourced(script: str, **environ: str) -> subprocess.CompletedProcess:
    """Run `script` in a bash that sources the bootstrap with the caller's options off."""
    body = f"cd /; set +euo pipefail; source {shlex.quote(str(BOOTSTRAP))}; {script}"
    return subprocess.run(
        ["bash", "-c", body],
        env={**_clean_env(), "PXB2_VENV": str(VENV), **environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("PYTHON", "PXB2_EXTRAS")}


@needs_current_venv
def test_sourcing_keeps_the_callers_options_and_directory_and_puts_the_venv_on_path() -> None:
    done = _sourced('echo "rc=$? opts=$- pwd=$PWD"; command -v python')
    assert done.returncode == 0, done.stderr
    first, python = done.stdout.strip().splitlines()
    assert first.startswith("rc=0 ")
    options = first.split("opts=")[1].split()[0]
    assert "e" not in options, "set -e leaked into the caller"
    assert "u" not in options, "set -u leaked into the caller"
    assert first.endswith("pwd=/")
    assert python == str(VENV / "bin" / "python")
    assert done.stderr == "", "a sourced no-op bootstrap prints nothing"


def test_a_failed_bootstrap_returns_its_status_to_the_caller_instead_of_exiting_it() -> None:
    done = _sourced('echo "after rc=$?"', PYTHON="/nonexistent/python3")
    assert done.stdout.strip() == "after rc=2", done.stdout + done.stderr
    assert "PYTHON=/nonexistent/python3: not found" in done.stderr
    assert "Fix:" in done.stderr
    assert "Traceback" not in done.stderr


@needs_current_venv
def test_second_run_is_a_no_op_under_a_second() -> None:
    fastest = min(run([str(BOOTSTRAP)], {"PXB2_VENV": str(VENV)}).seconds for _ in range(3))
    done = run([str(BOOTSTRAP)], {"PXB2_VENV": str(VENV)})
    assert done.code == 0, done.output
    assert "up to date" in done.stderr
    assert fastest < 1.0, f"the no-op bootstrap took {fastest:.2f} s at best"


def test_check_reports_a_missing_venv_without_creating_it(tmp_path) -> None:
    venv = tmp_path / "venv"
    done = run([str(BOOTSTRAP), "--check"], {"PXB2_VENV": str(venv)})
    assert done.code == 1, done.output
    assert not venv.exists()


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "--bogus"),
        ({"PXB2_INSTALLER": "conda", "PXB2_VENV": "{tmp}/venv"}, "PXB2_INSTALLER=conda"),
        ({"PYTHON": "/nonexistent/python3", "PXB2_VENV": "{tmp}/venv"}, "PYTHON=/nonexistent"),
    ],
)
def test_bad_input_is_one_paragraph_with_exit_2_and_nothing_created(
    environ: dict[str, str], named: str, tmp_path
) -> None:
    environ = {k: v.replace("{tmp}", str(tmp_path)) for k, v in environ.items()}
    command = [str(BOOTSTRAP), "--bogus"] if named == "--bogus" else [str(BOOTSTRAP)]
    done = run(command, environ)
    assert done.code == 2, done.output
    assert named in done.stderr
    assert "Fix:" in done.stderr
    assert "Traceback" not in done.output
    assert not (tmp_path / "venv").exists()
