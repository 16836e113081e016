"""The fault matrix of issue 7: every row must hold (smoke/faults/matrix.py runs them).

The slow test runs each scenario for real: the smoke suite in a subprocess against
SeaweedFS, through the fault proxy where the fault needs one. The fast tests pin the
judges, so that a row cannot hold for the wrong reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from smoke.faults import matrix
from smoke.faults.matrix import (
    SCENARIO_NAMES,
    SCENARIOS,
    Bench,
    EveryNthDrop,
    Observation,
    Scenario,
    SmokeRun,
    run_scenario,
)
from smoke.faults.proxy import Fault, ProxyRecord

ENDPOINT = "http://127.0.0.1:40001"
PREFLIGHT = "preflight: endpoint reachable"
GET_CHECK = "object round trip: get with checksum"
INSERT_IMAGES, COMPUTED_OUTPUT = "pixeltable: insert images", "pixeltable: computed output"


@pytest.fixture(scope="module")
def bench() -> Iterator[Bench]:
    with Bench() as shared:
        yield shared


@pytest.mark.slow
@pytest.mark.timeout(480)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIO_NAMES)
def test_fault_matrix_row_holds(bench: Bench, scenario: Scenario) -> None:
    row = run_scenario(bench, scenario)
    assert not row.leftovers, row.leftovers
    assert row.held, f"{row.fault}: expected {row.expected}; got {row.actual}\n" + "\n".join(
        row.problems
    )


# ---------------------------------------------------------------------------
# The judges, on made-up observations.
# ---------------------------------------------------------------------------


def check(name: str, result: str = "passed", seconds: float = 0.1, message: str = "") -> dict:
    return {"name": name, "result": result, "seconds": seconds, "message": message}


def smoke_run(
    checks: list[dict],
    *,
    code: int | None = None,
    facts: dict | None = None,
    lines: tuple[tuple[float, str], ...] = (),
    seconds: float = 5.0,
    leftovers: tuple[str, ...] = (),
) -> SmokeRun:
    failed = any(c["result"] == "failed" for c in checks)
    if code is None:
        code = 1 if failed else 0
    report = {"exit_code": code, "facts": facts or {}, "checks": checks}
    stdout = "\n".join(line for _, line in lines)
    return SmokeRun(code, stdout, "", seconds, report, lines, leftovers)


def record(method: str, path: str, fault: Fault = Fault.NONE, detail: str = "") -> ProxyRecord:
    return ProxyRecord(1, method, path, (), (), str(fault), detail, 200, 0.01)


def preflight_failure(message: str, seconds: float = 0.2) -> SmokeRun:
    checks = [
        check(PREFLIGHT, "failed", seconds, message),
        check("connectivity: head bucket", "not run", 0.0, "preflight failed"),
        check(matrix.ROUND_TRIP_CHECKS[0], "not run", 0.0, "preflight failed"),
        check("cleanup: run objects removed"),
    ]
    lines = ((1.0, "pixeltable-b2 smoke run x"), (1.0 + seconds, f"FAILED {seconds:.2f}s  x"))
    return smoke_run(checks, lines=lines)


def test_dead_endpoint_needs_the_endpoint_named_and_the_bound_kept() -> None:
    good = f"endpoint {ENDPOINT} is unreachable (EndpointConnectionError). Fix: ..."
    held = matrix.judge_dead(Observation([preflight_failure(good)], endpoint=ENDPOINT))
    assert held.held, held.problems
    assert held.detect == pytest.approx(0.2)
    slow = matrix.judge_dead(Observation([preflight_failure(good, 12.0)], endpoint=ENDPOINT))
    assert not slow.held
    assert "took 12.0 s" in slow.problems[0]
    vague = matrix.judge_dead(Observation([preflight_failure("it broke")], endpoint=ENDPOINT))
    assert not vague.held
    assert len(vague.problems) == 2  # says neither what happened nor where


def test_hanging_endpoint_must_wait_no_longer_than_its_message_says() -> None:
    message = f"endpoint {ENDPOINT} accepted the connection but did not answer within 4 s."
    assert matrix.judge_hanging(
        Observation([preflight_failure(message, 4.1)], endpoint=ENDPOINT)
    ).held
    doubled = matrix.judge_hanging(
        Observation([preflight_failure(message, 8.1)], endpoint=ENDPOINT)
    )
    assert not doubled.held
    assert "says it waited 4 s, but the check took 8.1 s" in doubled.problems[-1]


def test_cut_connection_must_be_called_closed_not_a_timeout() -> None:
    timeout = f"endpoint {ENDPOINT} accepted the connection but did not answer within 4 s."
    closed = f"endpoint {ENDPOINT} accepted the connection and closed it without an answer."
    assert not matrix.judge_cut(Observation([preflight_failure(timeout)], endpoint=ENDPOINT)).held
    assert matrix.judge_cut(Observation([preflight_failure(closed)], endpoint=ENDPOINT)).held


def test_checks_that_run_after_a_failed_preflight_break_the_row() -> None:
    run = preflight_failure(f"endpoint {ENDPOINT} is unreachable")
    assert run.report is not None
    run.report["checks"][1]["result"] = "passed"
    judged = matrix.judge_dead(Observation([run], endpoint=ENDPOINT))
    assert "ran anyway" in judged.problems[0]


def b2_observation(records: list[ProxyRecord]) -> Observation:
    run = smoke_run([check(name) for name in matrix.ROUND_TRIP_CHECKS], facts={"run id": "r1"})
    facts = {"fixtures prefix": "smoke/fixtures/", "pixeltable prefix": "smoke/runs/r1/pixeltable/"}
    return Observation([run], records, ENDPOINT, [], facts)


def test_b2_compat_needs_pixeltable_traffic_and_no_rejection() -> None:
    download = record("GET", "/b/smoke/fixtures/abc/red_circle.png")
    upload = record("PUT", "/b/smoke/runs/r1/pixeltable/thumb.jpg")
    judged = matrix.judge_b2_compat(b2_observation([download, upload]))
    assert judged.held, judged.problems
    assert "Pixeltable: 1 downloads, 1 uploads" in judged.actual
    assert not matrix.judge_b2_compat(b2_observation([upload])).held  # Pixeltable bypassed it
    refused = record("PUT", "/b/k", Fault.B2_REJECT, "InvalidArgument: x-amz-checksum-crc32")
    assert not matrix.judge_b2_compat(b2_observation([download, refused])).held


def test_settings_removed_must_be_caught_by_the_proxy() -> None:
    run = smoke_run([check("object round trip: put", "failed", 0.1, "InvalidArgument")])
    refused = record("PUT", "/b/k", Fault.B2_REJECT, "InvalidArgument: x-amz-checksum-crc32")
    caught = matrix.judge_checksums_removed(Observation([run], [refused]))
    assert caught.held
    assert "x-amz-checksum-crc32" in caught.actual
    unnoticed = matrix.judge_checksums_removed(Observation([run], []))
    assert "went unnoticed" in unnoticed.problems[0]
    only_pixeltable = smoke_run([check(COMPUTED_OUTPUT, "failed", 3.0, "refused")])
    assert matrix.judge_pixeltable_checksums_removed(Observation([only_pixeltable], [refused])).held
    assert not matrix.judge_pixeltable_checksums_removed(Observation([run], [refused])).held


def test_busy_burst_needs_retries_in_the_report_and_on_screen() -> None:
    errors = [record("HEAD", "/b", Fault.ERROR, "503 SlowDown")] * 3
    shown = ((0.0, "retries                        2   "),)
    run = smoke_run([check("connectivity: head bucket")], facts={"retries": 2}, lines=shown)
    assert matrix.judge_busy_burst(Observation([run], errors, facts={"burst": 3})).held
    none = ((0.0, "retries  0"),)
    silent = smoke_run([check("connectivity: head bucket")], facts={"retries": 0}, lines=none)
    judged = matrix.judge_busy_burst(Observation([silent], errors, facts={"burst": 3}))
    assert judged.problems == ("the report counts 0 retries, expected >= 2",)
    unshown = smoke_run([check("connectivity: head bucket")], facts={"retries": 2})
    judged = matrix.judge_busy_burst(Observation([unshown], errors, facts={"burst": 3}))
    assert judged.problems == ("the printed summary does not show the retry count",)


def test_busy_outage_is_bounded_and_names_endpoint_and_status() -> None:
    message = f"endpoint {ENDPOINT} answered 503 SlowDown to HeadBucket on all 4 attempts"
    checks = [
        check("connectivity: head bucket", "failed", 7.0, message),
        check(matrix.ROUND_TRIP_CHECKS[0], "not run", 0.0),
    ]
    assert matrix.judge_busy_outage(Observation([smoke_run(checks)], endpoint=ENDPOINT)).held
    slow = smoke_run(checks, seconds=75.0)
    assert not matrix.judge_busy_outage(Observation([slow], endpoint=ENDPOINT)).held
    checks[1]["result"] = "failed"
    assert not matrix.judge_busy_outage(Observation([smoke_run(checks)], endpoint=ENDPOINT)).held


def test_flaky_endpoint_is_retried_or_reported_never_silent() -> None:
    cut = [record("GET", "/b/k", Fault.DROP)]
    passed = smoke_run([check(GET_CHECK)], facts={"retries": 3})
    assert matrix.judge_flaky(Observation([passed], cut)).held
    no_retry = smoke_run([check(GET_CHECK)], facts={"retries": 0})
    assert not matrix.judge_flaky(Observation([no_retry], cut)).held
    reported = smoke_run(
        [check(GET_CHECK, "failed", 0.1, "ResponseStreamingError: ('Connection broken: ...')")]
    )
    assert matrix.judge_flaky(Observation([reported], cut)).held
    unclear = smoke_run([check(GET_CHECK, "failed", 0.1, "KeyError: 'Contents'")])
    assert not matrix.judge_flaky(Observation([unclear], cut)).held
    assert not matrix.judge_flaky(Observation([passed], [])).held  # no fault, no proof


def test_dropped_download_passes_only_with_a_visible_retry() -> None:
    key = "round-trip/object.bin"
    drop, again = record("GET", f"/b/r/{key}", Fault.DROP), record("GET", f"/b/r/{key}")
    passed = smoke_run([check(GET_CHECK)])
    assert matrix.judge_dropped_download(
        Observation([passed], [drop, again], facts={"key": key})
    ).held
    silent = matrix.judge_dropped_download(Observation([passed], [drop], facts={"key": key}))
    assert "without a visible retry" in silent.problems[0]
    failed = smoke_run([check(GET_CHECK, "failed", 0.1, "IncompleteRead(131072 bytes read)")])
    assert matrix.judge_dropped_download(Observation([failed], [drop], facts={"key": key})).held


def test_server_kill_needs_a_kill_while_postgres_runs_and_a_reported_failure() -> None:
    lines = ((30.0, f"        FAILED  18.00s  {INSERT_IMAGES}"),)
    run = smoke_run([check(INSERT_IMAGES, "failed", 18.0, "download")], lines=lines)
    facts = {"killed at": 27.0, "weed pid": 10, "postgres pid": 11}
    judged = matrix.judge_server_kill(Observation([run], facts=facts))
    assert judged.held, judged.problems
    assert judged.detect == pytest.approx(3.0)
    never = matrix.judge_server_kill(Observation([run], facts={"why not killed": "no line"}))
    assert "never killed: no line" in never.problems[0]


def test_concurrent_runs_must_share_one_fixture_upload() -> None:
    def run(run_id: str, uploaded: int) -> SmokeRun:
        return smoke_run([], facts={"run id": run_id, "fixture objects uploaded": uploaded})

    assert matrix.judge_concurrent(
        Observation([run("a", 5), run("b", 7)], facts={"fixtures": 12})
    ).held
    twice = matrix.judge_concurrent(
        Observation([run("a", 12), run("b", 12)], facts={"fixtures": 12})
    )
    assert "sum 24" in twice.problems[0]
    same = matrix.judge_concurrent(Observation([run("a", 12), run("a", 0)], facts={"fixtures": 12}))
    assert "not distinct" in same.problems[0]


def test_a_row_with_leftovers_or_a_hung_run_does_not_hold() -> None:
    scenario = SCENARIOS[SCENARIO_NAMES.index("dead")]
    run = preflight_failure(f"endpoint {ENDPOINT} is unreachable", 0.1)
    row = matrix.make_row(scenario, Observation([run], endpoint=ENDPOINT), 1.0)
    assert row.held
    assert row.leftovers == ()
    left = Observation(
        [preflight_failure(f"endpoint {ENDPOINT} is unreachable")],
        endpoint=ENDPOINT,
        object_leftovers=["object b/smoke/runs/x"],
    )
    assert not matrix.make_row(scenario, left, 1.0).held
    hung = SmokeRun(None, "", "", 300.0, None)
    row = matrix.make_row(scenario, Observation([hung], endpoint=ENDPOINT), 300.0)
    assert not row.held
    assert any("hung" in p for p in row.problems)


def test_a_leaked_secret_fails_the_row_without_being_repeated() -> None:
    secret = "SENTINEL-secret-0123456789"
    leaks = matrix.secret_leaks({"stdout": f"key={secret}", "report.json": "{}"}, ["", secret])
    assert leaks == ["secret #2 in stdout"]
    run = preflight_failure(f"endpoint {ENDPOINT} is unreachable")
    leaked = SmokeRun(
        run.code, run.stdout, "", run.seconds, run.report, run.lines, (), tuple(leaks)
    )
    row = matrix.make_row(
        SCENARIOS[SCENARIO_NAMES.index("dead")], Observation([leaked], endpoint=ENDPOINT), 1.0
    )
    assert not row.held
    assert row.leaks == ("secret #2 in stdout",)
    assert secret not in repr(row)


# ---------------------------------------------------------------------------
# Pieces of the shell that need no server.
# ---------------------------------------------------------------------------


def test_run_timing_is_read_from_the_printed_lines() -> None:
    lines = (
        (2.0, "pixeltable-b2 smoke run 2024-abc: role 'smoke'"),
        (2.5, "        PASSED   0.10s  preflight: configuration"),
        (6.0, "        FAILED   3.40s  preflight: endpoint reachable"),
    )
    run = smoke_run([], lines=lines)
    assert (run.onset, run.first_failure_at) == (2.0, 6.0)
    assert matrix.detect_after(run, run.onset) == 4.0
    assert matrix.detect_after(smoke_run([]), 1.0) is None


def test_every_nth_drop_cuts_only_forwarded_requests() -> None:
    schedule = EveryNthDrop(3)
    actions = [schedule.decide("GET", "/b/k", None).action for _ in range(6)]
    assert actions == [Fault.NONE, Fault.NONE, Fault.DROP] * 2
    schedule.add(Fault.ERROR, count=1, status=503, code="SlowDown")
    assert schedule.decide("GET", "/b/k", None).action is Fault.ERROR  # not counted
    assert [schedule.decide("GET", "/b/k", None).action for _ in range(3)][-1] is Fault.DROP


def test_path_leftovers_name_what_stayed_and_skip_shared_caches(tmp_path: Path) -> None:
    (tmp_path / ".lockfile").touch()
    (tmp_path / f"{matrix.HOME_PREFIX}abc").mkdir()
    (tmp_path / "weed.INFO").touch()
    found = matrix.path_leftovers(tmp_path, [], home_existed=True)
    assert found == [
        f"Pixeltable home {matrix.HOME_PREFIX}abc in the run's TMPDIR",
        "SeaweedFS log file weed.INFO in the run's TMPDIR",
    ]


def test_weed_sockets_are_found_by_its_ports_and_start_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(matrix, "WEED_SOCKET_DIR", tmp_path)
    old = tmp_path / "seaweedfs-s3-grpc-18333.sock"
    old.touch()
    os.utime(old, (1_000.0, 1_000.0))
    (tmp_path / "seaweedfs-admin-grpc-8333.sock").touch()
    (tmp_path / "seaweedfs-admin-grpc-9999.sock").touch()  # another server's port
    args = ("weed", "mini", "-dir=/x", "-s3.port=8333", "-s3.port.grpc=18333")
    weed = matrix.SeenProcess(1, "weed", 2_000.0, args)
    assert weed.ports() == [8333, 18333]
    assert weed.fixed_sockets() == [tmp_path / "seaweedfs-admin-grpc-8333.sock"]


def test_child_environment_drops_the_callers_storage_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "caller-secret")
    monkeypatch.setenv("PIXELTABLE_HOME", "/somewhere")
    environ = matrix.child_environment(tmp_path, {"AWS_ENDPOINT_URL": ENDPOINT})
    assert "AWS_SECRET_ACCESS_KEY" not in environ
    assert "PIXELTABLE_HOME" not in environ
    assert environ["AWS_ENDPOINT_URL"] == ENDPOINT
    assert (environ["TMPDIR"], environ["HF_HUB_OFFLINE"]) == (str(tmp_path), "1")


def test_the_script_refuses_an_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert matrix.main(["--only", "dead,nosuch"]) == 2
    error = capsys.readouterr().err
    assert "unknown scenario nosuch" in error
    assert "Traceback" not in error


def test_held_line_counts_rows() -> None:
    scenario = SCENARIOS[0]
    rows = [
        matrix.Row(scenario.name, "f", "e", "a", None, 1.0, (), held, ())
        for held in (True, True, False)
    ]
    assert matrix.held_line(rows) == "held: 2 of 3"


def test_scenarios_are_uniquely_named_and_described() -> None:
    assert len(set(SCENARIO_NAMES)) == len(SCENARIOS) >= 11
    assert all(s.fault and s.expected for s in SCENARIOS)
