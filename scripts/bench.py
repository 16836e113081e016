"""Benchmark what users wait for: each figure a ratio or a bound measured in one run.

Figures (`--only` picks some; all by default):

- install: a fresh copy of this tree running `./scripts/demo` (new venv, warm package cache)
  against the same command warm, and the no-op bootstrap;
- suite: whole-process wall time of the smoke suite against a bare baseline of the seed's
  steps, the image ingest-index-search phase ratio, and the suite with its Pixeltable
  preparations overlapped with the S3 checks (PXB2_SMOKE_OVERLAP=1): runs alternate, medians;
- detection: a dead and a hanging endpoint, whole process, each under 10 s;
- growth: `python -m infra check` for plans of 1, 10, 100 lifecycle rules and 1, 10, 50
  roles, and the b2sdk audit of an account holding 10, 1,000 and 10,000 keys on b2sdk's
  RawSimulator; each states how the cost grows (exponent of a power-law fit).

Each figure prints a table and ends with one line per ratio: value, target, held or MISSED.
The closing block repeats those lines. Each timed run is a fresh process unless said.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from infra.core import runtime_env as env  # noqa: E402
from infra.core.exit_codes import ExitCode  # noqa: E402
from infra.core.stack_files import load_plan_for_stack  # noqa: E402
from smoke.pixeltable_warmup import OVERLAP_ENV  # noqa: E402

RUNS = 3
STACK, ROLE = "dev", "smoke"
PHASE_STEPS = ("insert_images", "embedding_index", "image_search")
FIGURES = ("install", "suite", "detection", "growth")
INSTALL_TARGET = 1.6
NOOP_TARGET_SECONDS = 1.0
WALL_TARGET = 1.3
RATIO_TARGET = 1.3
DETECT_TARGET_SECONDS = 10.0
LIFECYCLE_SIZES = (1, 10, 100)
ROLE_SIZES = (1, 10, 50)
AUDIT_KEY_COUNTS = (10, 1_000, 10_000)
LINEAR_EXPONENT = 1.3  # a power-law exponent up to this counts as linear (timing noise)
NS = "pixeltable-b2:"

console = Console(width=130)
verdicts: list[str] = []


def verdict(text: str, value: float, target: float, *, at_most: bool = True) -> None:
    held = value <= target if at_most else value >= target
    line = f"{text}: {value:.2f} (target {'<=' if at_most else '>='} {target:g}) " + (
        "held" if held else "MISSED"
    )
    verdicts.append(line)
    console.print(line, markup=False, highlight=False)


def note(line: str) -> None:
    verdicts.append(line)
    console.print(line, markup=False, highlight=False)


def baseline() -> None:
    """One baseline run in this process; prints its timings as JSON."""
    import boto3

    from smoke.context import fixtures_prefix_for
    from smoke.media_fixtures import build_fixtures, upload_fixtures
    from smoke.pixeltable_home import temporary_pixeltable_home
    from smoke.pixeltable_roundtrip import s3_environment
    from smoke.tiny_clip import build_tiny_clip

    bucket = os.environ[env.BUCKET]
    # The seed's way: everything, B2's checksum settings included, from the environment.
    s3 = boto3.client("s3")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    s3.list_buckets()
    timings["list_buckets"] = time.perf_counter() - started
    fixtures = build_fixtures()
    role_prefix = load_plan_for_stack(STACK).key(ROLE).name_prefix or ""
    keys = upload_fixtures(s3, bucket, fixtures_prefix_for(role_prefix)).keys
    images = [f for f in fixtures if f.kind == "image"]
    with (
        tempfile.TemporaryDirectory() as model_dir,
        s3_environment(
            os.environ[env.ENDPOINT_URL],
            os.environ[env.REGION],
            os.environ[env.ACCESS_KEY_ID],
            os.environ[env.SECRET_ACCESS_KEY],
        ),
        temporary_pixeltable_home(),
    ):
        model = str(build_tiny_clip(Path(model_dir)))
        import PIL.Image
        import pixeltable as pxt
        from pixeltable.functions.huggingface import clip

        mark = time.perf_counter()
        pxt.init()
        timings["init"] = time.perf_counter() - mark
        mark = time.perf_counter()
        table = pxt.create_table("bench_images", {"img": pxt.Image})
        table.insert([{"img": f"s3://{bucket}/{keys[f.name]}"} for f in images])
        timings["insert_images"] = time.perf_counter() - mark
        mark = time.perf_counter()
        table.add_embedding_index("img", embedding=clip.using(model_id=model))
        timings["embedding_index"] = time.perf_counter() - mark
        mark = time.perf_counter()
        import io

        query = PIL.Image.open(io.BytesIO(images[0].data))
        sim = table.img.similarity(image=query)
        table.order_by(sim, asc=False).limit(1).select(table.img).collect()
        timings["image_search"] = time.perf_counter() - mark
        pxt.drop_table("bench_images")
    print(json.dumps(timings))


def _run(
    args: list[str], environ: dict[str, str], cwd: Path = ROOT, timeout: float = 900
) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(
        args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout, check=False
    )
    return time.perf_counter() - started, result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _must(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        console.print((result.stdout + result.stderr)[-3000:], markup=False)
        raise SystemExit(f"{what} failed (exit {result.returncode})")


# ---------------------------------------------------------------- install


def _copy_tree(destination: Path) -> None:
    """The files a fresh clone of this tree holds (tracked and new, never ignored ones)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def _without_this_venv(environ: dict[str, str]) -> dict[str, str]:
    """What a new shell in the clone sees: not this tree's venv on PATH."""
    venv = str(ROOT / ".venv")
    path = [p for p in environ.get("PATH", "").split(os.pathsep) if not p.startswith(venv)]
    cleaned = {k: v for k, v in environ.items() if k not in ("VIRTUAL_ENV", "PXB2_VENV")}
    return {**cleaned, "PATH": os.pathsep.join(path), "HF_HUB_OFFLINE": "1"}


def figure_install() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="pxb2-bench-clone-") as tmp:
        clone = Path(tmp) / "pixeltable-b2"
        _copy_tree(clone)
        environ = _without_this_venv(dict(os.environ))
        fresh, result = _run(["./scripts/demo"], environ, cwd=clone)
        _must(result, "fresh-clone ./scripts/demo")
        rows.append(("fresh clone ./scripts/demo (new venv, warm package cache)", fresh))
        warm, result = _run(["./scripts/demo"], environ, cwd=clone)
        _must(result, "warm ./scripts/demo")
        rows.append(("the same command warm", warm))
        noop, result = _run(["./scripts/bootstrap"], environ, cwd=clone)
        _must(result, "no-op ./scripts/bootstrap")
        rows.append(("./scripts/bootstrap when nothing changed", noop))
    table = Table(title="install: fresh clone to first verdict (one run each)")
    table.add_column("command")
    table.add_column("wall s", justify="right")
    for name, seconds in rows:
        table.add_row(name, f"{seconds:.2f}")
    console.print(table)
    verdict("install: fresh clone ./scripts/demo / the same warm", fresh / warm, INSTALL_TARGET)
    verdict("install: no-op bootstrap seconds", noop, NOOP_TARGET_SECONDS)


# ---------------------------------------------------------------- suite


def _suite_run(environ: dict[str, str], report: Path) -> dict[str, Any]:
    wall, result = _run(
        [
            sys.executable,
            "-m",
            "smoke",
            "--env",
            "--stack",
            STACK,
            "--role",
            ROLE,
            "--embedding",
            "tiny",
            "--json",
            str(report),
        ],
        environ,
    )
    _must(result, "suite run")
    facts = json.loads(report.read_text())["facts"]
    return {
        "wall": wall,
        "phase": sum(facts[f"pixeltable {s} (s)"] for s in PHASE_STEPS),
        **{s: facts[f"pixeltable {s} (s)"] for s in PHASE_STEPS},
        "requests": facts["S3 requests (suite's clients)"],
        "uploaded": facts["uploaded bytes"],
        "fixture bytes": facts["fixture bytes uploaded"],
    }


def figure_suite(runs: int) -> None:
    from infra.local import local_deployment
    from smoke.target import local_environment

    plan = load_plan_for_stack(STACK)
    rows: dict[str, list[dict[str, Any]]] = {"baseline": [], "suite": [], "overlapped": []}
    with (
        local_deployment(plan, backend="seaweedfs") as deployment,
        tempfile.TemporaryDirectory() as tmp,
    ):
        environ = {**os.environ, "HF_HUB_OFFLINE": "1", **local_environment(deployment, ROLE)}
        environ.pop(OVERLAP_ENV, None)
        for run in range(1, runs + 1):
            # Alternating, so that a load change on a busy machine hits every kind alike.
            wall, result = _run([sys.executable, __file__, "--baseline"], environ)
            _must(result, f"baseline run {run}")
            timings = json.loads(result.stdout.strip().splitlines()[-1])
            rows["baseline"].append(
                {"wall": wall, "phase": sum(timings[s] for s in PHASE_STEPS), **timings}
            )
            rows["suite"].append(_suite_run(environ, Path(tmp) / f"suite-{run}.json"))
            rows["overlapped"].append(
                _suite_run({**environ, OVERLAP_ENV: "1"}, Path(tmp) / f"overlap-{run}.json")
            )
    table = Table(title=f"suite: {runs} alternating runs each, local SeaweedFS, tiny CLIP")
    table.add_column("run")
    columns = ("wall s", *(f"{s} s" for s in PHASE_STEPS), "phase s", "S3 requests")
    for column in (*columns, "uploaded bytes", "fixture bytes uploaded"):
        table.add_column(column, justify="right")
    for name, kind_rows in rows.items():
        for i, row in enumerate(kind_rows, 1):
            table.add_row(
                f"{name} {i}",
                f"{row['wall']:.2f}",
                *(f"{row[s]:.2f}" for s in PHASE_STEPS),
                f"{row['phase']:.2f}",
                str(row.get("requests", "-")),
                str(row.get("uploaded", "-")),
                str(row.get("fixture bytes", "-")),
            )
    console.print(table)

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[kind])

    rerun_bytes = [r["fixture bytes"] for r in rows["suite"][1:] + rows["overlapped"]]
    note(f"suite: fixture bytes uploaded by re-runs: {rerun_bytes} (target: all 0)")
    note(
        "suite: the overlap (PXB2_SMOKE_OVERLAP=1) saves "
        f"{median('suite', 'wall') - median('overlapped', 'wall'):.2f} s of whole-process wall "
        f"(median default {median('suite', 'wall'):.2f} s, "
        f"overlapped {median('overlapped', 'wall'):.2f} s; negative: the overlap costs time)"
    )
    verdict(
        f"suite: whole-process wall, suite / bare baseline (medians of {runs})",
        median("suite", "wall") / median("baseline", "wall"),
        WALL_TARGET,
    )
    verdict(
        f"suite: image ingest-index-search phase, suite / baseline (medians of {runs}; the "
        "suite runs eight queries to the baseline's one)",
        median("suite", "phase") / median("baseline", "phase"),
        RATIO_TARGET,
    )


# ---------------------------------------------------------------- detection


def figure_detection() -> None:
    plan = load_plan_for_stack(STACK)
    environ = {
        **os.environ,
        env.ACCESS_KEY_ID: "bench-key-id",
        env.SECRET_ACCESS_KEY: "bench-not-a-secret",
        env.BUCKET: plan.bucket.name,
        env.REGION: "us-east-1",
    }
    rows = []
    from smoke.faults.hanging_socket import hanging_endpoint

    with hanging_endpoint() as hanging:
        for name, endpoint in (
            ("dead (nothing listening)", f"http://127.0.0.1:{_free_port()}"),
            ("hanging (accepts, never answers)", hanging),
        ):
            wall, result = _run(
                [sys.executable, "-m", "smoke", "--env", "--stack", STACK, "--role", ROLE],
                {**environ, env.ENDPOINT_URL: endpoint},
            )
            if result.returncode != ExitCode.FAILED:
                _must(result, f"{name} endpoint run (expected exit 1)")
            rows.append((name, result.returncode, wall))
    table = Table(title="detection: smoke --env against a broken endpoint (whole process)")
    for column in ("endpoint", "exit", "wall s"):
        table.add_column(column, justify="right" if column != "endpoint" else "left")
    for name, code, wall in rows:
        table.add_row(name, str(code), f"{wall:.2f}")
    console.print(table)
    for name, _code, wall in rows:
        verdict(f"detection: {name} endpoint, seconds", wall, DETECT_TARGET_SECONDS)


# ---------------------------------------------------------------- growth


def _exponent(sizes: tuple[int, ...], seconds: list[float]) -> float:
    """Least-squares slope of log(time) over log(size), on the two largest sizes."""
    (n1, n2), (t1, t2) = sizes[-2:], seconds[-2:]
    return math.log(max(t2, 1e-6) / max(t1, 1e-6)) / math.log(n2 / n1)


def _growth_word(exponent: float) -> str:
    if exponent < 0.3:
        return "flat (fixed costs dominate)"
    return "at most linear" if exponent <= LINEAR_EXPONENT else "WORSE THAN LINEAR"


def _best_of(times: int, work: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(times):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _stack_file(directory: Path, rules: int, roles: int) -> Path:
    """The dev stack with `rules` lifecycle rules and `roles` key roles (smoke kept first)."""
    import yaml

    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config = document["config"]
    config[f"{NS}lifecycle"] = [
        {"prefix": f"r{i:03d}/", "hideAfterDays": 1, "deleteHiddenAfterDays": 1}
        for i in range(rules)
    ]
    keys = {ROLE: config[f"{NS}keys"][ROLE]}
    for i in range(1, roles):
        keys[f"role{i:02d}"] = {
            "capabilities": ["listFiles", "readFiles"],
            "namePrefix": f"r{i:03d}/",
        }
    config[f"{NS}keys"] = keys
    # The shipped CI targets name roles these plans leave out; growth measures rules and roles.
    config.pop(f"{NS}ciSecrets", None)
    path = directory / f"Pulumi.bench-{rules}-{roles}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _rehearse_command(stack_file: Path) -> list[str]:
    """`python -m infra rehearse` for `stack_file`: timed next to `infra check`."""
    return [sys.executable, "-m", "infra", "rehearse", "--file", str(stack_file)]


def _rehearsal_available() -> bool:
    """The rehearsal runs the program, which needs the generated SDK (`pulumi install`)."""
    import importlib.util

    return importlib.util.find_spec("pulumi_b2") is not None


def _growth_of_plans(tmp: Path) -> list[tuple[str, tuple[int, ...], list[float], list[float]]]:
    from infra.cli import main as infra_main

    series = []
    for label, sizes, make in (
        ("lifecycle rules", LIFECYCLE_SIZES, lambda n: _stack_file(tmp, n, 1)),
        ("roles", ROLE_SIZES, lambda n: _stack_file(tmp, 1, n)),
    ):
        in_process, whole, rehearse = [], [], []
        for size in sizes:
            path = make(size)
            argv = ["check", "--file", str(path)]
            with contextlib.redirect_stdout(io.StringIO()):
                code = infra_main(argv)
            if code != ExitCode.OK:
                raise SystemExit(f"infra check refused the generated plan {path.name} ({code})")
            with contextlib.redirect_stdout(io.StringIO()):
                in_process.append(_best_of(3, lambda argv=argv: infra_main(argv)))
            wall, result = _run([sys.executable, "-m", "infra", *argv], dict(os.environ))
            _must(result, f"python -m infra check ({label} {size})")
            whole.append(wall)
            if _rehearsal_available():
                wall, result = _run(_rehearse_command(path), dict(os.environ))
                _must(result, f"python -m infra rehearse ({label} {size})")
                rehearse.append(wall)
        series.append((f"infra check, {label}", sizes, in_process, whole))
        if rehearse:
            series.append((f"infra rehearse, {label}", sizes, rehearse, rehearse))
    return series


def _audit_world(extra_keys: int) -> Any:
    """The dev plan provisioned on RawSimulator plus `extra_keys` keys on another bucket."""
    from smoke.audit.simulated_account import World

    world = World(load_plan_for_stack(STACK)).provision()
    other = world.admin.create_bucket(f"{world.plan.bucket.name}-other", "allPrivate")
    sim, account = world.sim, world.master.key_id
    token = world.admin.account_info.get_account_auth_token()
    api_url = world.admin.account_info.get_api_url()
    for i in range(extra_keys):
        sim.create_key(
            api_url, token, account, ["listFiles"], f"bench-extra-{i:05d}", None, [other.id_], None
        )
    return world


def _growth_of_audit() -> tuple[tuple[int, ...], list[float], list[int]]:
    from smoke.audit.cli import main as audit_main

    seconds, pages = [], []
    for count in AUDIT_KEY_COUNTS:
        world = _audit_world(count)
        calls = []
        list_keys = world.sim.list_keys

        def counted(*args: Any, _real: Any = list_keys, _calls: list = calls, **kwargs: Any) -> Any:
            _calls.append(1)
            return _real(*args, **kwargs)

        world.sim.list_keys = counted
        argv = ["--stack", STACK]
        with contextlib.redirect_stdout(io.StringIO()):
            code = audit_main(argv, api_factory=world.api, env=world.env())
        if code != ExitCode.OK:
            raise SystemExit(f"the audit of {count} keys did not come out clean (exit {code})")
        with contextlib.redirect_stdout(io.StringIO()):
            seconds.append(
                _best_of(2, lambda w=world, a=argv: audit_main(a, api_factory=w.api, env=w.env()))
            )
        pages.append(len(calls) // 3)  # b2_list_keys pages per audit (three audits ran)
    return AUDIT_KEY_COUNTS, seconds, pages


def figure_growth() -> None:
    with tempfile.TemporaryDirectory(prefix="pxb2-bench-plans-") as tmp:
        series = _growth_of_plans(Path(tmp))
    audit_sizes, audit_seconds, audit_pages = _growth_of_audit()
    table = Table(title="growth: cost by plan size and account size")
    for column in ("what", "size", "in-process s (best of 3)", "whole process s"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for label, sizes, in_process, whole in series:
        for size, inner, outer in zip(sizes, in_process, whole, strict=True):
            table.add_row(label, str(size), f"{inner:.4f}", f"{outer:.2f}")
    for size, seconds, pages in zip(audit_sizes, audit_seconds, audit_pages, strict=True):
        table.add_row(
            f"audit (RawSimulator), keys in the account ({pages} b2_list_keys pages)",
            f"{size:,}",
            f"{seconds:.4f}",
            "-",
        )
    console.print(table)
    if not _rehearsal_available():
        note(
            "growth: infra rehearse not measured: the B2 SDK pulumi_b2 is not installed here "
            "(`pulumi install` generates it; the tests run the rehearsal on a stand-in)"
        )
    for label, sizes, in_process, _whole in series:
        exponent = _exponent(sizes, in_process)
        factor = in_process[-1] / in_process[-2]
        note(
            f"growth: {label} {sizes[-2]} -> {sizes[-1]}: time x{factor:.2f} for size "
            f"x{sizes[-1] / sizes[-2]:g}, exponent {exponent:.2f}: {_growth_word(exponent)}"
        )
    exponent = _exponent(audit_sizes, audit_seconds)
    note(
        f"growth: audit {audit_sizes[-2]:,} -> {audit_sizes[-1]:,} keys: time "
        f"x{audit_seconds[-1] / audit_seconds[-2]:.2f} for size x10, exponent {exponent:.2f}: "
        f"{_growth_word(exponent)}"
    )


# ---------------------------------------------------------------- command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one paragraph, exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(
            2,
            f"error: {message}. Fix: run scripts/bench with no arguments for every figure, or "
            f"--only with some of {', '.join(FIGURES)}; --runs takes a whole number from 1 to "
            "9\n",
        )


def _figures(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [c for c in chosen if c not in FIGURES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"--only {text!r}: {', '.join(unknown) or 'nothing'} is not a figure"
        )
    return chosen


def _runs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 9:
        raise argparse.ArgumentTypeError(f"--runs {text!r} is not a whole number from 1 to 9")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scripts/bench",
        description="Measure what users wait for; prints a table and a last line per figure.",
    )
    parser.add_argument(
        "--only",
        type=_figures,
        default=FIGURES,
        metavar="FIGURES",
        help=f"comma-separated figures to measure, of {', '.join(FIGURES)} (default: all)",
    )
    parser.add_argument(
        "--runs",
        type=_runs,
        default=RUNS,
        help=f"alternating runs per kind in the suite figure (default {RUNS})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one run per kind, and no install figure unless --only names it",
    )
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.baseline:
        baseline()
        return ExitCode.OK
    figures, runs = args.only, args.runs
    if args.quick:
        runs = 1
        if "--only" not in " ".join(argv):
            figures = tuple(f for f in figures if f != "install")
    started = time.perf_counter()
    for figure in figures:
        console.rule(figure)
        if figure == "install":
            figure_install()
        elif figure == "suite":
            figure_suite(runs)
        elif figure == "detection":
            figure_detection()
        else:
            figure_growth()
    console.rule(f"summary ({time.perf_counter() - started:.0f} s)")
    for line in verdicts:
        console.print(line, markup=False, highlight=False)
    return ExitCode.OK


if __name__ == "__main__":
    from infra.local.entry_point import run_entry_point

    sys.exit(run_entry_point(lambda: main(sys.argv[1:])))
