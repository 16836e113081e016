"""The bench's growth figure runs on the shipped stacks as they are and states each growth.

It builds plans from Pulumi.dev.yaml; a change to the shipped stack (such as CI targets that
name roles the generated plans leave out) must not break it. What the figures are is the
bench's to say, not this test's: it asserts no timing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_growth_figure_measures_every_size_and_states_the_growth() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--only", "growth"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith("growth: ")]
    for what in ("lifecycle rules 10 -> 100", "roles 10 -> 50", "audit 1,000 -> 10,000 keys"):
        assert any(what in line and "exponent" in line for line in lines), (what, lines)
