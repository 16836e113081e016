"""Python 3.12 and 3.13: the plan, the Pulumi program under mocks, the local server and the
smoke suite without its Pixeltable phase, each in a venv that scripts/bootstrap builds.

The venvs live in the user's cache (one per version), so after the first run the bootstrap is
a no-op; both versions run at the same time. The Pixeltable phase is not run on these versions
here: there is no local CPU torch wheel for them (see the README).
"""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from smoke.cli import GROUPS
from tests.bootstrap.support import (
    OTHER_VERSIONS,
    Ran,
    bootstrap,
    cache_root,
    find_python,
    run,
)

pytestmark = pytest.mark.slow

PIXELTABLE_GROUP = "pixeltable"
# The plan and the Pulumi program under mocks, in process. test_check_cli.py starts one
# process per case; `python -m infra check` runs once below instead.
INNER_TESTS = ("tests/unit", "tests/pulumi/test_pulumi_program.py")
INNER_IGNORED = ("tests/unit/test_check_cli.py",)


@dataclass(frozen=True)
class VersionRun:
    version: str
    python: str
    first: Ran
    again: Ran | None = None
    tests: Ran | None = None
    check: Ran | None = None
    smoke: Ran | None = None
    report: dict | None = None
    without_torch: Ran | None = None


def _exercise(version: str) -> VersionRun | str:
    python = find_python(version)
    if python is None:
        return f"Python {version} is not installed (neither python{version} nor pyenv's)"
    venv = cache_root() / f"py{version}"
    first = bootstrap(venv, python)
    if first.code != 0:
        return VersionRun(version, python, first)
    again = bootstrap(venv, python)
    interpreter = str(venv / "bin" / "python")
    ignored = [f"--ignore={path}" for path in INNER_IGNORED]
    tests = run(
        [interpreter, "-m", "pytest", "-q", "-p", "no:cacheprovider", *INNER_TESTS, *ignored]
    )
    check = run([interpreter, "-m", "infra", "check", "--stack", "prod"])
    # Both Pixeltable groups (s3:// round trip and native B2 path) are the Pixeltable phase.
    groups = ",".join(g for g in GROUPS if not g.startswith(PIXELTABLE_GROUP))
    with tempfile.TemporaryDirectory(prefix="pxb2-py") as tmp:
        report_path = Path(tmp) / "report.json"
        smoke = run(
            [interpreter, "-m", "smoke", "--local", "--only", groups, "--json", str(report_path)]
        )
        report = json.loads(report_path.read_text()) if report_path.is_file() else None
    without_torch = run(
        [
            interpreter,
            "-c",
            "import importlib.util as u; "
            "print([m for m in ('torch', 'pixeltable') if u.find_spec(m)])",
        ]
    )
    return VersionRun(version, python, first, again, tests, check, smoke, report, without_torch)


@pytest.fixture(scope="module")
def runs() -> dict[str, VersionRun | str]:
    with ThreadPoolExecutor(max_workers=len(OTHER_VERSIONS)) as pool:
        return dict(zip(OTHER_VERSIONS, pool.map(_exercise, OTHER_VERSIONS), strict=True))


def _run_for(runs: dict[str, VersionRun | str], version: str) -> VersionRun:
    found = runs[version]
    if isinstance(found, str):
        pytest.skip(found)
    assert found.first.code == 0, f"bootstrap on {version} failed:\n{found.first.output[-3000:]}"
    return found


@pytest.mark.parametrize("version", OTHER_VERSIONS)
def test_bootstrap_builds_the_venv_and_then_does_nothing(runs, version: str) -> None:
    done = _run_for(runs, version)
    assert done.again is not None
    assert done.again.code == 0, done.again.output
    assert "up to date" in done.again.stderr, done.again.output
    assert done.again.seconds < 1.0, f"the no-op bootstrap took {done.again.seconds:.2f} s"
    assert done.without_torch is not None
    assert done.without_torch.stdout.strip() == "[]", "the light venv must hold no torch"


@pytest.mark.parametrize("version", OTHER_VERSIONS)
def test_plan_and_pulumi_program_tests_pass(runs, version: str) -> None:
    done = _run_for(runs, version)
    assert done.tests is not None
    assert done.tests.code == 0, done.tests.output[-4000:]
    summary = done.tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
    assert "failed" not in summary, summary
    assert "error" not in summary, summary


@pytest.mark.parametrize("version", OTHER_VERSIONS)
def test_infra_check_validates_prod(runs, version: str) -> None:
    done = _run_for(runs, version)
    assert done.check is not None
    assert done.check.code == 0, done.check.output[-3000:]
    assert "is valid" in done.check.stdout


@pytest.mark.parametrize("version", OTHER_VERSIONS)
def test_local_server_and_smoke_suite_without_pixeltable_pass(runs, version: str) -> None:
    done = _run_for(runs, version)
    assert done.smoke is not None
    assert done.smoke.code == 0, done.smoke.output[-4000:]
    assert done.report is not None
    counts = done.report["counts"]
    assert counts["failed"] == 0, counts
    assert counts["not run"] == 0, counts
    names = [c["name"] for c in done.report["checks"]]
    assert any(n.startswith("scoping:") for n in names), names
    assert any(n.startswith("object round trip:") for n in names), names
    assert not any(n.startswith(f"{PIXELTABLE_GROUP}:") for n in names), names
