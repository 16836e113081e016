"""The temporary Pixeltable home: nothing left behind, also after a failure or a SIGTERM.

Pixeltable runs in child processes here, so this test process never imports it and
each child's PostgreSQL is checked by PID once the child is done.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smoke import pixeltable_home as ph
from tests.pixeltable.pxt_support import (
    finish_child,
    postgres_under,
    process_gone,
    run_child,
    start_child,
)

# ---------------------------------------------------------------- pure core


def test_parse_postmaster_pid() -> None:
    assert ph.parse_postmaster_pid("4242\n/tmp/x/pgdata\n1700000000\n") == 4242
    assert ph.parse_postmaster_pid("") is None
    assert ph.parse_postmaster_pid("garbage\n") is None
    assert ph.parse_postmaster_pid("0\n") is None


def test_read_postmaster_pid(tmp_path: Path) -> None:
    assert ph.read_postmaster_pid(tmp_path / "missing") is None
    (tmp_path / "postmaster.pid").write_text("77\n/x\n")
    assert ph.read_postmaster_pid(tmp_path) == 77


def test_home_environment_pins_the_home_and_drops_foreign_settings(tmp_path: Path) -> None:
    environ = {
        "PIXELTABLE_DB_CONNECT_STR": "postgresql://elsewhere",
        "PIXELTABLE_OUTPUT_MEDIA_DEST": "s3://someone-else/",
        "PXTCLOUD_ORG": "org",
        "PATH": "/bin",
    }
    changes = ph.home_environment(tmp_path, environ)
    assert changes["PIXELTABLE_HOME"] == str(tmp_path)
    assert changes["PIXELTABLE_PGDATA"] == str(tmp_path / "pgdata")
    assert changes["PIXELTABLE_CONFIG"] == str(tmp_path / "config.toml")
    assert changes["PIXELTABLE_DB_CONNECT_STR"] is None
    assert changes["PIXELTABLE_OUTPUT_MEDIA_DEST"] is None
    assert changes["PXTCLOUD_ORG"] is None
    assert "PATH" not in changes


def test_initialise_refuses_without_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIXELTABLE_HOME", raising=False)
    with pytest.raises(ph.HomeError, match="PIXELTABLE_HOME is not set"):
        ph.initialise_pixeltable()


def test_stop_postgres_spares_a_process_that_is_not_ours(tmp_path: Path) -> None:
    """A stale postmaster.pid whose PID now belongs to something else: nothing is signalled."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "postmaster.pid").write_text(f"{sleeper.pid}\n{tmp_path}\n")
        assert ph.stop_postgres(sleeper.pid, tmp_path) == "not running"
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait(10)


def test_stop_postgres_on_a_vanished_pid(tmp_path: Path) -> None:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait(10)
    assert ph.stop_postgres(done.pid, tmp_path) == "not running"


# ---------------------------------------------------------------- lifecycle in child processes


def _assert_clean(run: dict, parent: Path) -> None:
    assert run["pid"], run
    assert process_gone(run["pid"]), f"PostgreSQL {run['pid']} still running"
    assert not Path(run["path"]).exists()
    assert run["cleanup"]["postgres_pid"] == run["pid"]
    assert run["cleanup"]["postgres_stop"] == "SIGINT"
    assert run["cleanup"]["errors"] == []
    assert run["env_inside"] == run["path"]
    assert not postgres_under(parent)


@pytest.mark.slow
def test_lifecycle_repeated_in_one_process(homes_parent: Path, fake_home: Path) -> None:
    child = run_child("home", {"parent": str(homes_parent), "repeat": 2}, fake_home)
    assert child.returncode == 0, child.output[-3000:]
    runs = child.result["runs"]
    assert len(runs) == 2
    assert runs[0]["pid"] != runs[1]["pid"]
    assert runs[0]["path"] != runs[1]["path"]
    for run in runs:
        assert run["rows"] == 2
        _assert_clean(run, homes_parent)
        assert run["env_after"] == {
            "PIXELTABLE_HOME": None,
            "PIXELTABLE_DB_CONNECT_STR": None,
            "PIXELTABLE_PGDATA": None,
        }
    assert list(homes_parent.iterdir()) == []


@pytest.mark.slow
def test_lifecycle_when_the_body_raises(homes_parent: Path, fake_home: Path) -> None:
    child = run_child("home", {"parent": str(homes_parent), "raise": True}, fake_home)
    assert child.returncode == 0, child.output[-3000:]
    (run,) = child.result["runs"]
    assert run["raised"] == "body failed on purpose"
    _assert_clean(run, homes_parent)


@pytest.mark.slow
def test_nested_home_is_refused_and_caller_env_restored(
    homes_parent: Path, fake_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"parent": str(homes_parent), "nested": True}
    monkeypatch.setenv("PIXELTABLE_EXTRA_SENTINEL", "kept")
    child = run_child("home", config, fake_home)
    assert child.returncode == 0, child.output[-3000:]
    (run,) = child.result["runs"]
    assert run["nested"].startswith("refused: Pixeltable is already running")
    _assert_clean(run, homes_parent)


@pytest.mark.slow
def test_sigterm_during_the_body_still_cleans_up(homes_parent: Path, fake_home: Path) -> None:
    process = start_child(
        "home", {"parent": str(homes_parent), "wait_for_sigterm": True}, fake_home
    )
    seen = ""
    deadline = time.monotonic() + 180
    ready = None
    while time.monotonic() < deadline and process.stdout is not None:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if line.startswith("READY "):
            ready = line.split()
            break
    assert ready is not None, seen[-3000:]
    pid, path = int(ready[1]), Path(ready[2])
    assert not process_gone(pid)
    process.send_signal(signal.SIGTERM)
    child = finish_child(process, already_read=seen)
    assert child.returncode == 128 + signal.SIGTERM
    assert process_gone(pid), f"PostgreSQL {pid} survived the child's SIGTERM"
    assert not path.exists()
    assert not postgres_under(homes_parent)
