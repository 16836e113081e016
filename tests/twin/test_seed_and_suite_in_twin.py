"""Inside the B2 twin: Backblaze's guide as written, for two roles, and the suite in --env mode.

Both run with exactly the environment the stack's outputs give a role: AWS_ENDPOINT_URL is
B2's real https endpoint, and the only additions are the twin's CA and what the suite must
not count as shown there.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from infra.core import runtime_env as env
from infra.core.stack_files import PROJECT_ROOT
from smoke.checks.identity import CheckId, Group
from smoke.pixeltable_roundtrip import NATIVE_B2_STEPS
from tests.twin.conftest import LEAST_PRIVILEGE_ROLE, SEED_PREFIX, SEED_ROLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one substitution in the guide: a tiny local CLIP instead of a hub model."""
    from smoke.tiny_clip import build_tiny_clip

    return str(build_tiny_clip(tmp_path_factory.mktemp("clip")))


def _postgres_under(directory: Path) -> list[int]:
    pids = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(directory) in " ".join(
            process.info["cmdline"] or ()
        ):
            pids.append(process.pid)
    return pids


def _seed(b2_twin, role: str, prefix: str, clip: str):
    """The guide inside the twin as `role`. Its Pixeltable home lives in a short private TMPDIR
    (PostgreSQL's socket path must stay under 108 bytes), which must hold no home afterwards,
    with no PostgreSQL left running from it."""
    scratch = Path(tempfile.mkdtemp(prefix="pxb2-seed-"))
    try:
        run = b2_twin.run(
            [sys.executable, "-m", "tests.twin.seed_runner", prefix, clip],
            role,
            cwd=PROJECT_ROOT,
            extra_env={"HF_HUB_OFFLINE": "1", "TMPDIR": str(scratch)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert not _postgres_under(scratch), "PostgreSQL left running"
        homes = [path for path in scratch.iterdir() if path.is_dir()]  # pgserver leaves a lockfile
        assert not homes, f"left behind: {homes}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return run


def test_the_guide_as_written_passes_for_a_role_with_list_all_bucket_names(
    b2_twin, clip_dir
) -> None:
    run = _seed(b2_twin, SEED_ROLE, SEED_PREFIX, clip_dir)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert f"step 1 list_buckets: ['{b2_twin.bucket}'" in run.stdout
    assert "step 2 images: 8" in run.stdout
    assert "step 3 video and document: 1 1" in run.stdout
    assert "step 4 similarity: 3 results" in run.stdout
    assert b2_twin.environment(SEED_ROLE)[env.ENDPOINT_URL] == b2_twin.plan.endpoint


def test_the_guide_fails_at_its_list_buckets_check_for_a_least_privilege_role(
    b2_twin, clip_dir
) -> None:
    prefix = b2_twin.plan.key(LEAST_PRIVILEGE_ROLE).name_prefix
    run = _seed(b2_twin, LEAST_PRIVILEGE_ROLE, prefix, clip_dir)
    assert run.returncode != 0
    assert "seed: fixtures in place" in run.stdout  # the key works: its uploads went through
    assert "step 1" not in run.stdout  # and the guide stops at its very first check
    assert "AccessDenied" in run.stderr
    assert "calling the ListBuckets operation" in run.stderr
    assert "listAllBucketNames" in run.stderr
    secret = b2_twin.environment(LEAST_PRIVILEGE_ROLE)[env.SECRET_ACCESS_KEY]
    assert secret not in run.stdout + run.stderr


def test_the_suite_in_env_mode_runs_the_b2_only_paths(b2_twin, twin_file, tmp_path) -> None:
    report = tmp_path / "report.json"
    groups = "preflight,connectivity,pixeltable b2,audit,cleanup"  # the B2-only paths
    run = b2_twin.run(
        [
            *(sys.executable, "-m", "smoke", "--env", "--plan-file", str(twin_file)),
            *("--role", "smoke", "--embedding", "tiny", "--only", groups, "--json", str(report)),
        ],
        "smoke",
        cwd=PROJECT_ROOT,
        extra_env={"HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    checks = {c["name"]: c for c in json.loads(report.read_text())["checks"]}
    native = [checks[CheckId(Group.PIXELTABLE_B2).title(step.title)] for step in NATIVE_B2_STEPS]
    assert all(c["result"] == "passed" for c in native), native
    assert f"{b2_twin.plan.endpoint}/{b2_twin.bucket}/" in " ".join(c["message"] for c in native)
    audit = next(c for name, c in checks.items() if name.startswith("audit"))
    assert audit["result"] == "not verifiable"
    assert "native API" in audit["message"]
    # B2's ListBuckets rule is applied by the twin, so the suite sees a real refusal.
    listing = checks["connectivity: list buckets"]
    assert listing["result"] == "passed", listing
    assert "refused" in listing["message"]
    assert not [c for c in checks.values() if c["result"] in ("failed", "error")]
    secret = b2_twin.environment("smoke")[env.SECRET_ACCESS_KEY]
    assert secret not in run.stdout + run.stderr + report.read_text()
